"""Reads of households, visits and reception sessions."""
from __future__ import annotations

from sqlalchemy import select

from wangge_common.crypto import FieldCipher
from wangge_common.errors import NotFound
from wangge_common.paging import page, paged, paginate

from .. import domain
from ..models import Case, Household, HouseholdChange, ReceptionSession, Visit, VisitHousehold
from . import keys as personal


def address_keys(address: str, master: FieldCipher) -> list[str]:
    """What `address_key` holds for this address: the keyed hash, or (files opened before) the normalised text."""
    normalised = domain.address_key(address)
    return [master.lookup_hash(normalised), normalised]


def shown(session, household: Household, master: FieldCipher) -> Household:
    """The file with its address and notes decrypted for the answer (`shown_address`, `shown_notes`); after an
    erasure, the readable start of the address and no notes."""
    try:
        sealed = personal.cipher_of(session, household.data_key_id, master)
        household.shown_address = sealed.decrypt(household.address_enc) or household.address
        household.shown_notes = sealed.decrypt(household.notes_enc) or household.notes
    except personal.Erased:
        household.shown_address, household.shown_notes = household.address, None
    return household


def household_history(session, household_id: str) -> list[HouseholdChange]:
    if session.get(Household, household_id) is None:
        raise NotFound(f"no household file {household_id}")
    return list(session.scalars(select(HouseholdChange).where(HouseholdChange.household_id == household_id)
                                .order_by(HouseholdChange.id)))


def household_file(session, household_id: str, master: FieldCipher) -> dict:
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"no household file {household_id}")
    cases = session.scalars(select(Case).where(Case.household_id == household_id).order_by(Case.received_at)).all()
    visits = session.scalars(select(Visit).join(VisitHousehold, VisitHousehold.visit_id == Visit.id)
                             .where(VisitHousehold.household_id == household_id).order_by(Visit.visited_on)).all()
    return {"household": shown(session, household, master), "cases": cases, "visits": visits}


GRID_SCAN_LIMIT = 5000  # a grid holds a few hundred households; a part of an address is looked for among them


def find_households(session, query: dict, master: FieldCipher) -> dict:
    """Household files of a grid (or a person's grids), or found by address. Addresses are stored encrypted: within
    given grids any part of the address is matched (the grid's files are decrypted and compared, spaces and
    punctuation aside); across all grids only the whole address, by its keyed hash."""
    conditions = []
    if query.get("grid_id"):
        conditions.append(Household.grid_id == str(query["grid_id"]))
    if query.get("grid_ids") is not None:  # a person's data scope
        conditions.append(Household.grid_id.in_(query["grid_ids"]))
    ordered = select(Household).where(*conditions).order_by(Household.created_at, Household.id)
    if query.get("address") and conditions:
        wanted = domain.address_key(query["address"])
        found = [h for h in session.scalars(ordered.limit(GRID_SCAN_LIMIT))
                 if wanted in domain.address_key(shown(session, h, master).shown_address)]
        first = (query["page"] - 1) * query["page_size"]
        return page(found[first:first + query["page_size"]], len(found), query["page"], query["page_size"])
    if query.get("address"):
        ordered = ordered.where(Household.address_key.in_(address_keys(query["address"], master)))
    return paginate(session, ordered, **paged(query), each=lambda h: shown(session, h, master))


def find_visits(session, query: dict) -> dict:
    conditions = []
    for name in ("deputy_id", "grid_id"):
        if query.get(name):
            conditions.append(getattr(Visit, name) == str(query[name]))
    if query.get("grid_ids") is not None:
        conditions.append(Visit.grid_id.in_(query["grid_ids"]))
    if query.get("visited_from"):
        conditions.append(Visit.visited_on >= query["visited_from"])
    if query.get("visited_to"):
        conditions.append(Visit.visited_on <= query["visited_to"])
    return paginate(session, select(Visit).where(*conditions).order_by(Visit.visited_on.desc(), Visit.id),
                    **paged(query))


def find_reception_sessions(session, query: dict) -> dict:
    conditions = []
    for name in ("grid_id", "station_id"):
        if query.get(name):
            conditions.append(getattr(ReceptionSession, name) == str(query[name]))
    if query.get("grid_ids") is not None:
        conditions.append(ReceptionSession.grid_id.in_(query["grid_ids"]))
    return paginate(session, select(ReceptionSession).where(*conditions)
                            .order_by(ReceptionSession.started_at.desc(), ReceptionSession.id), **paged(query))
