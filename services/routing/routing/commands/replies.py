"""首问责任: the first receiver's replies to the reporter, the answer on the spot, and closing by supervision."""
from __future__ import annotations

from sqlalchemy import select

from wangge_common.db import utcnow
from wangge_common.errors import Invalid
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import GridDeputy, RoutedCase
from ..queries import get_case
from .evaluation import request_evaluation
from .lifecycle import case_event, finish, open_orders, order_event
from .triage import cancel_unsigned


def _check_deputy(session, case: RoutedCase, deputy_id: str, field: str) -> None:
    """谁接待、谁答复: only the case's first receiver or a deputy serving its grid acts for the grid's deputies."""
    if deputy_id == case.first_receiver_deputy_id:
        return
    serving = session.scalar(select(GridDeputy.deputy_id).where(GridDeputy.grid_id == case.grid_id,
                                                                 GridDeputy.deputy_id == deputy_id))
    if serving is None:
        raise Invalid([(field, "must be the case's first receiver or a deputy assigned to the case's grid")])


def answer_on_the_spot(uow: UnitOfWork, case_id: str, data: dict, secret: str) -> RoutedCase:
    """能现场解答的现场解答: the receiving deputy answered; the deputy's answer is also the reply to the reporter."""
    case = get_case(uow.session, case_id, lock=True)
    domain.next_state(case.state, "answer_on_the_spot")
    _check_deputy(uow.session, case, str(data["deputy_id"]), "deputy_id")
    cancel_unsigned(uow, case, "answered on the spot by the receiving deputy")
    case.path, case.on_time = "on_the_spot", True
    case.answer_summary, case.answered_by = data["summary"], "人大代表现场解答"
    case_event(uow, case, "case.answered", "answer_on_the_spot", data["reason"], on_the_spot=True,
               department=None, summary=data["summary"], on_time=True)
    deputy = str(data["deputy_id"])
    case.first_receiver_deputy_id = case.first_receiver_deputy_id or deputy
    replied(uow, case, deputy, "on_the_spot", "answered on the spot (现场解答)", secret)
    return case


def reply(uow: UnitOfWork, case_id: str, data: dict, secret: str) -> RoutedCase:
    """The first receiver told the reporter; once the matter is answered this resolves the case."""
    case = get_case(uow.session, case_id, lock=True)
    if case.state in domain.TERMINAL:
        raise domain.IllegalTransition(case.state, "reply")
    deputy = str(data["deputy_id"]) if data.get("deputy_id") else case.first_receiver_deputy_id
    if deputy is None:
        raise Invalid([("deputy_id", "the case has no first receiver: name the deputy serving its grid who replied")])
    _check_deputy(uow.session, case, deputy, "deputy_id")
    replied(uow, case, deputy, data["channel"], data["reason"], secret)
    return case


def await_reply(uow, case: RoutedCase, now) -> None:
    """谁接待、谁答复 holds for the answer too: the first receiver passes a department's answer on to the reporter
    within the set time, counted from the answer. A first-reply deadline still pending (the earlier one) stands."""
    if case.replied_at is not None or case.reply_check_at is None:
        case.reply_due_at = case.reply_check_at = now + uow.runtime.state.policy.reply_within


def replied(uow, case: RoutedCase, deputy_id, channel: str, reason: str, secret: str) -> None:
    now = utcnow()
    on_time = case.reply_due_at is None or now <= case.reply_due_at
    if case.replied_at is None:
        case.replied_at = now
    case.reply_check_at = None
    action = "reply" if case.state == "answered" else None  # before the answer it is an interim reply
    case_event(uow, case, "case.replied", action, reason, deputy_id=deputy_id, channel=channel, on_time=on_time)
    if action == "reply":  # the reporter has the answer: ask for the rating (once per answer)
        request_evaluation(uow, case, secret)


def close_escalated(uow: UnitOfWork, case_id: str, data: dict) -> RoutedCase:
    """The supervising body closes a case it took over; staff never record satisfaction for the resident."""
    case = get_case(uow.session, case_id, lock=True)
    domain.next_state(case.state, "close")
    if case.state != "escalated":
        raise domain.IllegalTransition(case.state, "close by supervision")
    for order in open_orders(uow.session, case.case_id):
        order_event(uow, order, "work_order.cancelled", "cancel", f"closed by supervision: {data['reason']}")
    finish(uow, case, "close", outcome=data["outcome"], reason=data["reason"])
    return case
