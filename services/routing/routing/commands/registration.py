"""A case arrives from intake: triage against the dispatch catalogue, open its work orders; its withdrawal and
supplements."""
from __future__ import annotations

import uuid

from sqlalchemy import bindparam, insert, select

from wangge_common import clock
from wangge_common.db import utcnow
from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import RoutedCase, WorkOrder
from .dispatch import route
from .lifecycle import finish, log_history, open_orders, order_event
from .roster import grid_deputies

_CASE_EXISTS = select(RoutedCase.__table__.c.case_id).where(RoutedCase.__table__.c.case_id == bindparam("case_id"))


def first_receiver(session, grid_id: str, received_by: dict) -> str | None:
    """首问责任人 of a case received in `grid_id`: routing's rule (domain.first_receiver) over the grid's deputies."""
    deputies = [] if received_by.get("kind") == "deputy" else grid_deputies(session, grid_id)
    return domain.first_receiver(received_by, deputies)


def register_case(uow: UnitOfWork, data: dict) -> None:
    """Triage a new case against the dispatch catalogue and open its work order(s); a case seen before is left."""
    # Nothing here reads back what it wrote: one flush at commit instead of one per emitted event.
    with uow.session.no_autoflush:
        _register(uow, data)


def _register(uow: UnitOfWork, data: dict) -> None:
    session = uow.session
    if session.connection().execute(_CASE_EXISTS, {"case_id": data["case_id"]}).first() is not None:
        return
    registered_at = clock.parse_time(data["received_at"])
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
    log_history(uow, case.case_id, triaged, {**triaged.data, "state": "triaged", "previous_state": "registered"})
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


def withdraw_case(uow: UnitOfWork, data: dict) -> None:
    """The reporter withdrew: stop every open work order and close the case as withdrawn."""
    case = uow.session.get(RoutedCase, data["case_id"])
    if case is None or case.state in domain.TERMINAL:
        return
    reason = f"withdrawn ({data['requested_by']}): {data['reason']}"
    for order in open_orders(uow.session, case.case_id):
        order_event(uow, order, "work_order.cancelled", "cancel", reason)
    finish(uow, case, "withdraw", outcome="withdrawn", reason=reason)


def record_supplement(uow: UnitOfWork, event: Event) -> None:
    """More information arrived: keep it in the case history so the handling department sees it."""
    case = uow.session.get(RoutedCase, event.data["case_id"])
    if case is None:
        return
    data = {**event.data, "state": case.state, "previous_state": case.state}
    log_history(uow, case.case_id, event, data)
