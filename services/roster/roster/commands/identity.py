"""Who is who on the roster: an integrator's external id names one record, and a person (the same external id, ID
number or mobile, found by keyed hashes) is registered once."""
from __future__ import annotations

from sqlalchemy import select

from wangge_common.crypto import FieldCipher
from wangge_common.errors import Conflict

from ..models import Deputy


def check_external_id(session, model, external_id, own_id: str | None = None) -> None:
    """An integrator's id names one record: a second record with it is a conflict naming the first."""
    if external_id is None:
        return
    holder = session.scalar(select(model.id).where(model.external_id == external_id))
    if holder is not None and holder != own_id:
        raise Conflict(f"external_id {external_id!r} already names {model.__tablename__[:-1]} {holder}",
                       errors=[{"field": "external_id", "reason": f"already names {holder}", "existing_id": holder}])


def same_person(session, fields_cipher: FieldCipher, data: dict, own_id: str | None = None
                ) -> tuple[str, str] | None:
    """(field, deputy id) of another deputy who is the same person as `data`: the same external id, ID number or
    mobile. A person is registered once; a second registration would split their assignments and history."""
    probes = (("external_id", Deputy.external_id, data.get("external_id")),
              ("id_number", Deputy.id_number_hash, fields_cipher.lookup_hash(data.get("id_number"))),
              ("mobile", Deputy.mobile_hash, fields_cipher.lookup_hash(data.get("mobile"))))
    for name, column, value in probes:
        if value:
            holder = session.scalar(select(Deputy.id).where(column == value, Deputy.id != (own_id or "")).limit(1))
            if holder is not None:
                return name, holder
    return None


def refuse_same_person(session, fields_cipher: FieldCipher, data: dict, own_id: str | None = None) -> None:
    """409 naming the deputy on the roster when `data` is a person already registered."""
    found = same_person(session, fields_cipher, data, own_id)
    if found:
        name, holder = found
        what = {"external_id": "external id", "id_number": "ID number", "mobile": "mobile"}[name]
        raise Conflict(f"deputy {holder} has the same {what}: a person is registered once (change that record, "
                       "or import with its external_id to update it)",
                       errors=[{"field": name, "reason": f"the same as deputy {holder}", "existing_id": holder}])
