"""Routing: handlers of the events it consumes, and the emit helpers every change goes through."""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import bindparam, delete, event as sa_event, insert, select

from wangge_common import redaction
from wangge_common.db import utcnow
from wangge_common.errors import NotFound
from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from . import domain
from .models import CaseTransition, DeadlineRule, Deputy, DispatchRule, Grid, GridDeputy, Holiday, RoutedCase, WorkOrder

PRESIDIUM = {"code": "town-congress-presidium", "name": "镇人大主席团"}
# A county matter goes through the township people's congress, which forwards it to the county department.
TOWNSHIP_CONGRESS = {"code": "town-congress", "name": "镇人大"}


# ---- emitting: one place where state changes become events and history rows -------------------------------------

# Built once: a history row is written for every event, and building a statement costs more than running it.
_INSERT_TRANSITION = insert(CaseTransition.__table__)
_HISTORY = "routing.pending_history"  # session.info key: the transaction's history rows, written at commit


def _log(uow: UnitOfWork, case_id: str, event: Event, data: dict, *, work_order_id=None) -> None:
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
        "actor": event.actor or "unknown", "reason": data.get("reason", ""), "at": datetime.fromisoformat(event.time),
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
    _log(uow, case.case_id, event, data)
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
    _log(uow, order.case_id, event, data)
    return event


def department(order: WorkOrder) -> dict:
    return {"code": order.department_code, "name": order.department_name}


# ---- lookups ---------------------------------------------------------------------------------------------------------

def get_case(session, case_id: str, *, lock: bool = False) -> RoutedCase:
    query = select(RoutedCase).where(RoutedCase.case_id == case_id)
    case = session.scalars(query.with_for_update() if lock else query).first()
    if case is None:
        raise NotFound(f"no case {case_id} in routing")
    return case


def lock_order(session, order_id: str) -> tuple[WorkOrder, RoutedCase]:
    """The work order and its case, locked case first: every writer takes the locks in that order."""
    case_id = session.scalar(select(WorkOrder.case_id).where(WorkOrder.id == order_id))
    if case_id is None:
        raise NotFound(f"no work order {order_id}")
    case = get_case(session, case_id, lock=True)
    return session.scalars(select(WorkOrder).where(WorkOrder.id == order_id).with_for_update()).one(), case


# ---- catalogue reads ---------------------------------------------------------------------------------------------

def load_rules(session) -> list[domain.Rule]:
    rows = session.scalars(select(DispatchRule).where(DispatchRule.active.is_(True))).all()
    return [domain.Rule(r.id, r.category, r.topic, r.level, r.department_code, r.department_name, r.priority)
            for r in rows]


def load_deadlines(session) -> list[domain.DeadlineRule]:
    rows = session.scalars(select(DeadlineRule).where(DeadlineRule.active.is_(True))).all()
    return [domain.DeadlineRule(r.id, r.category, r.topic, r.urgency, r.amount, r.unit, r.priority) for r in rows]


def calendar(session, start: datetime) -> dict:
    rows = session.execute(select(Holiday.day, Holiday.kind).where(Holiday.day >= start.date())).all()
    return {day: kind for day, kind in rows}


# ---- dispatch -------------------------------------------------------------------------------------------------------

def escalate_order(uow: UnitOfWork, case: RoutedCase, order: WorkOrder, step: str, *, trigger: str, reason: str,
                   action: str | None = None) -> None:
    """One step of 催办 → 督办 → 提级督办 on an order, by the ladder or by township congress staff: the event, and
    its effect: 督办 puts the order under the township congress presidium, 提级督办 under the county level."""
    target = domain.ladder_target(step, order.department_name, case.path)
    order.escalation_step = max(order.escalation_step, domain.LADDER.index(step) + 1)
    supervision = domain.supervision_after(order.supervision, step)
    if supervision != order.supervision:
        order.supervision, order.supervisor, order.supervised_at = supervision, target, utcnow()
    case_event(uow, case, "case.escalated", action, reason, step=step, trigger=trigger, work_order_id=order.id,
               department=department(order), target=target)


def deadline_from_dispatch(uow: UnitOfWork, order: WorkOrder) -> None:
    """Set the handling deadline of an order dispatched before deadlines ran from dispatch, counted from its
    dispatch all the same."""
    if order.due_at is not None:
        return
    rule = domain.DeadlineRule(None, None, None, None, order.deadline_amount or 15, order.deadline_unit or "working_days")
    order.due_at = domain.due_at(order.created_at, rule, calendar(uow.session, order.created_at))
    order.due_soon_at = domain.due_soon_at(order.created_at, order.due_at, uow.runtime.state.policy.due_soon_lead)


