"""Roster commands: each validates against the stored roster, writes, and emits its event in one unit of work."""
from __future__ import annotations

import uuid

from sqlalchemy import Text, cast, func, select
from sqlalchemy.exc import IntegrityError

from wangge_common.crypto import FieldCipher
from wangge_common.db import utcnow
from wangge_common.errors import Conflict, Invalid, NotFound
from wangge_common.outbox import UnitOfWork
from wangge_common.paging import paginate

from . import domain, stations
from .identity import check_external_id, refuse_same_person
from .models import (Assignment, ContactHousehold, Deputy, Grid, PlanEntry, ReceptionDay, ReceptionRule,
                     Station, StationGrid)


def grid_event(grid: Grid) -> dict:
    return {"grid_id": grid.id, "code": grid.code, "name": grid.name, "level": grid.level,
            "parent_id": grid.parent_id, "kind": grid.kind, "households": grid.households,
            "population": grid.population, "difficulty": grid.difficulty, "leader": grid.leader,
            "latitude": grid.latitude, "longitude": grid.longitude}


def cipher(runtime) -> FieldCipher:
    """The suite's field cipher for personal data at rest (WANGGE_PII_KEY)."""
    return runtime.state.cipher


def deputy_event(deputy: Deputy) -> dict:
    return {"deputy_id": deputy.id, "kind": deputy.kind, "name": deputy.name, "gender": deputy.gender,
            "level": deputy.level, "position": deputy.position, "constituency": deputy.constituency,
            "home_grid_id": deputy.home_grid_id, "work_grid_id": deputy.work_grid_id,
            "specialities": list(deputy.specialities or []), "capability": deputy.capability, "status": deputy.status}


def create_grid(uow: UnitOfWork, data: dict) -> Grid:
    """Add a grid to the tree (网格设立) and emit grid.created."""
    session = uow.session
    parent_id = str(data["parent_id"]) if data.get("parent_id") else None
    parent_level = None
    if parent_id:
        parent = session.get(Grid, parent_id)
        if parent is None:
            raise Invalid([("parent_id", f"no grid {parent_id}")])
        parent_level = parent.level
    problem = domain.check_grid_placement(data["level"], parent_level)
    if problem:
        raise Invalid([("parent_id" if data["level"] > 1 or parent_id else "level", problem)])
    if session.scalar(select(Grid.id).where(Grid.code == data["code"])):
        raise Conflict(f"a grid with code {data['code']!r} exists")
    check_external_id(session, Grid, data.get("external_id"))
    grid = Grid(id=str(uuid.uuid4()), **{**data, "parent_id": parent_id})
    session.add(grid)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent request took the code between the check and the insert
        raise Conflict(f"a grid with code {data['code']!r} exists") from None
    uow.emit("grid.created", grid.id, grid_event(grid), new_subject=True)
    return grid


def update_grid(uow: UnitOfWork, grid_id: str, changes: dict) -> Grid:
    """Change a grid; a new parent is checked against the tree (no cycles, one level down); emits grid.updated."""
    session = uow.session
    grid = get_grid(session, grid_id)
    if "code" in changes and changes["code"] != grid.code and session.scalar(
            select(Grid.id).where(Grid.code == changes["code"])):
        raise Conflict(f"a grid with code {changes['code']!r} exists")
    if "external_id" in changes:
        check_external_id(session, Grid, changes["external_id"], grid.id)
    if "parent_id" in changes or "level" in changes:
        raw_parent = changes.get("parent_id", grid.parent_id)
        parent_id = str(raw_parent) if raw_parent else None
        level = changes.get("level", grid.level)
        parent = session.get(Grid, parent_id) if parent_id else None
        if parent_id and parent is None:
            raise Invalid([("parent_id", f"no grid {parent_id}")])
        ancestor = parent
        while ancestor is not None:  # walking up from the new parent must never reach the grid itself
            if ancestor.id == grid.id:
                raise Invalid([("parent_id", "would make the grid its own ancestor (a cycle in the tree)")])
            ancestor = session.get(Grid, ancestor.parent_id) if ancestor.parent_id else None
        problem = domain.check_grid_placement(level, parent.level if parent else None)
        if problem:
            raise Invalid([("parent_id", problem)])
        child = session.scalar(select(Grid).where(Grid.parent_id == grid.id).limit(1))
        if child is not None and child.level != level + 1:
            raise Invalid([("level", f"the grid has children of level {child.level}; "
                                     f"it must stay level {child.level - 1}")])
        changes["parent_id"] = parent_id
    changes = {name: value for name, value in changes.items() if getattr(grid, name) != value}
    if not changes:
        return grid  # nothing changed: no event (a re-imported export, say)
    for name, value in changes.items():
        setattr(grid, name, value)
    session.flush()
    uow.emit("grid.updated", grid.id, grid_event(grid))
    return grid


