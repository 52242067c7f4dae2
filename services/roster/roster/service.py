"""How roster plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.runtime import ServiceSpec

from .models import INFRA, Base

SPEC = ServiceSpec(name="roster", metadata=Base.metadata, tables=INFRA, publishes=("roster.v1",),
                   migrations=str(Path(__file__).parent / "migrations"))
