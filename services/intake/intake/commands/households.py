"""Household files (一户一档), the visit log and reception-day records."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from wangge_common import clock
from wangge_common.crypto import FieldCipher, mask_name, mask_phone
from wangge_common.errors import Conflict, Invalid, NotFound
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..queries.households import shown
from ..models import Case, DataKey, Household, HouseholdChange, ReceptionSession, Visit, VisitHousehold
from . import personal
from ..queries import reality
from .registration import grid_is_known



# --- households, visits, reception sessions ---------------------------------------------------------------
def _require_grid(uow: UnitOfWork, grid_id: str | None, field: str = "grid_id") -> list[tuple[str, str]]:
    if grid_id is not None and not grid_is_known(uow, grid_id):
        return [(field, f"no grid {grid_id} is known to intake (grids arrive from the roster)")]
    return []


def create_household(uow: UnitOfWork, data: dict, cipher: FieldCipher) -> Household:
    """Open a household file (一户一档): the contact, address and notes encrypted under the file's own data key."""
    grid_id = str(data["grid_id"])
    problems = _require_grid(uow, grid_id)
    if problems:
        raise Invalid(problems)
    contact, now = data.get("contact"), clock.now()
    members = _members(data["members"])
    household_id = str(uuid.uuid4())
    # the household's data key, destroyed on erasure
    key, row = personal.new_key_row(cipher, "household", household_id, contact.get("phone") if contact else None)
    personal.insert_key(uow.session, row)
    household = Household(id=household_id, grid_id=grid_id, members=members, special_groups=_groups(members),
                          created_at=now, updated_at=now, data_key_id=row["id"])
    _seal_address(household, data["address"], key.cipher, cipher)
    household.notes, household.notes_enc = None, key.cipher.encrypt(data.get("notes"))
    _seal_contact(household, contact, key.cipher)
    uow.session.add(household)
    return shown(uow.session, household, cipher)


def _members(members: list[dict]) -> list[dict]:
    return [{"relation": m["relation"], "special_groups": list(m["special_groups"])} for m in members]


def _groups(members: list[dict]) -> list[str]:
    return sorted({g for m in members for g in m["special_groups"]})


def _seal_address(household: Household, address: str, sealed: FieldCipher, master: FieldCipher) -> None:
    """Only the first characters (the village, say) stay readable; the keyed hash finds the file by address."""
    household.address, household.address_enc = domain.mask_address(address), sealed.encrypt(address)
    household.address_key = master.lookup_hash(domain.address_key(address))


def _seal_contact(household: Household, contact: dict | None, sealed: FieldCipher) -> None:
    household.contact_name_enc = sealed.encrypt(contact.get("name")) if contact else None
    household.contact_phone_enc = sealed.encrypt(contact["phone"]) if contact else None
    household.contact_name_masked = mask_name(contact.get("name")) if contact else None
    household.contact_phone_masked = mask_phone(contact["phone"]) if contact else None






HOUSEHOLD_FIELDS = ("members", "contact", "address", "notes")


def change_household(uow: UnitOfWork, household_id: str, data: dict, cipher: FieldCipher) -> Household:
    """Change a household file (members and their flags, contact, address, notes) with a reason: a history row and
    household.changed (the fields' names, never their values). A file opened before its address and notes were
    encrypted is encrypted now."""
    session = uow.session
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"no household file {household_id}")
    key = _household_key(uow, household, cipher)
    names = personal.household_names(session, household, cipher)  # the contact's name before the change
    changed = []
    if "members" in data:
        members = _members(data["members"])
        if members != household.members:
            changed.append("members")
            groups = _groups(members)
            if groups != list(household.special_groups):
                changed.append("special_groups")
            household.members, household.special_groups = members, groups
    old = shown(session, household, cipher)
    if "address" in data and data["address"] != old.shown_address:
        changed.append("address")
    if "notes" in data and data["notes"] != old.shown_notes:
        changed.append("notes")
    if "contact" in data and _contact_differs(session, household, data["contact"], cipher):
        changed.append("contact")
        _seal_contact(household, data["contact"], key)
        row = session.get(DataKey, household.data_key_id)
        row.phone_hash = cipher.lookup_hash(domain.phone_digits(data["contact"]["phone"])) if data["contact"] else None
    if not changed:
        raise Conflict("nothing would change: the file already says this", errors=[
            {"field": name, "reason": "same as on file"} for name in HOUSEHOLD_FIELDS if name in data])
    _seal_address(household, data.get("address", old.shown_address), key, cipher)  # also seals older files
    household.notes, household.notes_enc = None, key.encrypt(data.get("notes", old.shown_notes))
    household.updated_at = clock.now()
    reason = domain.redact(data["reason"], names + personal.household_names(session, household, cipher))
    event = uow.emit("household.changed", household.id, data={
        "household_id": household.id, "grid_id": household.grid_id, "fields": changed,
        "special_groups": list(household.special_groups), "reason": reason})
    session.add(HouseholdChange(household_id=household.id, event_id=event.id, fields=changed,
                                special_groups=list(household.special_groups), reason=reason, actor=uow.actor,
                                at=household.updated_at))
    return shown(session, household, cipher)


