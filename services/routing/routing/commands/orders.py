"""Work orders (工单) in a department's hands: sign, forward, start, answer, return, extensions, supervision."""
from __future__ import annotations

from sqlalchemy import select

from wangge_common import clock
from wangge_common.db import utcnow
from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..domain import PRESIDIUM, TOWNSHIP_CONGRESS, awaiting_forward
from ..models import RoutedCase, WorkOrder
from .dispatch import deadline_from_dispatch, escalate_order, order_deadlines, route
from .lifecycle import case_event, department, lock_order, open_orders, order_event
from .replies import await_reply, replied


def _leads(order: WorkOrder) -> bool:
    """Sole and lead orders carry the case; members of a joint mediation only their own share."""
    return order.role in ("sole", "lead")


def sign(uow: UnitOfWork, order_id: str, data: dict) -> WorkOrder:
    """签收: the department takes the order on; the handling deadline has been running since dispatch."""
    session, now = uow.session, utcnow()
    order, case = lock_order(session, order_id)
    domain.next_order_state(order.state, "sign")
    _not_awaiting_forward(order, "sign")
    if _leads(order):
        domain.next_state(case.state, "sign")
    order.signed_at = now
    deadline_from_dispatch(uow, order)
    order_event(uow, order, "work_order.signed", "sign", data["reason"], due_at=clock.wire_time(order.due_at),
                working_days=(order.deadline_unit or "working_days") == "working_days")
    order.next_check_at = domain.next_check(order.due_at, order.due_soon_at, due_soon_marked=order.due_soon_marked,
                                            overdue_marked=order.overdue_marked, step=order.escalation_step,
                                            policy=uow.runtime.state.policy)
    if _leads(order):
        case_event(uow, case, "case.signed", "sign", data["reason"], work_order_id=order.id,
                   department=department(order), due_at=clock.wire_time(order.due_at))
    return order


def _not_awaiting_forward(order: WorkOrder, action: str) -> None:
    if awaiting_forward(order):
        raise Conflict(f"cannot {action} a work order the township congress (镇人大) has not forwarded yet; allowed "
                       f"now: POST /v1/work-orders/{{id}}/forward (township congress staff)",
                       errors=[{"field": "state", "reason": "awaiting the township congress's forward (待转办)"}])


def forward(uow: UnitOfWork, order_id: str, data: dict) -> WorkOrder:
    """转办: the township congress forwards a county matter it received to the county department. The department's
    signing limit and handling deadline count from now; forwarding late is kept on the event (on_time false)."""
    session, now = uow.session, utcnow()
    order, _ = lock_order(session, order_id)
    if not awaiting_forward(order):
        why = ("it went to its department directly" if order.forward_due_at is None else
               f"it was forwarded at {clock.wire_time(order.forwarded_at)}" if order.forwarded_at
               else f"it is {order.state}")
        raise Conflict(f"work order {order.id} is not waiting for the township congress to forward it: {why}",
                       errors=[{"field": "state", "reason": why}])
    rule = domain.recorded_deadline(order.deadline_amount, order.deadline_unit)
    order.due_at, order.due_soon_at, order.sign_due_at = order_deadlines(uow, rule, now)
    order.forwarded_at, order.forwarded_by = now, uow.actor
    order.due_soon_marked = order.overdue_marked = False  # the department's clock starts now
    order.next_check_at = min(order.due_soon_at, order.sign_due_at)
    order_event(uow, order, "work_order.forwarded", None, data["reason"], via=TOWNSHIP_CONGRESS,
                forward_due_at=clock.wire_time(order.forward_due_at), on_time=now <= order.forward_due_at,
                due_at=clock.wire_time(order.due_at), sign_due_at=clock.wire_time(order.sign_due_at))
    return order


def start(uow: UnitOfWork, order_id: str, data: dict) -> WorkOrder:
    order, case = lock_order(uow.session, order_id)
    domain.next_order_state(order.state, "start")
    if _leads(order):
        domain.next_state(case.state, "start")
    order_event(uow, order, "work_order.started", "start", data["reason"])
    if _leads(order):
        case_event(uow, case, "case.started", "start", data["reason"], work_order_id=order.id)
    return order


