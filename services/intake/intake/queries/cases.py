"""Reads of cases: one case, lists, history, tracking, links, personal data, attachments, reconciliation."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import (or_, select)

from wangge_common import clock
from wangge_common.crypto import FieldCipher
from wangge_common.errors import NotFound
from wangge_common.paging import changed_since, paged, paginate

from .. import domain
from . import reality
from .keys import cipher_of
from . import duplicates
from .duplicates import EXTERNAL_CASE
from ..models import Attachment, Case, CaseEntry, CaseLink, CaseOrder


def existing_external_case(session, external: dict | None) -> str | None:
    if not external:
        return None
    row = session.execute(EXTERNAL_CASE, {"system": external["system"], "external_id": external["id"]}).first()
    return row.id if row else None


# --- reads ----------------------------------------------------------------------------------------------
def similar_open_cases(runtime, session, grid_id: str, content: str, household_id: str | None) -> list[dict]:
    """What registering this matter would link it to (the same duplicate rule), shown before it is saved."""
    probe = SimpleNamespace(id="", grid_id=grid_id, content=content, content_key=domain.content_key(content),
                            household_id=household_id)
    found = duplicates.find_related(session.connection(), probe, clock.now(),
                          reality.village_grids(runtime, session, grid_id))
    if found is None:
        return []
    case = session.get(Case, found[0])
    return [{"case": case, "basis": found[1]}] if case is not None else []


def get_case(session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def find_cases(session, query: dict) -> dict:
    conditions = []
    if query.get("tracking_code"):  # codes are upper-case; residents type them any way
        conditions.append(Case.tracking_code == query["tracking_code"].strip().upper())
    for name in ("external_system", "external_id", "status", "priority"):
        if query.get(name):
            conditions.append(getattr(Case, name) == query[name])
    for name in ("grid_id", "household_id"):
        if query.get(name):
            conditions.append(getattr(Case, name) == str(query[name]))
    if query.get("grid_ids") is not None:  # a person's data scope
        conditions.append(Case.grid_id.in_(query["grid_ids"]))
    newest_first = select(Case).where(*conditions).order_by(Case.created_at.desc(), Case.id)
    return paginate(session, changed_since(newest_first, query, Case.updated_at, Case.id), **paged(query))


def reporter_contact(session, reporter_ref: str, cipher: FieldCipher) -> dict:
    """A reporter's contact in clear, for a service that must reach the resident (scope contacts:read); 410 once
    the reporter was erased."""
    case = session.scalars(select(Case).where(Case.reporter_ref == reporter_ref).limit(1)).first()
    if case is None:
        raise NotFound(f"no reporter {reporter_ref}")
    sealed = cipher_of(session, case.data_key_id, cipher)
    return {"name": sealed.decrypt(case.reporter_name_enc), "phone": sealed.decrypt(case.reporter_phone_enc),
            "email": sealed.decrypt(case.reporter_email_enc)}


def case_history(session, case_id: str) -> list[CaseEntry]:
    return list(session.scalars(select(CaseEntry).where(CaseEntry.case_id == case_id).order_by(CaseEntry.id)))


def track(session, tracking_code: str) -> dict:
    """What a resident may see of a case: its steps, never its content or any personal data."""
    # Two narrow Core selects: this public read is the hottest one and needs no ORM objects.
    case = session.execute(select(Case.id, Case.tracking_code, Case.category, Case.topic, Case.channel,
                                  Case.received_at, Case.step, Case.state_changed_at, Case.created_at,
                                  Case.answer_summary, Case.answered_by)
                           .where(Case.tracking_code == tracking_code.strip().upper())).first()
    if case is None:
        raise NotFound(f"no case with tracking code {tracking_code}")
    entries = session.execute(select(CaseEntry.event_type, CaseEntry.state, CaseEntry.at, CaseEntry.id)
                              .where(CaseEntry.case_id == case.id, CaseEntry.step.is_not(None))).all()
    # registration first whatever the clocks say; then routing's events in the order they happened
    ordered = sorted(entries, key=lambda e: (e.event_type != "case.registered", e.at, e.id))
    steps = domain.tracking_timeline([(e.state, e.at) for e in ordered])
    answered = case.step in domain.ANSWERED_STEPS and case.answer_summary is not None
    return {"tracking_code": case.tracking_code, "category": case.category, "topic": case.topic,
            "channel": case.channel, "received_at": case.received_at, "step": case.step,
            # the label of where the case really is (已督办 rather than the folded 已交办)
            "step_label": next((s["label"] for s in steps if s["current"]), domain.STEP_LABELS[case.step]),
            "updated_at": case.state_changed_at or case.created_at,
            "steps": steps, "answer": case.answer_summary if answered else None,
            "department": _handled_by(session, case.id, case.answered_by if answered else None, answered)}


def _handled_by(session, case_id: str, answered_by: str | None, answered: bool) -> str | None:
    """Who answered the case (on the spot: the deputy), else the departments now handling it (routing's orders)."""
    if answered:
        return answered_by or domain.ON_THE_SPOT_LABEL
    names = session.scalars(select(CaseOrder.department_name).where(
        CaseOrder.case_id == case_id, CaseOrder.state.in_(domain.HANDLING_ORDER_STATES))
        .order_by(CaseOrder.changed_at)).all()
    return "、".join(dict.fromkeys(names)) or None


def case_ids_accepted(session, since: datetime, until: datetime, *, offset: int, limit: int) -> list[str]:
    """Ids of the cases intake accepted (created_at) in [since, until), oldest first: what reconciliation expects
    every other service to hold."""
    return list(session.scalars(select(Case.id).where(Case.created_at >= since, Case.created_at < until)
                                .order_by(Case.created_at, Case.id).offset(offset).limit(limit)))


def links_of(session, case_id: str) -> list[CaseLink]:
    return list(session.scalars(select(CaseLink).where(or_(CaseLink.case_id == case_id,
                                                           CaseLink.related_case_id == case_id))
                                .order_by(CaseLink.created_at)))


def case_personal(session, case_id: str, master: FieldCipher) -> dict:
    """What redaction hid, for staff allowed to see it (scope cases:read_personal): the text as written and the
    reporter's contact, decrypted with the case's data key."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    cipher = cipher_of(session, case.data_key_id, master)
    entries = session.scalars(select(CaseEntry).where(CaseEntry.case_id == case_id,
                                                      CaseEntry.content_added.is_not(None))
                              .order_by(CaseEntry.id)).all()
    reporter = None
    if case.reporter_ref is not None:
        reporter = {"reporter_ref": case.reporter_ref, "name": cipher.decrypt(case.reporter_name_enc),
                    "phone": cipher.decrypt(case.reporter_phone_enc),
                    "id_number": cipher.decrypt(case.reporter_id_number_enc),
                    "email": cipher.decrypt(case.reporter_email_enc)}
    return {"case_id": case.id, "content": cipher.decrypt(case.content_original_enc) or case.content,
            "reporter": reporter,
            "supplements": [{"event_id": e.event_id, "at": e.at,
                             "content_added": cipher.decrypt(e.content_original_enc) or e.content_added}
                            for e in entries]}


def get_attachment(session, attachment_id: str) -> Attachment:
    found = session.get(Attachment, attachment_id)
    if found is None:
        raise NotFound(f"no attachment {attachment_id}")
    return found
