"""A deputy's duty record (履职登记): record, answer a suggestion, withdraw; read a year with its targets.

Every change is an event on roster.v1 keyed by the deputy (`duty.recorded`, `duty.replied`, `duty.withdrawn`), so
reporting counts them for 五个一 and the annual report. Titles and summaries stay in roster: they can name people.
A record is never edited or deleted: a wrong one is withdrawn (with who and why) and recorded again.
"""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import extract, select

from wangge_common.errors import Conflict, Invalid, NotFound
from wangge_common.outbox import UnitOfWork

from . import duties_rules as rules
from .handlers import get_deputy, get_grid
from .models import Assignment, DutyRecord
from .receptions import today_in_china


def deputy_grids(session, deputy) -> set[str]:
    """The grids a deputy lives, works or serves in (a person limited to grids may record for such a deputy)."""
    serving = session.scalars(select(Assignment.grid_id).where(Assignment.deputy_id == deputy.id,
                                                               Assignment.ended_at.is_(None))).all()
    return {g for g in (deputy.home_grid_id, deputy.work_grid_id, *serving) if g}


def record(uow: UnitOfWork, deputy_id: str, data: dict) -> DutyRecord:
    """A new entry of the duty record; emits duty.recorded."""
    session = uow.session
    deputy = get_deputy(session, deputy_id)
    if deputy.status != "serving":
        raise Conflict(f"the deputy is {deputy.status}; only a serving deputy's duties are recorded")
    problems = rules.record_problems(data["kind"], data["occurred_on"], today_in_china(),
                                     addressed_to=data.get("addressed_to"))
    grid_id = str(data["grid_id"]) if data.get("grid_id") else None
    if grid_id:
        get_grid(session, grid_id)
    if problems:
        raise Invalid(problems)
    row = DutyRecord(id=str(uuid.uuid4()), deputy_id=deputy.id, kind=data["kind"], occurred_on=data["occurred_on"],
                     title=data["title"].strip(), summary=data.get("summary"), grid_id=grid_id,
                     addressed_to=(data.get("addressed_to") or "").strip() or None, recorded_by=uow.actor)
    session.add(row)
    session.flush()
    uow.emit("duty.recorded", deputy.id, {"record_id": row.id, "deputy_id": deputy.id, "kind": row.kind,
                                          "occurred_on": row.occurred_on.isoformat(), "grid_id": grid_id})
    return row


def reply(uow: UnitOfWork, record_id: str, data: dict) -> DutyRecord:
    """The department's reply to a suggestion (答复), entered by the office that received it; emits duty.replied.
    A later reply (the department answers again) is a new event; the record keeps the latest."""
    row = get(uow.session, record_id)
    if row.kind != "suggestion":
        raise Conflict(f"only a suggestion gets a reply; this record is a {rules.KIND_NAMES_ZH[row.kind]}")
    if row.withdrawn_reason:
        raise Conflict("the record was withdrawn")
    replied_on = data["replied_on"]
    if replied_on > today_in_china():
        raise Invalid([("replied_on", "must not be in the future")])
    if replied_on < row.occurred_on:
        raise Invalid([("replied_on", f"must not be before the suggestion was made ({row.occurred_on.isoformat()})")])
    row.reply_outcome, row.reply_text, row.replied_on = data["outcome"], data["text"].strip(), replied_on
    uow.session.flush()
    uow.emit("duty.replied", row.deputy_id, {"record_id": row.id, "deputy_id": row.deputy_id,
                                             "outcome": row.reply_outcome, "replied_on": replied_on.isoformat()})
    return row


def withdraw(uow: UnitOfWork, record_id: str, reason: str) -> DutyRecord:
    """A record entered by mistake is withdrawn, never deleted; emits duty.withdrawn."""
    row = get(uow.session, record_id)
    if row.withdrawn_reason:
        raise Conflict("the record was already withdrawn")
    row.withdrawn_reason, row.withdrawn_by = reason.strip(), uow.actor
    uow.session.flush()
    uow.emit("duty.withdrawn", row.deputy_id, {"record_id": row.id, "deputy_id": row.deputy_id,
                                               "reason": row.withdrawn_reason})
    return row


def get(session, record_id: str) -> DutyRecord:
    row = session.get(DutyRecord, record_id)
    if row is None:
        raise NotFound(f"no duty record {record_id}")
    return row


def out(row: DutyRecord) -> dict:
    return {"id": row.id, "deputy_id": row.deputy_id, "kind": row.kind, "kind_zh": rules.KIND_NAMES_ZH[row.kind],
            "occurred_on": row.occurred_on, "title": row.title, "summary": row.summary, "grid_id": row.grid_id,
            "addressed_to": row.addressed_to, "recorded_by": row.recorded_by, "recorded_at": row.recorded_at,
            "reply": None if not row.reply_outcome else {
                "outcome": row.reply_outcome, "outcome_zh": rules.REPLY_OUTCOMES[row.reply_outcome],
                "text": row.reply_text, "replied_on": row.replied_on},
            "withdrawn": row.withdrawn_reason is not None, "withdrawn_reason": row.withdrawn_reason,
            "withdrawn_by": row.withdrawn_by}


def year_of(session, deputy_id: str, year: int | None = None, kind: str | None = None,
            today: date | None = None) -> dict:
    """A deputy's records of one year (withdrawn ones listed too, not counted) and the targets they meet."""
    deputy = get_deputy(session, deputy_id)
    today = today or today_in_china()
    year = year or today.year
    query = (select(DutyRecord).where(DutyRecord.deputy_id == deputy.id,
                                      extract("year", DutyRecord.occurred_on) == year)
             .order_by(DutyRecord.occurred_on.desc(), DutyRecord.recorded_at.desc()))
    rows = session.scalars(query).all()
    counted = [(r.kind, r.occurred_on) for r in rows if r.withdrawn_reason is None]
    targets = rules.yearly_targets(year, counted, today)
    counts = {k: sum(1 for kind, _ in counted if kind == k) for k in rules.KINDS}
    return {"deputy_id": deputy.id, "name": deputy.name, "year": year,
            "counts": counts, "targets": [t.__dict__ for t in targets],
            "items": [out(r) for r in rows if kind is None or r.kind == kind]}