def get_grid(session, grid_id: str) -> Grid:
    grid = session.get(Grid, grid_id)
    if grid is None:
        raise NotFound(f"no grid {grid_id}")
    return grid


def subtree_ids(session, root_id) -> set[str]:
    """A grid and every grid under it (one read of the tree's edges)."""
    children: dict = {}
    for grid_id, parent_id in session.execute(select(Grid.id, Grid.parent_id)):
        children.setdefault(parent_id, []).append(grid_id)
    found, stack = set(), [str(root_id)]
    while stack:
        grid_id = stack.pop()
        found.add(grid_id)
        stack += children.get(grid_id, [])
    return found


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_grids(session, *, level=None, parent_id=None, under=None, q=None, page=1, page_size=100) -> dict:
    query = select(Grid)
    if under is not None:
        query = query.where(Grid.id.in_(subtree_ids(session, under)))
    if q:
        query = query.where(Grid.name.like(_like(q), escape="\\") | Grid.code.like(_like(q), escape="\\")
                            | (Grid.external_id == q))
    if level is not None:
        query = query.where(Grid.level == level)
    if parent_id is not None:
        query = query.where(Grid.parent_id == str(parent_id))
    return paginate(session, query.order_by(Grid.code), page, page_size)


def _check_grid_refs(session, data: dict) -> None:
    errors = []
    for name in ("home_grid_id", "work_grid_id"):
        if data.get(name) is not None:
            data[name] = str(data[name])
            if session.get(Grid, data[name]) is None:
                errors.append((name, f"no grid {data[name]}"))
    if errors:
        raise Invalid(errors)


def seal_personal(uow: UnitOfWork, data: dict) -> None:
    """The mobile (and the ID number) are stored encrypted, with the masked form beside them for every response
    and a keyed hash that finds the same person registered twice."""
    fields_cipher = cipher(uow.runtime)
    if "mobile" in data:
        mobile = data.pop("mobile")
        data["mobile_encrypted"] = fields_cipher.encrypt(mobile)
        data["mobile_masked"] = domain.mask_mobile(mobile)
        data["mobile_hash"] = fields_cipher.lookup_hash(mobile)
    if "id_number" in data:
        number = data.pop("id_number")
        data["id_number_encrypted"] = fields_cipher.encrypt(number)
        data["id_number_masked"] = domain.mask_id_number(number) if number else None
        data["id_number_hash"] = fields_cipher.lookup_hash(number)


def register_deputy(uow: UnitOfWork, data: dict, *, matched: bool = False) -> Deputy:
    """Add a deputy or party delegate to the roster and emit deputy.registered; the same person twice is 409.
    `matched`: an import already matched the row against the whole roster and the file (transfer.plan_deputies)."""
    _check_grid_refs(uow.session, data)
    if not matched:
        refuse_same_person(uow.session, cipher(uow.runtime), data)
    seal_personal(uow, data)
    deputy = Deputy(id=str(uuid.uuid4()), **data)
    uow.session.add(deputy)
    uow.session.flush()
    uow.emit("deputy.registered", deputy.id, deputy_event(deputy), new_subject=True)
    return deputy


def update_deputy(uow: UnitOfWork, deputy_id: str, changes: dict) -> Deputy:
    """Change a deputy's fields; the event carries the whole new state (and the reason for a status change)."""
    deputy = get_deputy(uow.session, deputy_id)
    reason = changes.pop("reason", None)
    _check_grid_refs(uow.session, changes)
    # Fields given with their current value are no change (a re-imported export, say), even for an ended term.
    if "mobile" in changes and cipher(uow.runtime).decrypt(deputy.mobile_encrypted) == changes["mobile"]:
        del changes["mobile"]
    if "id_number" in changes and cipher(uow.runtime).lookup_hash(changes["id_number"]) == deputy.id_number_hash:
        del changes["id_number"]
    changes = {name: value for name, value in changes.items()
               if name in ("mobile", "id_number") or getattr(deputy, name) != value}
    if not changes:
        return deputy
    if deputy.status == "ended":
        raise Conflict("the deputy's term has ended; the record is kept as history and no longer changes")
    if changes.get("status") == "ended":
        raise Invalid([("status", "end a term with POST /v1/deputies/{id}/end, which also ends the assignments")])
    if "status" in changes and not reason:
        raise Invalid([("reason", f"a change of status ({deputy.status} → {changes['status']}) needs a reason")])
    refuse_same_person(uow.session, cipher(uow.runtime), changes, deputy.id)
    seal_personal(uow, changes)
    display = changes.get("phone_display", deputy.phone_display)
    office = changes.get("office_phone", deputy.office_phone)
    if display == "office" and not office:
        raise Invalid([("office_phone", "is required when phone_display is 'office'")])
    start, end = changes.get("term_start", deputy.term_start), changes.get("term_end", deputy.term_end)
    if start and end and end < start:
        raise Invalid([("term_end", f"must not be before term_start ({start.isoformat()})")])
    for name, value in changes.items():
        setattr(deputy, name, value)
    uow.session.flush()
    uow.emit("deputy.updated", deputy.id, {**deputy_event(deputy), **({"reason": reason} if reason else {})})
    return deputy


