"""How intake plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.runtime import ServiceSpec

from .handlers import HANDLERS
from .models import INFRA, Base

# Intake serves with the broker down: the outbox keeps every accepted case until the relay can publish.
# It reads cases.v1 too, to follow each case's lifecycle for the resident's tracking page.
SPEC = ServiceSpec(name="intake", metadata=Base.metadata, tables=INFRA,
                   scopes={"cases:write": "register and change cases",
                           "cases:read": "read cases, work orders and status",
                           "orders:handle": "sign, answer and return work orders",
                           "contacts:read":
                           "service-to-service: read a reporter's or deputy's contact details (phone, email) in clear",
                           "cases:read_personal":
                           "staff: read what redaction masked in a case (its text as written, the reporter's contact)",
                           "personal:erase": "erase a person's personal data (crypto-shredding) on their request"},
                   migrations=str(Path(__file__).parent / "migrations"), consumes=("roster.v1", "cases.v1"),
                   handlers=HANDLERS, publishes=("cases.v1",), ready_requires_broker=False)
