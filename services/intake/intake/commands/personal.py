"""Personal data under data keys (crypto-shredding): keys per reporter and household, the authorised read of
what a case's text held before redaction, and erasure (the right to be forgotten) without touching any log."""
from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, or_, select, update

from wangge_common import clock
from wangge_common.crypto import DataKey as Key
from wangge_common.crypto import FieldCipher
from wangge_common.errors import Invalid, NotFound
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import Case, DataKey, Household, IdempotencyRecord
from ..queries.keys import Erased, cipher_of, household_names

__all__ = ["Erased", "cipher_of", "erase", "household_names", "insert_key", "new_key_row"]

ERASED = "已删除"  # shown where an erased person's name was
INSERT_KEY = insert(DataKey.__table__)


def new_key_row(master: FieldCipher, kind: str, subject_ref: str, phone: str | None = None) -> tuple[Key, dict]:
    """A fresh data key and the row that keeps it wrapped (inserted by the caller, in its write)."""
    key = Key.new()
    row = {"id": "dk_" + uuid.uuid4().hex, "kind": kind, "subject_ref": subject_ref,
           "phone_hash": master.lookup_hash(domain.phone_digits(phone)) if phone else None,
           "wrapped": key.wrap(master), "created_at": clock.now(), "erased_at": None,
           "erased_by": None, "erasure_id": None}
    return key, row


def insert_key(session, row: dict) -> None:
    session.connection().execute(INSERT_KEY, row)


def erase(uow: UnitOfWork, data: dict, master: FieldCipher) -> dict:
    """Erase a person: destroy the data keys of their reports (by reporter_ref or by phone) and household file;
    the encrypted fields stay as unreadable ciphertext, masks become 已删除, stored answers holding masks are
    dropped, and reporter.erased records the erasure (with its actor and reason) on cases.v1."""
    session = uow.session
    key_ids = _live_keys(session, data, master)
    cases = session.scalars(select(Case).where(Case.data_key_id.in_(key_ids))).all()
    households = session.scalars(select(Household).where(Household.data_key_id.in_(key_ids))).all()
    # The names, read one last time, so the reason recorded in the event cannot repeat them.
    names = [cipher_of(session, case.data_key_id, master).decrypt(case.reporter_name_enc) for case in cases]
    for household in households:
        names += household_names(session, household, master)
    erasure_id, now = str(uuid.uuid4()), clock.now()
    session.execute(update(DataKey).where(DataKey.id.in_(key_ids)).values(
        wrapped=None, erased_at=now, erased_by=uow.actor, erasure_id=erasure_id))
    _mask_erased(session, cases, households)
    refs = sorted({c.reporter_ref for c in cases if c.reporter_ref})
    body = {"erasure_id": erasure_id, "reporter_refs": refs, "case_ids": sorted(c.id for c in cases),
            "household_ids": sorted(h.id for h in households), "keys_destroyed": len(key_ids),
            "reason": domain.redact(data["reason"], names), "erased_at": clock.wire_time(now)}
    uow.emit("reporter.erased", erasure_id, data=body)
    return body


def _live_keys(session, data: dict, master: FieldCipher) -> list[str]:
    """The ids of the person's data keys not yet destroyed (by reporter_ref, phone or household file)."""
    conditions = []
    if data.get("reporter_ref"):
        conditions.append((DataKey.kind == "reporter") & (DataKey.subject_ref == data["reporter_ref"]))
    if data.get("phone"):
        conditions.append(DataKey.phone_hash == master.lookup_hash(domain.phone_digits(data["phone"])))
    if data.get("household_id"):
        conditions.append((DataKey.kind == "household") & (DataKey.subject_ref == str(data["household_id"])))
    if not conditions:
        raise Invalid([("reporter_ref", "give reporter_ref, phone or household_id")])
    keys = session.scalars(select(DataKey).where(or_(*conditions))).all()
    if not keys:
        raise NotFound("no personal data of this person is kept (no reporter, phone or household matched)")
    live = [k.id for k in keys if k.wrapped is not None]
    if not live:
        raise Erased("this person's personal data was already erased")
    return live


def _mask_erased(session, cases, households) -> None:
    """Masks become 已删除; stored answers to Idempotency-Key retries hold the masks of the cases registered, so
    they are dropped (a retry of such an old request would register anew, which the duplicate link then shows)."""
    for case in cases:
        case.reporter_name_masked = ERASED if case.reporter_ref else None
        case.reporter_phone_masked = case.reporter_id_number_masked = None
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.response_body.contains(case.id,
                                                                                                  autoescape=True)))
    for household in households:
        household.contact_name_masked = ERASED if household.contact_name_enc else None
        household.contact_phone_masked = None
