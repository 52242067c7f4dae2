"""Routing: handlers of the events it consumes, and its queries."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from . import domain
from .models import DispatchRule, RoutedCase, WorkOrder


def _rules(session) -> list[domain.Rule]:
    rows = session.scalars(select(DispatchRule).where(DispatchRule.active.is_(True))).all()
    return [domain.Rule(r.id, r.category, r.topic, r.level, r.department_code, r.department_name, r.priority)
            for r in rows]


def on_case_registered(uow: UnitOfWork, event: Event) -> None:
    """Triage a new case against the dispatch catalogue; open a work order; emit case.triaged."""
    data, session = event.data, uow.session
    if session.get(RoutedCase, data["case_id"]) is not None:
        return
    decision = domain.triage(data["category"], data.get("topic"), _rules(session))
    case = RoutedCase(case_id=data["case_id"], grid_id=data["grid_id"], category=data["category"],
                      topic=data.get("topic"), urgency=data["urgency"], path=decision.path,
                      state="triaged", registered_at=datetime.fromisoformat(data["received_at"]))
    session.add(case)
    order = None
    if decision.rule is not None:
        order = WorkOrder(id=str(uuid.uuid4()), case_id=case.case_id, department_code=decision.rule.department_code,
                          department_name=decision.rule.department_name, state="dispatched", rule_id=decision.rule.id)
        session.add(order)
    session.flush()
    uow.emit("case.triaged", case.case_id, new_subject=True, data={
        "case_id": case.case_id, "path": decision.path,
        "department": {"code": order.department_code, "name": order.department_name} if order else None,
        "work_order_id": order.id if order else None, "rule_id": decision.rule.id if decision.rule else None,
        "reason": decision.reason,
    })


def list_work_orders(session, *, case_id=None, department=None, state=None, page=1, page_size=100) -> list[WorkOrder]:
    query = select(WorkOrder)
    if case_id:
        query = query.where(WorkOrder.case_id == str(case_id))
    if department:
        query = query.where(WorkOrder.department_code == department)
    if state:
        query = query.where(WorkOrder.state == state)
    return session.scalars(query.order_by(WorkOrder.created_at, WorkOrder.id)
                           .limit(page_size).offset((page - 1) * page_size)).all()


HANDLERS = {"case.registered": on_case_registered}