def order_deadlines(uow: UnitOfWork, rule: domain.DeadlineRule, start: datetime):
    """(due, due soon, sign by) of an order its department receives at `start`."""
    rules = uow.runtime.state.policy
    due = domain.due_at(start, rule, calendar(uow.session, start))
    return due, domain.due_soon_at(start, due, rules.due_soon_lead), start + rules.sign_within


def awaiting_forward(order: WorkOrder) -> bool:
    """A county order the township congress has not forwarded to its department yet."""
    return order.forward_due_at is not None and order.forwarded_at is None and order.state == "dispatched"


def dispatch(uow: UnitOfWork, case: RoutedCase, *, path: str, departments: list[dict], reason: str,
             rule_id: int | None = None, action: str = "assign", collect: list | None = None) -> list[WorkOrder]:
    """Open one work order per department (roles sole, or lead + members) and move the case to assigned.

    With `collect`, the orders are appended there instead of added to the session: the caller writes them."""
    rule = domain.pick_deadline(case.category, case.topic, case.urgency, uow.runtime.state.catalogue.deadline_rules(uow.session),
                                case.priority or "normal")
    now, rules = utcnow(), uow.runtime.state.policy
    # A county matter goes to the township congress first (转办, its own time limit); the department's signing limit
    # and handling deadline then count from the forward, provisionally from the forwarding limit until then.
    forward_due = now + rules.forward_within if path == "county" else None
    # The handling deadline runs from dispatch, not from signing: a department cannot stop the clock by not
    # signing; not signing within the signing limit (签收时限) is flagged by itself.
    due, due_soon, sign_due = order_deadlines(uow, rule, forward_due or now)
    orders = []
    for entry in departments:
        order = WorkOrder(id=entry.get("id") or str(uuid.uuid4()), case_id=case.case_id, grid_id=case.grid_id,
                          department_code=entry["code"],
                          department_name=entry["name"], state="dispatched", role=entry.get("role", "sole"),
                          rule_id=rule_id, deadline_rule=rule.name, deadline_amount=rule.amount,
                          deadline_unit=rule.unit, created_at=now, due_soon_marked=False,
                          overdue_marked=False, escalation_step=0, due_at=due, due_soon_at=due_soon,
                          sign_due_at=sign_due, sign_overdue_marked=False, forward_due_at=forward_due,
                          forward_overdue_marked=False, next_check_at=min(due_soon, forward_due or sign_due),
                          updated_at=now)
        if collect is None:
            uow.session.add(order)
        else:
            collect.append(order)
        orders.append(order)
    relay = {"forward_via": TOWNSHIP_CONGRESS, "forward_due_at": forward_due.isoformat()} if forward_due else {}
    for order in orders:
        order_event(uow, order, "work_order.dispatched", None, reason, role=order.role, deadline_rule=rule.name,
                    due_at=order.due_at.isoformat(), sign_due_at=order.sign_due_at.isoformat(), **relay)
    case.path = path
    if action == "assign":
        case_event(uow, case, "case.assigned", "assign", reason, path=path, work_orders=[
            {"work_order_id": o.id, "department": department(o), "role": o.role} for o in orders])
    return orders


def route(uow: UnitOfWork, case: RoutedCase, decision: domain.Triage, order_id: str | None = None, *,
          collect: list | None = None) -> None:
    """Act on a triage decision: dispatch, the major-issue procedure, or (manual) wait in the queue."""
    if decision.path in ("town", "county"):
        rule = decision.rule
        dispatch(uow, case, path=decision.path, rule_id=rule.id, reason=decision.reason, collect=collect,
                 departments=[{"id": order_id, "code": rule.department_code, "name": rule.department_name,
                               "role": "sole"}])
    elif decision.path == "major_issue":
        major_issue(uow, case, decision.reason, trigger="cannot_settle_in_grid", rule=decision.rule,
                    collect=collect)
    return decision


