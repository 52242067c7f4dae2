"""Residents' evaluation (群众评议 / 回访): one-time signed link tokens, ratings, reopening (发回重办)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from wangge_common import clock
from wangge_common.db import utcnow
from wangge_common.errors import Conflict, DomainError
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import Evaluation, RoutedCase, WorkOrder
from ..queries import evaluation_by_token, get_case, link_serializer
from .dispatch import dispatch
from .lifecycle import case_event, finish


class Gone(DomainError):
    status, title = 410, "Gone"


def request_evaluation(uow: UnitOfWork, case: RoutedCase, secret: str) -> str:
    """Open a rating round: a one-time signed link token, sent encrypted for notify; returns the token."""
    now, rules = utcnow(), uow.runtime.state.policy
    case.evaluation_round += 1
    evaluation = Evaluation(id=str(uuid.uuid4()), case_id=case.case_id, round=case.evaluation_round, issued_at=now,
                            expires_at=now + rules.rating_window)
    uow.session.add(evaluation)
    token = link_serializer(secret).dumps({"e": evaluation.id})
    case.evaluation_stage, case.evaluation_check_at = "rating", evaluation.expires_at
    case_event(uow, case, "case.evaluation_requested", None, "answer given; asking the reporter for a rating",
               round=case.evaluation_round, token_encrypted=uow.runtime.state.cipher.encrypt(token),
               expires_at=clock.wire_time(evaluation.expires_at))
    return token


def rate_by_link(uow: UnitOfWork, token: str, data: dict, secret: str) -> RoutedCase:
    """The resident's rating through the one-time link: used → 409, expired → 410."""
    case_id = evaluation_by_token(uow.session, token, secret).case_id
    case = get_case(uow.session, case_id, lock=True)  # the case first, as every other writer locks it
    evaluation = evaluation_by_token(uow.session, token, secret, lock=True)
    if evaluation.used_at is not None:
        raise Conflict("this evaluation link was already used", errors=[{"field": "token", "reason": "used"}])
    if utcnow() >= evaluation.expires_at:
        raise Gone("this evaluation link has expired; a return visit will ask for the rating")
    if case.state != "resolved" or case.evaluation_round != evaluation.round:
        raise Conflict("this case is no longer waiting for this rating", errors=[{"field": "token",
                                                                                   "reason": f"case is {case.state}"}])
    return rate(uow, case, data["rating"], "link", data.get("comment"), evaluation)


def rate_by_staff(uow: UnitOfWork, case_id: str, data: dict) -> RoutedCase:
    """A rating taken at the station, by a call-taker or on a return visit (回访)."""
    case = get_case(uow.session, case_id, lock=True)
    evaluation = uow.session.scalars(select(Evaluation).where(Evaluation.case_id == case.case_id,
                                                              Evaluation.round == case.evaluation_round)).first()
    return rate(uow, case, data["rating"], data["via"], data.get("comment"), evaluation)


def rate(uow, case: RoutedCase, rating: str, via: str, comment: str | None, evaluation) -> RoutedCase:
    domain.next_state(case.state, "rate")
    if evaluation is not None:
        if evaluation.used_at is not None:
            raise Conflict("this round was already rated", errors=[{"field": "rating", "reason": "already rated"}])
        evaluation.used_at, evaluation.rating, evaluation.via, evaluation.comment = utcnow(), rating, via, comment
    case.evaluation_stage = case.evaluation_check_at = None
    case_event(uow, case, "case.evaluated", "rate", f"rated {rating} ({via})", rating=rating, via=via,
               round=max(case.evaluation_round, 1), comment_given=bool(comment))
    if rating != "unsatisfied":
        finish(uow, case, "close", outcome=rating, reason=f"rated {rating}")
        return case
    rules = uow.runtime.state.policy
    if case.reopen_count >= rules.reopen_limit:
        case.outcome = "unsatisfied"
        case_event(uow, case, "case.escalated", "escalate",
                   f"unsatisfied after {case.reopen_count} reopenings (limit {rules.reopen_limit})",
                   step="escalation", trigger="reopened_repeatedly" if case.reopen_count else "unsatisfied",
                   work_order_id=None, department=None, target="县人大常委会")
        return case
    _reopen(uow, case, f"reporter unsatisfied{': ' + comment[:200] if comment else ''}")
    return case


def _reopen(uow, case: RoutedCase, reason: str) -> None:
    """发回重办: back to the department that answered last (a fresh order), or to the manual queue."""
    last = uow.session.scalars(select(WorkOrder).where(WorkOrder.case_id == case.case_id,
                                                       WorkOrder.state == "answered",
                                                       WorkOrder.role.in_(("sole", "lead")))
                               .order_by(WorkOrder.answered_at.desc())).first()
    case.reopen_count += 1
    order_id = str(uuid.uuid4()) if last else None
    case_event(uow, case, "case.reopened", "reopen", reason, reopen_count=case.reopen_count, work_order_id=order_id)
    if last is not None:
        dispatch(uow, case, path=case.path, action="none", reason=f"reopened (发回重办): {reason}",
                 departments=[{"id": order_id, "code": last.department_code, "name": last.department_name,
                               "role": "sole"}])
