"""How intake plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.runtime import ServiceSpec

from .handlers import HANDLERS
from .models import INFRA, Base

# Intake serves with the broker down: the outbox keeps every accepted case until the relay can publish.
# It reads cases.v1 too, to follow each case's lifecycle for the resident's tracking page.
SPEC = ServiceSpec(name="intake", metadata=Base.metadata, tables=INFRA,
                   migrations=str(Path(__file__).parent / "migrations"), consumes=("roster.v1", "cases.v1"),
                   handlers=HANDLERS, publishes=("cases.v1",), ready_requires_broker=False)