def answer(uow: UnitOfWork, order_id: str, data: dict, secret: str) -> WorkOrder:
    """The department's answer; for the lead of a joint mediation, the mediated outcome resolves the case."""
    session, now = uow.session, utcnow()
    order, case = lock_order(session, order_id)
    mediation = data.get("mediation")
    _check_mediation_outcome(case, order, mediation)
    domain.next_order_state(order.state, "answer")
    if _leads(order):
        domain.next_state(case.state, "answer")
    on_time = order.due_at is None or now <= order.due_at
    order.answered_at, order.summary, order.on_time = now, data["summary"], on_time
    order.mediation_outcome = mediation["outcome"] if mediation else None
    attached = {"attachments": data["attachments"]} if data.get("attachments") else {}
    order_event(uow, order, "work_order.answered", "answer", data["reason"], summary=data["summary"],
                on_time=on_time, mediation=mediation, **attached)
    if _leads(order):
        _answer_case(uow, case, order, data, on_time, now, secret)
    return order


def _check_mediation_outcome(case: RoutedCase, order: WorkOrder, mediation: dict | None) -> None:
    """A joint mediation's lead answers with the mediated outcome; nothing else carries one."""
    if case.path == "joint_mediation" and order.role == "lead" and mediation is None:
        raise Invalid([("mediation", "the lead department of a joint mediation records the mediated outcome")])
    if mediation is not None and case.path != "joint_mediation":
        raise Invalid([("mediation", "only a joint mediation records a mediated outcome")])


def _answer_case(uow: UnitOfWork, case: RoutedCase, order: WorkOrder, data: dict, on_time: bool, now,
                 secret: str) -> None:
    """The lead (or sole) order's answer is the case's: the first receiver now passes it on; a mediated outcome was
    given to the parties at the mediation, which is the reply, and ends the members' orders."""
    case.on_time = on_time if case.on_time is None else (case.on_time and on_time)
    case.answer_summary, case.answered_by = data["summary"], order.department_name
    relayed = {"forward_via": TOWNSHIP_CONGRESS} if order.forwarded_at is not None else {}  # the congress is told
    case_event(uow, case, "case.answered", "answer", data["reason"], on_the_spot=False,
               department=department(order), summary=data["summary"], on_time=on_time, **relayed)
    await_reply(uow, case, now)
    mediation = data.get("mediation")
    if mediation is None:
        return
    for member in open_orders(uow.session, case.case_id):
        order_event(uow, member, "work_order.cancelled", "cancel", "the lead department recorded the mediated outcome")
    # The parties heard the outcome at the mediation the deputy convened: that is the reply to the reporter.
    replied(uow, case, case.convenor_deputy_id, "on_the_spot",
            f"mediated outcome ({mediation['outcome']}) given to the parties at the mediation", secret)


def record_mediation(uow: UnitOfWork, order_id: str, data: dict, secret: str) -> WorkOrder:
    """The lead department of a joint mediation records the mediated outcome: its answer, which resolves the case."""
    order, _ = lock_order(uow.session, order_id)
    if order.role != "lead":
        raise Conflict("only the lead department of a joint mediation records the mediated outcome",
                       errors=[{"field": "role", "reason": f"this order's role is {order.role}"}])
    return answer(uow, order_id, {"summary": data["summary"], "reason": data["reason"],
                                  "mediation": {"outcome": data["outcome"], "mediators": data["mediators"]}}, secret)