def _household_key(uow: UnitOfWork, household: Household, master: FieldCipher) -> FieldCipher:
    """The household's data key; a file without one (opened without a contact, before data keys) gets one, and
    what it held under the service's key is sealed under it."""
    if household.data_key_id is not None:
        return personal.cipher_of(uow.session, household.data_key_id, master)  # 410 once erased
    contact = None
    if household.contact_phone_enc is not None:
        contact = {"name": master.decrypt(household.contact_name_enc), "phone": master.decrypt(household.contact_phone_enc)}
    key, row = personal.new_key_row(master, "household", household.id, contact["phone"] if contact else None)
    personal.insert_key(uow.session, row)
    household.data_key_id = row["id"]
    _seal_contact(household, contact, key.cipher)
    return key.cipher


def _contact_differs(session, household: Household, contact: dict | None, master: FieldCipher) -> bool:
    if household.contact_phone_enc is None:
        return contact is not None
    if contact is None:
        return True
    sealed = personal.cipher_of(session, household.data_key_id, master)
    return (contact.get("name"), contact["phone"]) != (sealed.decrypt(household.contact_name_enc),
                                                      sealed.decrypt(household.contact_phone_enc))










def _unknown(session, model, ids: list[str], field: str) -> list[tuple[str, str]]:
    if not ids:
        return []
    found = set(session.scalars(select(model.id).where(model.id.in_(ids))))
    return [(field, f"no {model.__tablename__[:-1].replace('_', ' ')} {i}") for i in ids if i not in found]


def record_visit(uow: UnitOfWork, data: dict) -> Visit:
    """Log a deputy's visit (走访); emits visit.recorded for reporting's performance figures."""
    household_ids = [str(h) for h in data["household_ids"]]
    case_ids = [str(c) for c in data["case_ids"]]
    grid_id = str(data["grid_id"])
    today = clock.local_date(clock.now())  # a deputy's visit day is a date in China time
    problems = domain.not_in_future("visited_on", data["visited_on"], today, "a visit is logged once it took place")
    grid_problems = _require_grid(uow, grid_id)
    problems += grid_problems + _unknown(uow.session, Household, household_ids, "household_ids")
    problems += _unknown(uow.session, Case, case_ids, "case_ids") + domain.visit_problems(data["kind"],
                                                                                       data["residents_reached"])
    if not grid_problems:  # the visiting deputy exists and serves the grid (roster's read copy)
        deputy_problem = reality.deputy_problem(uow.session, str(data["deputy_id"]), grid_id)
        problems += [("deputy_id", deputy_problem)] if deputy_problem else []
    if problems:
        raise Invalid(problems)
    visit = Visit(id=str(uuid.uuid4()), deputy_id=str(data["deputy_id"]), grid_id=grid_id,
                  visited_on=data["visited_on"], kind=data["kind"], household_ids=household_ids,
                  residents_reached=data["residents_reached"], case_ids=case_ids, notes=data.get("notes"),
                  created_at=clock.now())
    uow.session.add(visit)
    uow.session.add_all([VisitHousehold(visit_id=visit.id, household_id=h) for h in household_ids])
    uow.emit("visit.recorded", visit.id, new_subject=True, data={
        "visit_id": visit.id, "deputy_id": visit.deputy_id, "grid_id": grid_id,
        "visited_on": visit.visited_on.isoformat(), "household_ids": household_ids,
        "residents_reached": visit.residents_reached, "cases_registered": len(case_ids), "kind": visit.kind})
    return visit




def record_reception_session(uow: UnitOfWork, data: dict) -> ReceptionSession:
    """Keep a reception day's record (接待活动记录); emits reception_session.recorded."""
    grid_id = str(data["grid_id"]) if data.get("grid_id") else None
    case_ids = [str(c) for c in data["case_ids"]]
    deputies = [{"deputy_id": str(d["deputy_id"]), "kind": d["kind"]} for d in data["deputies"]]
    problems = domain.reception_problems(data["started_at"], data["ended_at"], deputies, clock.now())
    grid_problems = _require_grid(uow, grid_id)
    problems += grid_problems + _unknown(uow.session, Case, case_ids, "case_ids")
    for index, on_duty in enumerate(deputies):  # each deputy on duty exists, serves, and serves the grid if given
        problem = (reality.deputy_problem(uow.session, on_duty["deputy_id"], grid_id) if grid_id and not grid_problems
                   else reality.deputy_exists_problem(uow.session, on_duty["deputy_id"]))
        problems += [(f"deputies.{index}.deputy_id", problem)] if problem else []
    if problems:
        raise Invalid(problems)
    record = ReceptionSession(
        id=str(uuid.uuid4()), reception_id=str(data["reception_id"]) if data.get("reception_id") else None,
        grid_id=grid_id, station_id=str(data["station_id"]) if data.get("station_id") else None, deputies=deputies,
        started_at=data["started_at"], ended_at=data["ended_at"], residents_received=data["residents_received"],
        case_ids=case_ids, notes=data.get("notes"), created_at=clock.now())
    uow.session.add(record)
    uow.emit("reception_session.recorded", record.id, new_subject=True, data={
        "session_id": record.id, "reception_id": record.reception_id, "grid_id": grid_id,
        "station_id": record.station_id, "deputies": deputies, "started_at": clock.wire_time(record.started_at),
        "ended_at": clock.wire_time(record.ended_at), "residents_received": record.residents_received, "case_ids": case_ids})
    return record


