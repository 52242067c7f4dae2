"""Routing's read side: cases with their history, work orders, the manual triage queue, the catalogue and the
holiday calendar, evaluation links."""
from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case as when, exists, extract, func, select

from wangge_common.auth import AuthError
from wangge_common.errors import NotFound
from wangge_common.paging import changed_since, paginate

from .. import domain
from ..models import (RULE_TABLES, CaseTransition, DeadlineRule, DispatchRule, Evaluation, Holiday, HolidayChange,
                     RoutedCase, WorkOrder)


def get_case(session, case_id: str, *, lock: bool = False) -> RoutedCase:
    query = select(RoutedCase).where(RoutedCase.case_id == case_id)
    case = session.scalars(query.with_for_update() if lock else query).first()
    if case is None:
        raise NotFound(f"no case {case_id} in routing")
    return case


def case_detail(session, case_id: str) -> dict:
    case = get_case(session, case_id)
    orders = session.scalars(select(WorkOrder).where(WorkOrder.case_id == case_id)
                             .order_by(WorkOrder.created_at, WorkOrder.id)).all()
    history = session.scalars(select(CaseTransition).where(CaseTransition.case_id == case_id)
                              .order_by(CaseTransition.id)).all()
    return {**{c.key: getattr(case, c.key) for c in RoutedCase.__table__.columns}, "work_orders": orders,
            "history": history}


def list_cases(session, *, state=None, grid_id=None, grid_ids=None, first_receiver=None, queue=None, priority=None,
               path=None, open=None, departments=None, page=1, page_size=100, updated_since=None, after=None):
    query = select(RoutedCase)
    if priority:
        query = query.where(RoutedCase.priority == priority)
    if departments is not None:  # a department handler's data scope: cases it has (had) an order for
        query = query.where(RoutedCase.case_id.in_(select(WorkOrder.case_id)
                                                   .where(WorkOrder.department_code.in_(departments))))
    if path:
        query = query.where(RoutedCase.path == path)
    if open is not None:
        finished = RoutedCase.state.in_(domain.TERMINAL)
        query = query.where(~finished if open else finished)
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


def list_work_orders(session, *, sort="created", page=1, page_size=100, updated_since=None, after=None,
                     **filters) -> dict:
    """A page of work orders matching `filters` (the keyword arguments of _order_filters and _order_flags)."""
    query = select(WorkOrder).where(*_order_filters(**{k: v for k, v in filters.items() if k not in FLAGS}),
                                    *_order_flags(**{k: v for k, v in filters.items() if k in FLAGS}))
    order = (WorkOrder.due_at.is_(None), WorkOrder.due_at) if sort == "due" else ()
    query = query.order_by(*order, WorkOrder.created_at, WorkOrder.id)
    feed = {"updated_since": updated_since, "after": after}
    found = paginate(session, changed_since(query, feed, WorkOrder.updated_at, WorkOrder.id), page, page_size)
    _with_case(session, found["items"])
    return found


def _order_filters(*, case_id=None, department=None, state=None, due_before=None, supervision=None, priority=None,
                   grid_id=None, step=None, departments=None, grid_ids=None) -> list:
    """The conditions on an order's own values, and the caller's data scope."""
    conditions = []
    if priority:
        conditions.append(WorkOrder.case_id.in_(select(RoutedCase.case_id).where(RoutedCase.priority == priority)))
    if grid_id:  # the order carries its case's grid
        conditions.append(WorkOrder.grid_id == str(grid_id))
    if step:
        conditions.append(WorkOrder.escalation_step == domain.LADDER.index(step) + 1)
    if departments is not None:  # a person's data scope
        conditions.append(WorkOrder.department_code.in_(departments))
    if grid_ids is not None:  # a person's data scope: the order carries its case's grid
        conditions.append(WorkOrder.grid_id.in_(grid_ids))
    if case_id:
        conditions.append(WorkOrder.case_id == str(case_id))
    if department:
        conditions.append(WorkOrder.department_code == department)
    if state:
        conditions.append(WorkOrder.state == state)
    if due_before:
        conditions.append(WorkOrder.due_at < due_before)
    if supervision:
        conditions.append(WorkOrder.supervision == supervision)
    return conditions


FLAGS = ("open", "due_soon", "extension_pending", "awaiting_forward", "overdue")


def _order_flags(**flags) -> list:
    """The yes/no filters: each given flag keeps the orders its condition holds for (true) or not (false)."""
    conditions = {
        "open": WorkOrder.state.in_(domain.OPEN_ORDER_STATES),
        "due_soon": WorkOrder.due_soon_marked.is_(True) & WorkOrder.overdue_marked.is_(False),
        "extension_pending": WorkOrder.extension_requested_due_at.is_not(None),
        "awaiting_forward": (WorkOrder.forward_due_at.is_not(None) & WorkOrder.forwarded_at.is_(None)
                             & (WorkOrder.state == "dispatched")),
    }
    found = [conditions[name] if wanted else ~conditions[name] for name, wanted in flags.items()
             if wanted is not None and name in conditions]
    if flags.get("overdue") is not None:
        found.append(WorkOrder.overdue_marked.is_(flags["overdue"]))
    return found


