"""How reporting plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.contracts import TOPICS
from wangge_common.runtime import Periodic, ServiceSpec

from .audit import checkpoint_job
from .handlers import HANDLERS
from .models import INFRA, Base
from .projection_check import ProjectionCheckCollector, projection_check_job
from .reconcile import ReconcileCollector, reconcile_job

SPEC = ServiceSpec(name="reporting", metadata=Base.metadata, tables=INFRA,
                   scopes={"audit:read": "read the audit log and KPIs",
                           "cases:read": "read cases, work orders and status"},
                   migrations=str(Path(__file__).parent / "migrations"), consumes=tuple(TOPICS),
                   handlers=HANDLERS, collectors=(ReconcileCollector, ProjectionCheckCollector),
                   # the reconcile job looks every 10 s but reconciles only when its interval has passed
                   # (WANGGE_REPORTING_RECONCILE_INTERVAL_S, 300 by default): see reconcile.Schedule
                   # (and projection-check likewise, WANGGE_REPORTING_PROJECTION_CHECK_INTERVAL_S, 3600 by default)
                   periodic=(Periodic("sign-checkpoint", 60.0, checkpoint_job), Periodic("reconcile", 10.0, reconcile_job),
                             Periodic("projection-check", 60.0, projection_check_job)))
