"""The one place where routing's state changes become events and case history rows."""
from __future__ import annotations

import json

from sqlalchemy import event as sa_event, insert, select

from wangge_common import clock, redaction
from wangge_common.db import utcnow
from wangge_common.envelope import Event
from wangge_common.errors import NotFound
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import CaseTransition, RoutedCase, WorkOrder
from ..queries import get_case

# Built once: a history row is written for every event, and building a statement costs more than running it.
_INSERT_TRANSITION = insert(CaseTransition.__table__)
_HISTORY = "routing.pending_history"  # session.info key: the transaction's history rows, written at commit


def log_history(uow: UnitOfWork, case_id: str, event: Event, data: dict, *, work_order_id=None) -> None:
    """The case history row of an event. History is append-only and nothing reads it inside the transaction that
    writes it, so the rows wait in the session and go in one multi-row INSERT just before the commit (one
    statement per transaction, however many events a batch of records emits), in the order they were made.
    (Routing takes no savepoints; one that rolled back would have to drop the rows it logged.)"""
    session = uow.session
    rows = session.info.get(_HISTORY)
    if rows is None:
        rows = session.info[_HISTORY] = []
        sa_event.listen(session, "before_commit", _write_history)
        sa_event.listen(session, "after_rollback", _forget_history)
    rows.append({
        "case_id": case_id, "event_id": event.id, "event_type": event.type, "state": data.get("state"),
        "previous_state": data.get("previous_state"), "work_order_id": work_order_id or data.get("work_order_id"),
        "actor": event.actor or "unknown", "reason": data.get("reason", ""), "at": clock.parse_time(event.time),
        "details": json.dumps(data, ensure_ascii=False)})


def _write_history(session) -> None:
    rows = session.info.get(_HISTORY)
    if rows:
        session.connection().execute(_INSERT_TRANSITION, rows)
        rows.clear()


def _forget_history(session) -> None:
    rows = session.info.get(_HISTORY)
    if rows:
        rows.clear()


# Fields of routing's events that staff type freely: a phone, ID number or e-mail written there is masked before
# the event is written (cases.v1, and so reporting's audit log and notify's messages never hold it in clear).
FREE_TEXT = ("reason", "summary", "comment")


def _redacted(data: dict) -> dict:
    for name in FREE_TEXT:
        if isinstance(data.get(name), str):
            data[name] = redaction.redact(data[name])
    data["reason"] = data["reason"][:500]  # a mask can be a few characters longer than what it hides
    return data


def case_event(uow: UnitOfWork, case: RoutedCase, event_type: str, action: str | None, reason: str,
               **fields) -> Event:
    """Move the case by `action` through the transition table (None: state unchanged) and emit `event_type`."""
    previous = case.state
    if action:  # events that leave the state alone leave the row alone (no lock taken on it by the scheduler)
        case.state = domain.next_state(previous, action)
        case.updated_at = utcnow()
    data = _redacted({"case_id": case.case_id, "state": case.state, "previous_state": previous,
                      "reason": reason[:500], **fields})
    event = uow.emit(event_type, case.case_id, data)
    log_history(uow, case.case_id, event, data)
    return event


def order_event(uow: UnitOfWork, order: WorkOrder, event_type: str, action: str | None, reason: str,
                **fields) -> Event:
    """Move the work order by `action` and emit `event_type` (keyed by the case id)."""
    previous = None if event_type == "work_order.dispatched" else order.state
    if action:
        order.state = domain.next_order_state(order.state, action)
    if order.state not in domain.OPEN_ORDER_STATES:
        order.next_check_at = None  # a finished order needs no more watching
    data = _redacted({"case_id": order.case_id, "work_order_id": order.id, "department": department(order),
                      "state": order.state, "previous_state": previous, "reason": reason[:500], **fields})
    event = uow.emit(event_type, order.case_id, data)
    log_history(uow, order.case_id, event, data)
    return event


def department(order: WorkOrder) -> dict:
    return {"code": order.department_code, "name": order.department_name}


def finish(uow: UnitOfWork, case: RoutedCase, action: str, *, outcome: str, reason: str) -> None:
    """Close the case (or record its withdrawal) with the figures reporting needs."""
    case.outcome, case.closed_at = outcome, utcnow()
    case.reply_check_at = case.evaluation_check_at = None
    case_event(uow, case, "case.closed", action, reason, outcome=outcome, on_time=case.on_time,
               reopen_count=case.reopen_count, registered_at=clock.wire_time(case.registered_at))


def open_orders(session, case_id: str) -> list[WorkOrder]:
    return session.scalars(select(WorkOrder).where(WorkOrder.case_id == case_id,
                                                   WorkOrder.state.in_(domain.OPEN_ORDER_STATES))
                           .order_by(WorkOrder.created_at, WorkOrder.id)).all()


def lock_order(session, order_id: str) -> tuple[WorkOrder, RoutedCase]:
    """The work order and its case, locked case first: every writer takes the locks in that order."""
    case_id = session.scalar(select(WorkOrder.case_id).where(WorkOrder.id == order_id))
    if case_id is None:
        raise NotFound(f"no work order {order_id}")
    case = get_case(session, case_id, lock=True)
    return session.scalars(select(WorkOrder).where(WorkOrder.id == order_id).with_for_update()).one(), case


CATALOGUE_KEY = "dispatch-catalogue"  # every dispatch line's change on one key: the topic lists arrive in order


def announce(uow, kind: str, action: str, item: str, *, values: dict | None, reason: str | None,
             version: int | None = None, lineage_id: int | None = None, topics: list[str] | None = None) -> None:
    """A change of routing's rules as `catalogue.changed`, in the change's transaction: reporting's audit log keeps
    it with its actor like every other event. A dispatch line's change also carries the full list of topics the
    active catalogue routes (intake keeps it to refuse a topic nothing routes), keyed so the lists stay in order."""
    key = CATALOGUE_KEY if topics is not None else f"{kind}:{lineage_id or item}"
    data = {"kind": kind, "action": action, "item": str(item)[:80], "version": version, "lineage_id": lineage_id,
            "values": values, "reason": redaction.redact(reason)[:500] if reason else None}
    if topics is not None:
        data["topics"] = topics
    uow.emit("catalogue.changed", key, data=data)