def escalation_ladder(session, *, open=True, grid_ids=None, departments=None) -> list[dict]:
    """The escalation ladder (催办 → 督办 → 提级督办) by the grid of the orders' cases: per grid and step, how many
    orders stand at that step and of how many cases; with `open`, only orders still with the department."""
    query = (select(RoutedCase.grid_id, WorkOrder.escalation_step, func.count(WorkOrder.id),
                    func.count(func.distinct(WorkOrder.case_id)))
             .join(RoutedCase, RoutedCase.case_id == WorkOrder.case_id).where(WorkOrder.escalation_step > 0))
    if open:
        query = query.where(WorkOrder.state.in_(domain.OPEN_ORDER_STATES))
    if grid_ids is not None:  # a person's data scope
        query = query.where(RoutedCase.grid_id.in_(grid_ids))
    if departments is not None:
        query = query.where(WorkOrder.department_code.in_(departments))
    rows = session.execute(query.group_by(RoutedCase.grid_id, WorkOrder.escalation_step)
                           .order_by(RoutedCase.grid_id, WorkOrder.escalation_step))
    return [{"grid_id": grid, "step": domain.LADDER[min(step, len(domain.LADDER)) - 1], "orders": orders,
             "cases": cases} for grid, step, orders, cases in rows]


def board(session, limit: int) -> tuple[list, list]:
    """The public board's reads: open orders per department (total, overdue), and the open orders with their case's
    tracking code, category and priority, the soonest deadline first."""
    per_department = session.execute(
        select(WorkOrder.department_name, func.count(),
               func.sum(when((WorkOrder.overdue_marked.is_(True), 1), else_=0)))
        .where(WorkOrder.state.in_(domain.OPEN_ORDER_STATES))
        .group_by(WorkOrder.department_name).order_by(func.count().desc())).all()
    orders = session.execute(
        select(WorkOrder, RoutedCase.tracking_code, RoutedCase.category, RoutedCase.priority)
        .join(RoutedCase, RoutedCase.case_id == WorkOrder.case_id)
        .where(WorkOrder.state.in_(domain.OPEN_ORDER_STATES))
        .order_by(WorkOrder.due_at.is_(None), WorkOrder.due_at, WorkOrder.created_at).limit(limit)).all()
    return per_department, orders


def order_counts(session, *, departments=None, grid_ids=None, department=None) -> dict:
    """How many orders in each state, and how many open ones are due soon or overdue: a desk's tab counts in one
    query instead of one per tab."""
    open_ = WorkOrder.state.in_(domain.OPEN_ORDER_STATES)
    query = select(WorkOrder.state, func.count(),
                   func.sum(when((open_ & WorkOrder.due_soon_marked.is_(True) & WorkOrder.overdue_marked.is_(False),
                                  1), else_=0)),
                   func.sum(when((open_ & WorkOrder.overdue_marked.is_(True), 1), else_=0)),
                   func.sum(when((open_ & WorkOrder.extension_requested_due_at.is_not(None), 1), else_=0)))
    if departments is not None:
        query = query.where(WorkOrder.department_code.in_(departments))
    if department:
        query = query.where(WorkOrder.department_code == department)
    if grid_ids is not None:
        query = query.where(WorkOrder.grid_id.in_(grid_ids))
    counts = {"states": {state: 0 for state in ORDER_STATE_NAMES}, "due_soon": 0, "overdue": 0,
              "extension_pending": 0}
    for state, count, soon, late, pending in session.execute(query.group_by(WorkOrder.state)):
        counts["states"][state] = count
        counts["due_soon"] += soon or 0
        counts["overdue"] += late or 0
        counts["extension_pending"] += pending or 0
    return counts


ORDER_STATE_NAMES = ("dispatched", "signed", "in_progress", "answered", "returned", "cancelled")


def _with_case(session, orders: list[WorkOrder]) -> None:
    """What a list of orders shows of each one's case (tracking code, category, topic, grid) and the case's
    priority: one query a page."""
    ids = {o.case_id for o in orders}
    cases = {c.case_id: c for c in session.scalars(select(RoutedCase).where(RoutedCase.case_id.in_(ids)))} if ids \
        else {}
    for order in orders:
        order.case = cases.get(order.case_id)
        order.priority = order.case.priority if order.case is not None else "normal"