def major_issue(uow: UnitOfWork, case: RoutedCase, reason: str, *, trigger: str, rule=None,
                collect: list | None = None) -> None:
    """The grid's major-issue procedure (网格重大问题处理流程): escalate to the township congress presidium, which
    receives the work order."""
    target = {"code": rule.department_code, "name": rule.department_name} if rule else PRESIDIUM
    grid = uow.session.get(Grid, case.grid_id)
    where = f"{grid.name} " if grid else ""
    case_event(uow, case, "case.escalated", "escalate", reason, step="major_issue", trigger=trigger,
               work_order_id=None, department=None, target=f"{where}{target['name']}"[:200])
    dispatch(uow, case, path="major_issue", rule_id=rule.id if rule else None, reason=f"major issue: {reason}",
             departments=[{**target, "role": "sole"}], collect=collect)


# Core statements on the tables (no ORM entities: cheaper to run), built once.
_grid_deputies, _routed_cases = GridDeputy.__table__.c, RoutedCase.__table__.c
_GRID_DEPUTIES = (select(_grid_deputies.deputy_id, _grid_deputies.level)
                  .where(_grid_deputies.grid_id == bindparam("grid_id")).order_by(_grid_deputies.deputy_id))
_GRID_CACHE = "routing.grid_deputies"  # session.info key: grid id -> its deputies, read in this transaction
_CASE_EXISTS = select(_routed_cases.case_id).where(_routed_cases.case_id == bindparam("case_id"))


def first_receiver(session, grid_id: str, received_by: dict) -> str | None:
    """首问责任人: the deputy who received the matter, else the grid's township deputy from the read copy."""
    if received_by.get("kind") == "deputy":
        try:
            return str(uuid.UUID(received_by["id"]))
        except ValueError:
            return None
    # Per transaction: a batch of records often brings several cases of one grid; roster events clear it.
    cached = session.info.setdefault(_GRID_CACHE, {})
    rows = cached.get(grid_id)
    if rows is None:
        rows = cached[grid_id] = session.connection().execute(_GRID_DEPUTIES, {"grid_id": grid_id}).all()
    township = [d for d, level in rows if level == "township"]
    return (township or [d for d, _ in rows] or [None])[0]


# ---- consumed events ------------------------------------------------------------------------------------------------

def on_case_registered(uow: UnitOfWork, event: Event) -> None:
    """Triage a new case against the dispatch catalogue and open its work order(s)."""
    # Nothing here reads back what it wrote: one flush at commit instead of one per emitted event.
    with uow.session.no_autoflush:
        _register(uow, event)


def _register(uow: UnitOfWork, event: Event) -> None:
    data, session = event.data, uow.session
    if session.connection().execute(_CASE_EXISTS, {"case_id": data["case_id"]}).first() is not None:
        return
    registered_at = datetime.fromisoformat(data["received_at"])
    rules = uow.runtime.state.policy
    case = RoutedCase(case_id=data["case_id"], tracking_code=data.get("tracking_code"), grid_id=data["grid_id"],
                      category=data["category"], topic=data.get("topic"), urgency=data["urgency"],
                      priority=data.get("priority") or domain.derive_priority(data["urgency"], data["special_groups"]),
                      state="triaged", registered_at=registered_at, received_by_kind=data["received_by"]["kind"],
                      received_by_id=data["received_by"]["id"], return_count=0, reopen_count=0,
                      evaluation_round=0, reply_due_at=registered_at + rules.reply_within,
                      reply_check_at=registered_at + rules.reply_within,
                      first_receiver_deputy_id=first_receiver(session, data["grid_id"], data["received_by"]),
                      updated_at=utcnow())
    decision = domain.triage(case.category, case.topic, uow.runtime.state.catalogue.dispatch_rules(uow.session))
    case.path = decision.path
    order_id = str(uuid.uuid4()) if decision.path in ("town", "county") else None
    triaged = uow.emit("case.triaged", case.case_id, new_subject=True, data={
        "case_id": case.case_id, "path": decision.path,
        "department": ({"code": decision.rule.department_code, "name": decision.rule.department_name}
                       if decision.rule else None),
        "work_order_id": order_id, "rule_id": decision.rule.id if decision.rule else None, "reason": decision.reason,
        "first_receiver_deputy_id": case.first_receiver_deputy_id,  # 首问责任人: notify tells this deputy only
    })
    _log(uow, case.case_id, triaged, {**triaged.data, "state": "triaged", "previous_state": "registered"})
    orders: list[WorkOrder] = []
    route(uow, case, decision, order_id, collect=orders)
    # The new case and its orders are ORM objects for the shared helpers, but never enter the session: two Core
    # INSERTs cost a fraction of a unit-of-work flush, on the path every case takes. Later statements of this
    # transaction (the next record of a batch) see the rows as usual.
    connection = session.connection()
    connection.execute(_INSERT_CASE, _row(case))
    if orders:
        connection.execute(_INSERT_ORDER, [_row(order) for order in orders])