def end_deputy(uow: UnitOfWork, deputy_id: str, *, reason: str, ended_on) -> Deputy:
    """End a deputy's term (届满、辞职、罢免): the record stays, every live assignment ends with an event."""
    session = uow.session
    deputy = get_deputy(session, deputy_id)
    if deputy.status == "ended":
        raise Conflict("the deputy's term has already ended")
    if deputy.term_start and ended_on < deputy.term_start:
        raise Invalid([("ended_on", f"must not be before term_start ({deputy.term_start.isoformat()})")])
    now = utcnow()
    for assignment in session.scalars(select(Assignment).where(Assignment.deputy_id == deputy.id,
                                                               Assignment.ended_at.is_(None))):
        assignment.ended_at, assignment.end_reason = now, f"term ended: {reason}"[:500]
        uow.emit("assignment.ended", assignment.grid_id,
                 {"grid_id": assignment.grid_id, "deputy_id": deputy.id, "reason": assignment.end_reason})
    deputy.status, deputy.term_end, deputy.end_reason = "ended", ended_on, reason
    session.flush()
    from .receptions import withdraw_deputy  # receptions builds on this module

    withdraw_deputy(uow, deputy, "代表资格终止")
    uow.emit("deputy.ended", deputy.id, {"deputy_id": deputy.id, "ended_on": ended_on.isoformat(), "reason": reason})
    return deputy


def delete_deputy(uow: UnitOfWork, deputy_id: str) -> None:
    """Remove a deputy entered by mistake; one with any assignment, plan or contact history cannot be deleted."""
    session = uow.session
    deputy = get_deputy(session, deputy_id)
    if session.scalar(select(Assignment.id).where(Assignment.deputy_id == deputy.id, Assignment.ended_at.is_(None))
                      .limit(1)):
        raise Conflict("the deputy serves a grid and cannot be deleted: end the term instead "
                       f"(POST /v1/deputies/{deputy.id}/end); the history is kept")
    if (session.scalar(select(Assignment.id).where(Assignment.deputy_id == deputy.id).limit(1))
            or session.scalar(select(PlanEntry.plan_id).where(PlanEntry.deputy_id == deputy.id).limit(1))
            or session.scalar(select(ContactHousehold.id).where(ContactHousehold.deputy_id == deputy.id).limit(1))
            or _on_reception_duty(session, deputy.id)):
        raise Conflict("the deputy has assignment, plan, contact or reception history and cannot be deleted: "
                       f"end the term instead (POST /v1/deputies/{deputy.id}/end)")
    session.delete(deputy)
    session.flush()
    uow.emit("deputy.removed", deputy.id, {"deputy_id": deputy.id, "reason": "entered by mistake"})


def _on_reception_duty(session, deputy_id: str) -> bool:
    """Whether a reception rota or day names the deputy (ids sit in JSON lists; a uuid matches only itself)."""
    pattern = f'%"{deputy_id}"%'
    return bool(session.scalar(select(ReceptionRule.id).where(cast(ReceptionRule.rota, Text).like(pattern)).limit(1))
                or session.scalar(select(ReceptionDay.id).where(cast(ReceptionDay.deputy_ids, Text).like(pattern))
                                  .limit(1)))


def deputy_contact(session, runtime, deputy_id: str) -> dict:
    """Clear-text contact for server-to-server use (notify); never in events or public responses."""
    deputy = get_deputy(session, deputy_id)
    return {"name": deputy.name, "phone": cipher(runtime).decrypt(deputy.mobile_encrypted), "email": deputy.email}


