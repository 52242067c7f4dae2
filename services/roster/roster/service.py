"""How roster plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.runtime import ServiceSpec

from .models import INFRA, Base

SPEC = ServiceSpec(name="roster", metadata=Base.metadata, tables=INFRA, publishes=("roster.v1",),
                   scopes={"roster:read": "read the roster",
                           "roster:admin": "change grids, deputies and assignments",
                           "roster:approve": "approve and publish assignment plans",
                           "contacts:read":
                           "service-to-service: read a reporter's or deputy's contact details (phone, email) in clear"},
                   migrations=str(Path(__file__).parent / "migrations"))
