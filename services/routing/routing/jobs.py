"""Routing's periodic jobs (run by `wangge schedule routing`): deadlines, the escalation ladder, reply and rating
deadlines. Each scans only rows whose next check is due, through a partial index."""
from __future__ import annotations

from datetime import datetime

from prometheus_client import Gauge
from sqlalchemy import func, select

from wangge_common import clock

from . import domain
from .commands import holidays
from .commands.dispatch import deadline_from_dispatch, escalate_order
from .commands.lifecycle import case_event, finish, order_event
from .domain import TOWNSHIP_CONGRESS, awaiting_forward
from .models import RoutedCase, WorkOrder

ACTOR = "service:routing-scheduler"
BATCH = 500
# Set by the leading scheduler after each deadline scan; a standby shows 0, so alert on the max over instances.
OVERDUE = Gauge("routing_work_orders_overdue", "Open work orders past their deadline, after the latest scan",
                multiprocess_mode="max")


def _batches(runtime, model, column, now: datetime, apply) -> int:
    """Apply `apply(uow, row, now)` to every row whose `column` is due, a batch per transaction."""
    done = 0
    while True:
        with runtime.unit_of_work(actor=ACTOR) as uow:
            rows = uow.session.scalars(select(model).where(column.is_not(None), column <= now)
                                       .order_by(column).limit(BATCH).with_for_update(skip_locked=True)).all()
            with uow.session.no_autoflush:  # nothing reads back what it wrote: one flush at commit
                for row in rows:
                    apply(uow, row, now)
        done += len(rows)
        if len(rows) < BATCH:
            return done


def _check_signing(uow, order: WorkOrder, now: datetime) -> None:
    """签收时限: an order still unsigned after the signing limit is flagged once (the department and the township
    congress staff are told); its handling deadline keeps running from dispatch."""
    if order.state == "dispatched" and order.sign_due_at is not None and not order.sign_overdue_marked \
            and now >= order.sign_due_at:
        order.sign_overdue_marked = True
        order_event(uow, order, "work_order.signing_overdue", None, "not signed within the signing limit",
                    sign_due_at=clock.wire_time(order.sign_due_at), due_at=clock.wire_time(order.due_at))


def _check_forwarding(uow, order: WorkOrder, now: datetime) -> None:
    """转办时限: a county matter the township congress has not forwarded in time is flagged once (the congress staff
    are told). Until it is forwarded the department cannot sign it, so its signing limit is not watched."""
    if awaiting_forward(order) and not order.forward_overdue_marked and now >= order.forward_due_at:
        order.forward_overdue_marked = True
        order_event(uow, order, "work_order.forward_overdue", None, "not forwarded within the forwarding limit",
                    via=TOWNSHIP_CONGRESS, forward_due_at=clock.wire_time(order.forward_due_at))


def _check_order(uow, order: WorkOrder, now: datetime) -> None:
    """One open order's due work: its limits, its deadline marks, the ladder, then when to look at it next."""
    if order.state not in domain.OPEN_ORDER_STATES:
        order.next_check_at = None
        return
    rules = uow.runtime.state.policy
    deadline_from_dispatch(uow, order)
    _check_forwarding(uow, order, now)
    if not awaiting_forward(order):
        _check_signing(uow, order, now)
    _check_deadline(uow, order, now)
    _climb_ladder(uow, order, now, rules)
    order.next_check_at = domain.next_check(order.due_at, order.due_soon_at, due_soon_marked=order.due_soon_marked,
                                            overdue_marked=order.overdue_marked, step=order.escalation_step,
                                            policy=rules, sign_due=_limit_to_watch(order))


def _check_deadline(uow, order: WorkOrder, now: datetime) -> None:
    """Due soon (临期), then overdue: each marked once, each told once."""
    if not order.due_soon_marked and (order.due_soon_at is None or now >= order.due_soon_at):
        order.due_soon_marked = True
        if now < order.due_at:  # past the deadline already (the scheduler was down): overdue says it all
            order_event(uow, order, "work_order.due_soon", None, "deadline approaching",
                        due_at=clock.wire_time(order.due_at))
    if not order.overdue_marked and now >= order.due_at:
        order.overdue_marked = True
        order_event(uow, order, "work_order.overdue", None, f"deadline {clock.wire_time(order.due_at)} passed",
                    due_at=clock.wire_time(order.due_at))


