"""A case's supplements (补充材料) and its withdrawal (撤回), with free text redacted."""
from __future__ import annotations


from wangge_common import clock
from wangge_common.crypto import FieldCipher
from wangge_common.errors import Conflict, NotFound
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import Case, CaseEntry, Household
from . import personal


def _open_case(uow: UnitOfWork, case_id: str, allowed: tuple[str, ...], doing: str) -> Case:
    case = uow.session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.status not in allowed:
        raise Conflict(f"a {case.status} case cannot be {doing}")
    return case


def supplement_case(uow: UnitOfWork, case_id: str, data: dict, cipher: FieldCipher) -> CaseEntry:
    """Add information or attachments to a case (补充材料); emits case.supplemented."""
    case = _open_case(uow, case_id, domain.WITHDRAWABLE_STATES, "supplemented")
    names = _names_of(uow.session, case, cipher)
    added = data.get("content_added")
    original = None
    if added and domain.has_phone_or_id(added, names):
        original = _sealing(uow, case, cipher).encrypt(added)
        added = domain.redact(added, names)
    data = {**data, "reason": domain.redact(data["reason"], names)}
    attachments = [{k: v for k, v in a.items() if v is not None and k != "url"} for a in data["attachments"]]
    case.attachments = list(case.attachments) + [{k: v for k, v in a.items() if v is not None}
                                                 for a in data["attachments"]]
    event = uow.emit("case.supplemented", case.id, data={
        "case_id": case.id, "state": case.status, "previous_state": None, "reason": data["reason"],
        "content_added": added, "attachments": attachments})
    entry = CaseEntry(case_id=case.id, event_id=event.id, event_type=event.type, state=case.status,
                      reason=data["reason"], content_added=added, content_original_enc=original, attachments=attachments,
                      actor=uow.actor, at=clock.now())
    uow.session.add(entry)
    return entry


def _names_of(session, case: Case, cipher: FieldCipher) -> list[str]:
    """The names to redact from text about this case: the reporter's and the household contact's."""
    names = []
    if case.reporter_name_enc is not None:
        try:
            names.append(personal.cipher_of(session, case.data_key_id, cipher).decrypt(case.reporter_name_enc))
        except personal.Erased:
            pass
    if case.household_id:
        names += personal.household_names(session, session.get(Household, case.household_id), cipher)
    return names


def _sealing(uow: UnitOfWork, case: Case, cipher: FieldCipher) -> FieldCipher:
    """The cipher for a new original text of this case: its data key (made now for a case without one)."""
    if case.data_key_id is not None:
        try:
            return personal.cipher_of(uow.session, case.data_key_id, cipher)
        except personal.Erased:
            pass  # the reporter was erased: a new text gets a key of its own
    key, row = personal.new_key_row(cipher, "case", case.id)
    personal.insert_key(uow.session, row)
    if case.data_key_id is None:
        case.data_key_id = row["id"]
    return key.cipher


def withdraw_case(uow: UnitOfWork, case_id: str, data: dict, cipher: FieldCipher | None = None) -> Case:
    """The reporter (or staff, or the pushing system for them) withdraws the matter; emits case.withdrawn."""
    case = _open_case(uow, case_id, domain.WITHDRAWABLE_STATES, "withdrawn")
    if cipher is not None:  # the reason is free text too
        data = {**data, "reason": domain.redact(data["reason"], _names_of(uow.session, case, cipher))}
    now = clock.now()
    case.status, case.step, case.state_changed_at = "withdrawn", "withdrawn", now
    event = uow.emit("case.withdrawn", case.id, data={
        "case_id": case.id, "state": "withdrawn", "previous_state": None, "reason": data["reason"],
        "requested_by": data["requested_by"]})
    uow.session.add(CaseEntry(case_id=case.id, event_id=event.id, event_type=event.type, state="withdrawn",
                              step="withdrawn", reason=data["reason"], actor=uow.actor, at=now))
    return case