def return_order(uow: UnitOfWork, order_id: str, data: dict) -> WorkOrder:
    """退单: the department gives the order back with a reason; the case is re-routed (or escalated)."""
    session = uow.session
    order, case = lock_order(session, order_id)
    reason = data["reason"]
    domain.next_order_state(order.state, "return")
    _not_awaiting_forward(order, "return")
    if _leads(order):
        domain.next_state(case.state, "return")
    order_event(uow, order, "work_order.returned", "return", reason)
    if not _leads(order):
        return order
    for member in open_orders(session, case.case_id):
        order_event(uow, member, "work_order.cancelled", "cancel", f"lead department returned the case: {reason}")
    case.return_count += 1
    case_event(uow, case, "case.returned", "return", reason, work_order_id=order.id, department=department(order),
               return_count=case.return_count)
    limit = uow.runtime.state.policy.return_limit
    if case.return_count >= limit:
        case_event(uow, case, "case.escalated", "escalate", f"returned {case.return_count} times (limit {limit})",
                   step="supervision", trigger="returned_repeatedly", work_order_id=order.id,
                   department=department(order), target=PRESIDIUM["name"])
        return order
    refused = set(session.scalars(select(WorkOrder.department_code).where(WorkOrder.case_id == case.case_id,
                                                                          WorkOrder.state == "returned")).all())
    rules = uow.runtime.state.catalogue.dispatch_rules(uow.session)
    decision = domain.triage(case.category, case.topic, rules, refused)
    if decision.path == "manual":
        case.path = "manual"
    route(uow, case, decision)
    return order


def request_extension(uow: UnitOfWork, order_id: str, data: dict) -> WorkOrder:
    order, _ = lock_order(uow.session, order_id)
    if order.state not in ("signed", "in_progress"):
        raise Conflict(f"cannot request an extension for a work order that is {order.state}",
                       errors=[{"field": "state", "reason": "only a signed or started order has a deadline"}])
    if order.extension_requested_due_at is not None:
        raise Conflict("an extension request for this order awaits a decision",
                       errors=[{"field": "requested_due_at", "reason": "one request at a time"}])
    wanted = data["requested_due_at"]
    if wanted <= order.due_at:
        raise Invalid([("requested_due_at",
                        f"must be later than the current deadline {clock.wire_time(order.due_at)}")])
    order.extension_requested_due_at, order.extension_reason = wanted, data["reason"]
    order_event(uow, order, "work_order.extension_requested", None, data["reason"],
                requested_due_at=clock.wire_time(wanted))
    return order


def decide_extension(uow: UnitOfWork, order_id: str, data: dict) -> WorkOrder:
    """Township congress staff approve or refuse; an approved deadline restarts the due-soon/overdue ladder."""
    order, _ = lock_order(uow.session, order_id)
    if order.extension_requested_due_at is None:
        raise Conflict("no extension request awaits a decision for this order",
                       errors=[{"field": "approved", "reason": "nothing to decide"}])
    if order.state not in domain.OPEN_ORDER_STATES:
        raise Conflict(f"the work order is {order.state}; its extension request lapsed")
    if data["approved"]:
        order.due_at = order.extension_requested_due_at
        order.due_soon_at = domain.due_soon_at(order.signed_at or order.created_at, order.due_at,
                                               uow.runtime.state.policy.due_soon_lead)
        order.due_soon_marked = order.overdue_marked = False
        order.escalation_step = 0
        order.next_check_at = order.due_soon_at
    order.extension_requested_due_at = order.extension_reason = None
    order_event(uow, order, "work_order.extension_decided", None, data["reason"], approved=data["approved"],
                due_at=clock.wire_time(order.due_at))
    return order


def supervise(uow: UnitOfWork, order_id: str, data: dict) -> WorkOrder:
    """催办 / 督办 / 提级督办 by township congress staff, at any time, with their reason: the same effect as the ladder
    (督办 puts the order under the township presidium, 提级督办 under the county level); never a step down."""
    order, case = lock_order(uow.session, order_id)
    if order.state not in domain.OPEN_ORDER_STATES:
        raise Conflict(f"the work order is {order.state}: there is nothing left to supervise",
                       errors=[{"field": "step", "reason": f"a {order.state} order is finished"}])
    step = data["step"]
    if domain.LADDER.index(step) + 1 < order.escalation_step and step != "reminder":
        raise Conflict(f"the order is already at {domain.LADDER[order.escalation_step - 1]}; supervision never "
                       f"steps down", errors=[{"field": "step", "reason": "lower than the order's current step"}])
    escalate_order(uow, case, order, step, trigger="manual", reason=data["reason"])
    return order
