"""Reads of the duty record (履职登记): one record, a deputy's year with its targets, a deputy's grids."""
from __future__ import annotations

from datetime import date

from sqlalchemy import extract, or_, select

from wangge_common import clock
from wangge_common.errors import NotFound

from .. import domain
from ..models import Assignment, Deputy, DutyRecord
from .deputies import get_deputy


def deputy_grids(session, deputy) -> set[str]:
    """The grids a deputy lives, works or serves in (a person limited to grids may record for such a deputy)."""
    serving = session.scalars(select(Assignment.grid_id).where(Assignment.deputy_id == deputy.id,
                                                               Assignment.ended_at.is_(None))).all()
    return {g for g in (deputy.home_grid_id, deputy.work_grid_id, *serving) if g}


def get(session, record_id: str) -> DutyRecord:
    row = session.get(DutyRecord, record_id)
    if row is None:
        raise NotFound(f"no duty record {record_id}")
    return row


def out(row: DutyRecord) -> dict:
    return {"id": row.id, "deputy_id": row.deputy_id, "kind": row.kind, "kind_zh": domain.DUTY_KIND_NAMES_ZH[row.kind],
            "occurred_on": row.occurred_on, "title": row.title, "summary": row.summary, "grid_id": row.grid_id,
            "addressed_to": row.addressed_to, "recorded_by": row.recorded_by, "recorded_at": row.recorded_at,
            "reply": None if not row.reply_outcome else {
                "outcome": row.reply_outcome, "outcome_zh": domain.DUTY_REPLY_OUTCOMES[row.reply_outcome],
                "text": row.reply_text, "replied_on": row.replied_on},
            "withdrawn": row.withdrawn_reason is not None, "withdrawn_reason": row.withdrawn_reason,
            "withdrawn_by": row.withdrawn_by}


def year_of(session, deputy_id: str, year: int | None = None, kind: str | None = None,
            today: date | None = None) -> dict:
    """A deputy's records of one year (withdrawn ones listed too, not counted) and the targets they meet."""
    deputy = get_deputy(session, deputy_id)
    today = today or clock.local_date(clock.now())
    year = year or today.year
    query = (select(DutyRecord).where(DutyRecord.deputy_id == deputy.id,
                                      extract("year", DutyRecord.occurred_on) == year)
             .order_by(DutyRecord.occurred_on.desc(), DutyRecord.recorded_at.desc()))
    rows = session.scalars(query).all()
    counted = [(r.kind, r.occurred_on) for r in rows if r.withdrawn_reason is None]
    targets = domain.duty_targets(year, counted, today)
    counts = {k: sum(1 for kind, _ in counted if kind == k) for k in domain.DUTY_KINDS}
    return {"deputy_id": deputy.id, "name": deputy.name, "year": year,
            "counts": counts, "targets": [t.__dict__ for t in targets],
            "items": [out(r) for r in rows if kind is None or r.kind == kind]}


def records_query(*, kind: str | None = None, replied: bool | None = None, grid_ids: set[str] | None = None):
    """Records, newest first, that stand (not withdrawn), of one kind, answered or not, of the deputies who live,
    work or serve in `grid_ids` (None: every deputy)."""
    query = (select(DutyRecord).where(DutyRecord.withdrawn_reason.is_(None))
             .order_by(DutyRecord.occurred_on.desc(), DutyRecord.id))
    if kind:
        query = query.where(DutyRecord.kind == kind)
    if replied is not None:
        query = query.where(DutyRecord.reply_outcome.is_not(None) if replied else DutyRecord.reply_outcome.is_(None))
    if grid_ids is not None:
        serving = select(Assignment.deputy_id).where(Assignment.grid_id.in_(grid_ids), Assignment.ended_at.is_(None))
        living = select(Deputy.id).where(or_(Deputy.home_grid_id.in_(grid_ids), Deputy.work_grid_id.in_(grid_ids)))
        query = query.where(or_(DutyRecord.deputy_id.in_(serving), DutyRecord.deputy_id.in_(living)))
    return query


def listed(session, row: DutyRecord) -> dict:
    deputy = session.get(Deputy, row.deputy_id)
    return {**out(row), "deputy_name": deputy.name if deputy else None}
