"""Dispatching work orders (派单), their deadlines, the major-issue procedure and the escalation ladder's effect."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from wangge_common import clock
from wangge_common.db import utcnow
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..domain import PRESIDIUM, TOWNSHIP_CONGRESS
from ..models import Grid, Holiday, RoutedCase, WorkOrder
from .lifecycle import case_event, department, order_event


def calendar(session, start: datetime) -> dict:
    rows = session.execute(select(Holiday.day, Holiday.kind).where(Holiday.day >= start.date())).all()
    return {day: kind for day, kind in rows}


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
    rule = domain.recorded_deadline(order.deadline_amount, order.deadline_unit)
    order.due_at = domain.due_at(order.created_at, rule, calendar(uow.session, order.created_at))
    order.due_soon_at = domain.due_soon_at(order.created_at, order.due_at, uow.runtime.state.policy.due_soon_lead)


def order_deadlines(uow: UnitOfWork, rule: domain.DeadlineRule, start: datetime):
    """(due, due soon, sign by) of an order its department receives at `start`."""
    rules = uow.runtime.state.policy
    due = domain.due_at(start, rule, calendar(uow.session, start))
    return due, domain.due_soon_at(start, due, rules.due_soon_lead), start + rules.sign_within


def dispatch(uow: UnitOfWork, case: RoutedCase, *, path: str, departments: list[dict], reason: str,
             rule_id: int | None = None, action: str = "assign", collect: list | None = None) -> list[WorkOrder]:
    """Open one work order per department (roles sole, or lead + members) and move the case to assigned.

    With `collect`, the orders are appended there instead of added to the session: the caller writes them."""
    rule = domain.pick_deadline(case.category, case.topic, case.urgency,
                                uow.runtime.state.catalogue.deadline_rules(uow.session), case.priority or "normal")
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
    relay = {"forward_via": TOWNSHIP_CONGRESS, "forward_due_at": clock.wire_time(forward_due)} if forward_due else {}
    for order in orders:
        order_event(uow, order, "work_order.dispatched", None, reason, role=order.role, deadline_rule=rule.name,
                    due_at=clock.wire_time(order.due_at), sign_due_at=clock.wire_time(order.sign_due_at), **relay)
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