def create_station(uow: UnitOfWork, data: dict) -> Station:
    """Open a liaison station (代表联络站) and emit station.created."""
    if data["tier"] == "main":
        _check_one_main_station(uow.session)
    check_external_id(uow.session, Station, data.get("external_id"))
    data["grid_ids"] = _check_station_grids(uow.session, data.get("grid_ids", []))
    data["township_id"] = stations.place(uow.session, data["tier"], data["grid_ids"])
    station = Station(id=str(uuid.uuid4()), **data)
    uow.session.add(station)
    uow.session.add_all(StationGrid(station_id=station.id, grid_id=g) for g in station.grid_ids)
    _flush_station(uow.session)
    uow.emit("station.created", station.id, station_event(station), new_subject=True)
    return station


def update_station(uow: UnitOfWork, station_id: str, changes: dict) -> Station:
    """Change a station (address, hours, the grids it serves) and emit station.updated."""
    station = get_station(uow.session, station_id)
    if changes.get("tier") == "main" and station.tier != "main":
        _check_one_main_station(uow.session)
    if "external_id" in changes:
        check_external_id(uow.session, Station, changes["external_id"], station.id)
    if "grid_ids" in changes or "tier" in changes:  # "1+4+N": where the station sits, checked again
        grid_ids = _check_station_grids(uow.session, changes.get("grid_ids", list(station.grid_ids)))
        changes["township_id"] = stations.place(uow.session, changes.get("tier", station.tier), grid_ids, station.id)
    if "grid_ids" in changes:
        changes["grid_ids"] = grid_ids
        uow.session.execute(StationGrid.__table__.delete().where(StationGrid.station_id == station.id))
        uow.session.add_all(StationGrid(station_id=station.id, grid_id=g) for g in changes["grid_ids"])
    for name, value in changes.items():
        setattr(station, name, value)
    _flush_station(uow.session)
    uow.emit("station.updated", station.id, station_event(station))
    return station


def _flush_station(session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent request opened the township's station between the check and the write
        raise Conflict("the township already has its township station; \"1+4+N\" allows one per township") from None


def _check_one_main_station(session) -> None:
    """"1+4+N": the county has one main station (总站)."""
    main = session.scalar(select(Station).where(Station.tier == "main").limit(1))
    if main is not None:
        raise Conflict(f"the county already has its main station ({main.name}, {main.id}); "
                       "\"1+4+N\" allows one: open a township or area station instead")


def _check_station_grids(session, grid_ids) -> list[str]:
    ids = list(dict.fromkeys(str(g) for g in grid_ids))
    found = set(session.scalars(select(Grid.id).where(Grid.id.in_(ids)))) if ids else set()
    missing = [g for g in ids if g not in found]
    if missing:
        raise Invalid([("grid_ids", f"no grid {g}") for g in missing])
    return ids


def station_event(station: Station) -> dict:
    return {"station_id": station.id, "name": station.name, "tier": station.tier, "address": station.address,
            "opening_hours": station.opening_hours, "phone": station.phone, "grid_ids": list(station.grid_ids)}


def get_station(session, station_id: str) -> Station:
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound(f"no station {station_id}")
    return station


def list_stations(session, *, grid_id=None, tier=None, under=None, q=None, page=1, page_size=100) -> dict:
    query = select(Station)
    if under is not None:
        query = query.where(Station.id.in_(select(StationGrid.station_id)
                                           .where(StationGrid.grid_id.in_(subtree_ids(session, under)))))
    if q:
        query = query.where(Station.name.like(_like(q), escape="\\") | (Station.external_id == q))
    if grid_id:
        query = query.where(Station.id.in_(select(StationGrid.station_id).where(StationGrid.grid_id == str(grid_id))))
    if tier:
        query = query.where(Station.tier == tier)
    return paginate(session, query.order_by(Station.name, Station.id), page, page_size)


def get_deputy(session, deputy_id: str) -> Deputy:
    deputy = session.get(Deputy, deputy_id)
    if deputy is None:
        raise NotFound(f"no deputy {deputy_id}")
    return deputy


def list_deputies(session, *, level=None, kind=None, status=None, grid_id=None, under=None, q=None, page=1,
                  page_size=100) -> dict:
    query = select(Deputy)
    if under is not None:
        grids = subtree_ids(session, under)
        query = query.where(Deputy.home_grid_id.in_(grids) | Deputy.work_grid_id.in_(grids))
    if q:
        query = query.where(Deputy.name.like(_like(q), escape="\\") | (Deputy.external_id == q))
    if kind:
        query = query.where(Deputy.kind == kind)
    if level:
        query = query.where(Deputy.level == level)
    if status:
        query = query.where(Deputy.status == status)
    if grid_id:
        query = query.where((Deputy.home_grid_id == str(grid_id)) | (Deputy.work_grid_id == str(grid_id)))
    return paginate(session, query.order_by(Deputy.name, Deputy.id), page, page_size)

