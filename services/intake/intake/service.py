"""How intake plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.runtime import ServiceSpec

from .handlers import HANDLERS
from .models import INFRA, Base

# Intake serves with the broker down: the outbox keeps every accepted case until the relay can publish.
SPEC = ServiceSpec(name="intake", metadata=Base.metadata, tables=INFRA,
                   migrations=str(Path(__file__).parent / "migrations"), consumes=("roster.v1",),
                   handlers=HANDLERS, publishes=("cases.v1",), ready_requires_broker=False)
