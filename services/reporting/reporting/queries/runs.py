"""What the metrics of a scheduled job read from its recorded runs (reconciliations, projection checks), and the
events held for cases reporting has not seen registered yet."""
from __future__ import annotations

from sqlalchemy import func, select

from wangge_common.paging import paginate

from ..models import PendingEvent, ProjectionCheck, ReconcileRun


def last_and_counts(session, model):
    """The last run that completed (outcome other than error) and how many runs ended in each outcome."""
    last = session.scalars(select(model).where(model.outcome != "error")
                           .order_by(model.started_at.desc()).limit(1)).first()
    counts = dict(session.execute(select(model.outcome, func.count()).group_by(model.outcome)).all())
    return last, counts


def recent_runs(session, limit: int = 20) -> list[ReconcileRun]:
    return session.scalars(select(ReconcileRun).order_by(ReconcileRun.started_at.desc()).limit(limit)).all()


def recent_checks(session, limit: int = 20) -> list[ProjectionCheck]:
    return session.scalars(select(ProjectionCheck).order_by(ProjectionCheck.started_at.desc()).limit(limit)).all()


def pending_events(session, **page) -> dict:
    """Events about cases not registered here yet (kept, applied when the registration arrives), oldest first."""
    return paginate(session, select(PendingEvent).order_by(PendingEvent.seq), **page)
