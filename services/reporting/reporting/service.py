"""How reporting plugs into the shared infrastructure, and what a reporting process holds (`ReportingState`)."""
from __future__ import annotations

from dataclasses import dataclass

from wangge_common.contracts import TOPICS
from wangge_common.runtime import Periodic, ServiceSpec

from .consumers import HANDLERS
from .jobs import (ProjectionCheckCollector, ReconcileCollector, checkpoint_job, projection_check_job,
                   reconcile_job)
from .models import INFRA, MIGRATIONS, Base
from .settings import ReportingSettings


@dataclass(frozen=True)
class ReportingState:
    """`runtime.state` of a reporting process: its settings, read once."""

    settings: ReportingSettings

    @classmethod
    def build(cls, runtime) -> "ReportingState":
        return cls(settings=ReportingSettings.from_settings(runtime.settings))


SPEC = ServiceSpec(name="reporting", metadata=Base.metadata, tables=INFRA,
                   scopes={"audit:read": "read the audit log and KPIs",
                           "cases:read": "read cases, work orders and status"},
                   migrations=MIGRATIONS, consumes=tuple(TOPICS),
                   handlers=HANDLERS, collectors=(ReconcileCollector, ProjectionCheckCollector),
                   # the reconcile job looks every 10 s but reconciles only when its interval has passed
                   # (WANGGE_REPORTING_RECONCILE_INTERVAL_S, 300 by default): see jobs.Schedule
                   # (and projection-check likewise, WANGGE_REPORTING_PROJECTION_CHECK_INTERVAL_S, 3600 by default)
                   periodic=(Periodic("sign-checkpoint", 60.0, checkpoint_job), Periodic("reconcile", 10.0, reconcile_job),
                             Periodic("projection-check", 60.0, projection_check_job)),
                   state=ReportingState.build)