def suggestion(session, case_id: str, rules: list[domain.Rule]) -> dict:
    case = get_case(session, case_id)
    refused = sorted(set(session.scalars(select(WorkOrder.department_code).where(
        WorkOrder.case_id == case_id, WorkOrder.state == "returned")).all()))
    decision = domain.triage(case.category, case.topic, rules, refused)
    rule = decision.rule
    return {"path": decision.path, "rule_id": rule.id if rule else None, "reason": decision.reason,
            "department_code": rule.department_code if rule else None,
            "department_name": rule.department_name if rule else None, "returned_by": refused}


def order_history(session, order_id: str) -> list[CaseTransition]:
    """Every change of one work order (and of its case caused through it), oldest first."""
    order = get_work_order(session, order_id)
    return session.scalars(select(CaseTransition).where(CaseTransition.case_id == order.case_id,
                                                        CaseTransition.work_order_id == order_id)
                           .order_by(CaseTransition.id)).all()


def for_departments(detail: dict, departments) -> dict:
    """A case as a department handler may see it: its own orders and their history only (403 if it has none)."""
    orders = [o for o in detail["work_orders"] if o.department_code in departments]
    if not orders:
        raise AuthError(403, "the case has no work order of the caller's department")
    mine = {o.id for o in orders}
    return {**detail, "work_orders": orders, "history": [h for h in detail["history"] if h.work_order_id in mine]}


def get_work_order(session, order_id: str) -> WorkOrder:
    order = session.get(WorkOrder, order_id)
    if order is None:
        raise NotFound(f"no work order {order_id}")
    _with_case(session, [order])
    return order


def reconcile_cases(session, case_ids: list[str]) -> dict:
    """{case id: {"state", "work_orders"}} for the ids routing holds; reconciliation reports the others missing."""
    found = {case_id: {"state": state, "work_orders": 0} for case_id, state in session.execute(
        select(RoutedCase.case_id, RoutedCase.state).where(RoutedCase.case_id.in_(case_ids)))}
    for case_id, count in session.execute(select(WorkOrder.case_id, func.count()).where(
            WorkOrder.case_id.in_(list(found))).group_by(WorkOrder.case_id)):
        found[case_id]["work_orders"] = count
    return found


# ---- the catalogue and the holiday calendar --------------------------------------------------------------

def load_rules(session) -> list[domain.Rule]:
    rows = session.scalars(select(DispatchRule).where(DispatchRule.active.is_(True))).all()
    return [domain.Rule(r.id, r.category, r.topic, r.level, r.department_code, r.department_name, r.priority)
            for r in rows]


def load_deadlines(session) -> list[domain.DeadlineRule]:
    rows = session.scalars(select(DeadlineRule).where(DeadlineRule.active.is_(True))).all()
    return [domain.DeadlineRule(r.id, r.category, r.topic, r.urgency, r.amount, r.unit, r.priority) for r in rows]


def list_lines(session, kind: str, *, include_retired: bool = False):
    model = RULE_TABLES[kind]
    query = select(model).order_by(model.lineage_id, model.version)
    if not include_retired:
        query = query.where(model.active.is_(True))
    return session.scalars(query).all()


def get_line(session, kind: str, line_id: int):
    line = session.get(RULE_TABLES[kind], line_id)
    if line is None:
        raise NotFound(f"no {kind} rule {line_id}")
    return line


def line_history(session, kind: str, line_id: int):
    model = RULE_TABLES[kind]
    line = get_line(session, kind, line_id)
    return session.scalars(select(model).where(model.lineage_id == line.lineage_id).order_by(model.version)).all()


def list_holidays(session, year: int | None):
    query = select(Holiday).order_by(Holiday.day)
    if year:
        query = query.where(extract("year", Holiday.day) == year)
    return session.scalars(query).all()


def holiday_history(session, year: int | None):
    query = select(HolidayChange).order_by(HolidayChange.id)
    if year:
        query = query.where(extract("year", HolidayChange.day) == year)
    return session.scalars(query).all()


# ---- residents' evaluation links ---------------------------------------------------------------------------------

def link_serializer(secret: str) -> URLSafeSerializer:
    """Signs and reads the one-time evaluation link tokens."""
    return URLSafeSerializer(secret, salt="wangge.evaluation")


def evaluation_by_token(session, token: str, secret: str, *, lock: bool = False) -> Evaluation:
    try:
        payload = link_serializer(secret).loads(token)
    except BadSignature:
        raise NotFound("this evaluation link is not valid") from None
    query = select(Evaluation).where(Evaluation.id == str(payload.get("e")))
    if lock:  # re-read under the lock: what this session saw before may have changed since
        query = query.with_for_update().execution_options(populate_existing=True)
    evaluation = session.scalars(query).first()
    if evaluation is None:
        raise NotFound("this evaluation link is not valid")
    return evaluation