def _climb_ladder(uow, order: WorkOrder, now: datetime, rules: domain.Policy) -> None:
    """An overdue order climbs 催办 → 督办 → 提级督办, every step whose time has come (several after a long pause)."""
    case = None
    while order.overdue_marked and order.escalation_step < len(domain.LADDER) \
            and now >= rules.ladder_at(order.due_at, order.escalation_step + 1):
        step = domain.LADDER[order.escalation_step]
        case = case or uow.session.get(RoutedCase, order.case_id)
        overdue_by = now - order.due_at
        escalate_order(uow, case, order, step, trigger="overdue",
                       reason=f"work order overdue by {overdue_by.days} d {overdue_by.seconds // 3600} h: {step}")


def _limit_to_watch(order: WorkOrder) -> datetime | None:
    """The forwarding limit of a county matter not forwarded yet, else the signing limit of an unsigned order, while
    it has not been flagged."""
    if awaiting_forward(order):
        return None if order.forward_overdue_marked else order.forward_due_at
    return order.sign_due_at if order.state == "dispatched" and not order.sign_overdue_marked else None


def scan_work_orders(runtime, now: datetime) -> int:
    """Mark orders due soon and overdue (once each) and climb the ladder 催办 → 督办 → 提级督办."""
    done = _batches(runtime, WorkOrder, WorkOrder.next_check_at, now, _check_order)
    OVERDUE.set(count_overdue(runtime, now))
    return done


def count_overdue(runtime, now: datetime) -> int:
    """Open work orders whose deadline has passed (through the index on state: proportional to open orders)."""
    with runtime.db.snapshot() as session:
        return session.scalar(select(func.count()).select_from(WorkOrder).where(
            WorkOrder.state.in_(domain.OPEN_ORDER_STATES), WorkOrder.due_at <= now))


def _check_reply(uow, case: RoutedCase, now: datetime) -> None:
    case.reply_check_at = None
    if case.state in domain.TERMINAL:
        return
    if case.replied_at is None:
        reason = "no reply to the reporter within the set time"
    elif case.state == "answered":
        reason = "the department's answer was not passed on to the reporter within the set time"
    else:
        return
    case_event(uow, case, "case.reply_overdue", None, reason, deputy_id=case.first_receiver_deputy_id,
               due_at=clock.wire_time(case.reply_due_at))


def scan_replies(runtime, now: datetime) -> int:
    """首问责任: flag cases whose reporter had no reply in time, or whose answer was not passed on in time."""
    return _batches(runtime, RoutedCase, RoutedCase.reply_check_at, now, _check_reply)


def _check_evaluation(uow, case: RoutedCase, now: datetime) -> None:
    if case.state != "resolved":
        case.evaluation_check_at = case.evaluation_stage = None
        return
    if case.evaluation_stage == "rating":
        due = now + uow.runtime.state.policy.return_visit_window
        case.evaluation_stage, case.evaluation_check_at = "return_visit", due
        case_event(uow, case, "case.return_visit_due", None, "no rating through the link in time: return visit (回访)",
                   round=case.evaluation_round, due_at=clock.wire_time(due))
    else:
        finish(uow, case, "close", outcome="not_rated", reason="no rating after the return visit: closed not rated")


def scan_evaluations(runtime, now: datetime) -> int:
    """No rating in time → a return visit task; none after it → closed with outcome not_rated."""
    return _batches(runtime, RoutedCase, RoutedCase.evaluation_check_at, now, _check_evaluation)


def refresh_holidays(runtime, now: datetime) -> int:
    """The holiday calendar: seed a fresh database at the scheduler's start, then keep the years ahead current."""
    with runtime.unit_of_work(actor=holidays.ACTOR) as uow:
        return holidays.refresh(uow.session, now, uow=uow)