_INSERT_CASE, _INSERT_ORDER = insert(RoutedCase.__table__), insert(WorkOrder.__table__)


def _row(instance) -> dict:
    """Every column of a transient instance (unset ones None), for a Core INSERT."""
    return {column.key: getattr(instance, column.key) for column in instance.__table__.columns}


def on_case_withdrawn(uow: UnitOfWork, event: Event) -> None:
    """The reporter withdrew: stop every open work order and close the case as withdrawn."""
    case = uow.session.get(RoutedCase, event.data["case_id"])
    if case is None or case.state in domain.TERMINAL:
        return
    reason = f"withdrawn ({event.data['requested_by']}): {event.data['reason']}"
    for order in open_orders(uow.session, case.case_id):
        order_event(uow, order, "work_order.cancelled", "cancel", reason)
    finish(uow, case, "withdraw", outcome="withdrawn", reason=reason)


def on_case_supplemented(uow: UnitOfWork, event: Event) -> None:
    """More information arrived: keep it in the case history so the handling department sees it."""
    case = uow.session.get(RoutedCase, event.data["case_id"])
    if case is None:
        return
    data = {**event.data, "state": case.state, "previous_state": case.state}
    _log(uow, case.case_id, event, data)


def finish(uow: UnitOfWork, case: RoutedCase, action: str, *, outcome: str, reason: str) -> None:
    """Close the case (or record its withdrawal) with the figures reporting needs."""
    case.outcome, case.closed_at = outcome, utcnow()
    case.reply_check_at = case.evaluation_check_at = None
    case_event(uow, case, "case.closed", action, reason, outcome=outcome, on_time=case.on_time,
               reopen_count=case.reopen_count, registered_at=case.registered_at.isoformat())


def open_orders(session, case_id: str) -> list[WorkOrder]:
    return session.scalars(select(WorkOrder).where(WorkOrder.case_id == case_id,
                                                   WorkOrder.state.in_(domain.OPEN_ORDER_STATES))
                           .order_by(WorkOrder.created_at, WorkOrder.id)).all()


# ---- roster read copies (roster.v1) ---------------------------------------------------------------------------------

def on_grid(uow: UnitOfWork, event: Event) -> None:
    data = event.data
    grid = uow.session.get(Grid, data["grid_id"]) or Grid(grid_id=data["grid_id"])
    grid.code, grid.name, grid.level, grid.parent_id = data["code"], data["name"], data["level"], data["parent_id"]
    uow.session.add(grid)


def on_deputy(uow: UnitOfWork, event: Event) -> None:
    data = event.data
    deputy = uow.session.get(Deputy, data["deputy_id"]) or Deputy(deputy_id=data["deputy_id"])
    deputy.name, deputy.level, deputy.status = data["name"], data["level"], data["status"]
    uow.session.add(deputy)


def on_assignment_published(uow: UnitOfWork, event: Event) -> None:
    """One event per grid with the full deputy list: replace the grid's list."""
    data = event.data
    uow.session.info.pop(_GRID_CACHE, None)
    uow.session.execute(delete(GridDeputy).where(GridDeputy.grid_id == data["grid_id"]))
    uow.session.add_all([GridDeputy(grid_id=data["grid_id"], deputy_id=d["deputy_id"], kind=d["kind"],
                                    level=d["level"]) for d in data["deputies"]])


def on_assignment_ended(uow: UnitOfWork, event: Event) -> None:
    uow.session.info.pop(_GRID_CACHE, None)
    uow.session.execute(delete(GridDeputy).where(GridDeputy.grid_id == event.data["grid_id"],
                                                 GridDeputy.deputy_id == event.data["deputy_id"]))


HANDLERS = {
    "case.registered": on_case_registered,
    "case.withdrawn": on_case_withdrawn,
    "case.supplemented": on_case_supplemented,
    "grid.created": on_grid,
    "grid.updated": on_grid,
    "deputy.registered": on_deputy,
    "deputy.updated": on_deputy,
    "assignment.published": on_assignment_published,
    "assignment.ended": on_assignment_ended,
}
