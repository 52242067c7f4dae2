"""Related cases (相关件): staff confirm, undo, or make links by hand; nothing is ever merged."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from wangge_common import clock
from wangge_common.errors import Conflict, Invalid, NotFound
from wangge_common.outbox import UnitOfWork

from ..models import Case, CaseLink


def link_event_data(link, state: str, reason: str) -> dict:
    return {"case_id": link.case_id, "state": state, "previous_state": None, "reason": reason, "link_id": link.id,
            "related_case_id": link.related_case_id, "basis": link.basis}


LINK_REASONS = {"same_household": "an open case of the same household exists",
                "similar_content": "an open case of the same grid or a neighbouring grid of the village has "
                                    "near-identical content",
                "manual": "linked by staff as the same matter"}


def decide_link(uow: UnitOfWork, link_id: str, decision: str, reason: str) -> CaseLink:
    """Staff confirm a suggested link (the same matter) or undo it (a different matter); nothing is merged."""
    link = uow.session.get(CaseLink, link_id)
    if link is None:
        raise NotFound(f"no case link {link_id}")
    wanted = {"confirm": "confirmed", "undo": "undone"}[decision]
    if link.status != "suggested" and not (link.status == "confirmed" and decision == "undo"):
        raise Conflict(f"the link is already {link.status}")
    link.status, link.decided_by, link.decision_reason = wanted, uow.actor, reason
    link.decided_at = clock.now()
    case = uow.session.get(Case, link.case_id)
    uow.emit(f"case.related_{wanted}", link.id, data=link_event_data(link, case.status, reason))
    return link


def link_by_hand(uow: UnitOfWork, case_id: str, related_case_id: str, reason: str) -> CaseLink:
    """Staff link two cases as the same matter (相关件, e.g. two near-identical reports registration missed):
    case.related_linked (basis manual) and case.related_confirmed, both by the staff member; nothing is merged."""
    if case_id == related_case_id:
        raise Invalid([("related_case_id", "is the case itself")])
    session = uow.session
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_([case_id, related_case_id])))}
    problems = [(field, f"no case {value}") for field, value in (("case_id", case_id),
                                                                  ("related_case_id", related_case_id))
                if value not in cases]
    if problems:
        raise Invalid(problems)
    pair = [case_id, related_case_id]
    existing = session.scalars(select(CaseLink).where(CaseLink.case_id.in_(pair), CaseLink.related_case_id.in_(pair),
                                                      CaseLink.status != "undone").limit(1)).first()
    if existing is not None:
        raise Conflict(f"the two cases are already linked ({existing.status})", extra={"existing_link_id": existing.id})
    now = clock.now()
    link = CaseLink(id=str(uuid.uuid4()), case_id=case_id, related_case_id=related_case_id, basis="manual",
                    status="confirmed", decided_by=uow.actor, decided_at=now, decision_reason=reason, created_at=now)
    session.add(link)
    state = cases[case_id].status
    uow.emit("case.related_linked", link.id, new_subject=True, data=link_event_data(link, state, reason))
    uow.emit("case.related_confirmed", link.id, data=link_event_data(link, state, reason))
    return link


