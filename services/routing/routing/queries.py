"""Routing's read side: cases with their history, work orders, the manual triage queue."""
from __future__ import annotations

from sqlalchemy import exists, func, select

from wangge_common.errors import NotFound
from wangge_common.paging import changed_since, paginate

from . import domain
from .handlers import get_case
from .models import CaseTransition, RoutedCase, WorkOrder


def case_detail(session, case_id: str) -> dict:
    case = get_case(session, case_id)
    orders = session.scalars(select(WorkOrder).where(WorkOrder.case_id == case_id)
                             .order_by(WorkOrder.created_at, WorkOrder.id)).all()
    history = session.scalars(select(CaseTransition).where(CaseTransition.case_id == case_id)
                              .order_by(CaseTransition.id)).all()
    return {**{c.key: getattr(case, c.key) for c in RoutedCase.__table__.columns}, "work_orders": orders,
            "history": history}


def list_cases(session, *, state=None, grid_id=None, grid_ids=None, first_receiver=None, queue=None, page=1,
               page_size=100, updated_since=None, after=None):
    query = select(RoutedCase)
    if first_receiver:
        query = query.where(RoutedCase.first_receiver_deputy_id == str(first_receiver))
    if grid_ids is not None:  # a person's data scope
        query = query.where(RoutedCase.grid_id.in_(grid_ids))
    if state:
        query = query.where(RoutedCase.state == state)
    if grid_id:
        query = query.where(RoutedCase.grid_id == str(grid_id))
    if queue == "manual":  # waiting for a person to route it: no open work order
        open_order = exists().where(WorkOrder.case_id == RoutedCase.case_id,
                                    WorkOrder.state.in_(domain.OPEN_ORDER_STATES))
        query = query.where(RoutedCase.state.in_(domain.OPEN_FOR_ROUTING), ~open_order)
    query = query.order_by(RoutedCase.registered_at, RoutedCase.case_id)
    feed = {"updated_since": updated_since, "after": after}
    return paginate(session, changed_since(query, feed, RoutedCase.updated_at, RoutedCase.case_id), page, page_size)


def list_work_orders(session, *, case_id=None, department=None, state=None, due_before=None, overdue=None,
                     supervision=None, sort="created", page=1, page_size=100, departments=None,
                     grid_ids=None, updated_since=None, after=None) -> dict:
    query = select(WorkOrder)
    if departments is not None:  # a person's data scope
        query = query.where(WorkOrder.department_code.in_(departments))
    if grid_ids is not None:
        query = query.where(WorkOrder.case_id.in_(select(RoutedCase.case_id).where(RoutedCase.grid_id.in_(grid_ids))))
    if case_id:
        query = query.where(WorkOrder.case_id == str(case_id))
    if department:
        query = query.where(WorkOrder.department_code == department)
    if state:
        query = query.where(WorkOrder.state == state)
    if due_before:
        query = query.where(WorkOrder.due_at < due_before)
    if overdue is not None:
        query = query.where(WorkOrder.overdue_marked.is_(overdue))
    if supervision:
        query = query.where(WorkOrder.supervision == supervision)
    order = (WorkOrder.due_at.is_(None), WorkOrder.due_at) if sort == "due" else ()
    query = query.order_by(*order, WorkOrder.created_at, WorkOrder.id)
    feed = {"updated_since": updated_since, "after": after}
    return paginate(session, changed_since(query, feed, WorkOrder.updated_at, WorkOrder.id), page, page_size)


def get_work_order(session, order_id: str) -> WorkOrder:
    order = session.get(WorkOrder, order_id)
    if order is None:
        raise NotFound(f"no work order {order_id}")
    return order


def reconcile_cases(session, case_ids: list[str]) -> dict:
    """{case id: {"state", "work_orders"}} for the ids routing holds; reconciliation reports the others missing."""
    found = {case_id: {"state": state, "work_orders": 0} for case_id, state in session.execute(
        select(RoutedCase.case_id, RoutedCase.state).where(RoutedCase.case_id.in_(case_ids)))}
    for case_id, count in session.execute(select(WorkOrder.case_id, func.count()).where(
            WorkOrder.case_id.in_(list(found))).group_by(WorkOrder.case_id)):
        found[case_id]["work_orders"] = count
    return found
