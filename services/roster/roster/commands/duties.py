"""A deputy's duty record (履职登记): record, answer a suggestion, withdraw.

Every change is an event on roster.v1 keyed by the deputy (`duty.recorded`, `duty.replied`, `duty.withdrawn`), so
reporting counts them for 五个一 and the annual report. Titles and summaries stay in roster: they can name people.
A record is never edited or deleted: a wrong one is withdrawn (with who and why) and recorded again.
"""
from __future__ import annotations

import uuid

from wangge_common import clock
from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import DutyRecord
from ..queries.deputies import get_deputy
from ..queries.duties import get
from ..queries.grids import get_grid


def record(uow: UnitOfWork, deputy_id: str, data: dict) -> DutyRecord:
    """A new entry of the duty record; emits duty.recorded."""
    session = uow.session
    deputy = get_deputy(session, deputy_id)
    if deputy.status != "serving":
        raise Conflict(f"the deputy is {deputy.status}; only a serving deputy's duties are recorded")
    problems = domain.duty_problems(data["kind"], data["occurred_on"], clock.local_date(clock.now()),
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
        raise Conflict(f"only a suggestion gets a reply; this record is a {domain.DUTY_KIND_NAMES_ZH[row.kind]}")
    if row.withdrawn_reason:
        raise Conflict("the record was withdrawn")
    replied_on = data["replied_on"]
    if replied_on > clock.local_date(clock.now()):
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


