""""1+4+N" liaison stations (代表联络站): one main station for the county, one station per township, and N area
stations reaching down to villages, communities and groups (seed 002).

Commands: open and change a station; `place` checks where it sits in that structure.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from ..models import Grid, Station, StationGrid
from ..queries.stations import get_station, townships_of
from .identity import check_external_id


def create_station(uow: UnitOfWork, data: dict) -> Station:
    """Open a liaison station (代表联络站) and emit station.created."""
    if data["tier"] == "main":
        _check_one_main_station(uow.session)
    check_external_id(uow.session, Station, data.get("external_id"))
    data["grid_ids"] = _check_station_grids(uow.session, data.get("grid_ids", []))
    data["township_id"] = place(uow.session, data["tier"], data["grid_ids"])
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
        changes["township_id"] = place(uow.session, changes.get("tier", station.tier), grid_ids, station.id)
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


def place(session, tier: str, grid_ids: list[str], station_id: str | None = None) -> str | None:
    """Check a station's tier against the grids it serves; the township a township station belongs to.

    A township station serves grids of exactly one township (its township grid, usually) and is the only one of
    that township; an area station reaches down to villages and groups, not to a township grid itself."""
    towns = townships_of(session, grid_ids)
    if tier == "township":
        names = {t.id: t for t in towns.values()}
        if not names:
            raise Invalid([("grid_ids", "a township station belongs to a township: give its township grid")])
        if len(names) > 1:
            listed = "、".join(sorted(f"{t.name} ({t.code})" for t in names.values()))
            raise Invalid([("grid_ids", f"a township station serves one township; these grids are in {listed}")])
        township = next(iter(names.values()))
        query = select(Station).where(Station.tier == "township", Station.township_id == township.id)
        if station_id:
            query = query.where(Station.id != station_id)
        other = session.scalar(query.limit(1))
        if other is not None:
            raise Conflict(f"{township.name} already has its township station ({other.name}, {other.id}); "
                           "\"1+4+N\" allows one per township: open an area station for the villages instead")
        return township.id
    if tier == "area":
        top = [g for g, town in towns.items() if town.id == g]
        if top:
            raise Invalid([("grid_ids", f"an area station reaches down to villages, communities and groups; the "
                                        f"township grid {g} is served by its township station") for g in top])
    return None
