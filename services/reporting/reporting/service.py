"""How reporting plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.contracts import TOPICS
from wangge_common.runtime import Periodic, ServiceSpec

from .audit import checkpoint_job
from .handlers import HANDLERS
from .models import INFRA, Base

SPEC = ServiceSpec(name="reporting", metadata=Base.metadata, tables=INFRA,
                   migrations=str(Path(__file__).parent / "migrations"), consumes=tuple(TOPICS),
                   handlers=HANDLERS, periodic=(Periodic("sign-checkpoint", 60.0, checkpoint_job),))
