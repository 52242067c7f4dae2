"""How routing plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.runtime import ServiceSpec

from .handlers import HANDLERS
from .models import INFRA, Base

SPEC = ServiceSpec(name="routing", metadata=Base.metadata, tables=INFRA,
                   migrations=str(Path(__file__).parent / "migrations"), consumes=("cases.v1",),
                   handlers=HANDLERS, publishes=("cases.v1",))
