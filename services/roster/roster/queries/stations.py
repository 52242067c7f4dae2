""""1+4+N" liaison stations (代表联络站): one main station for the county, one station per township, and N area
stations reaching down to villages, communities and groups (seed 002).

Reads: one station, a list, and `network`, the whole county's structure checked with every gap listed.
"""
from __future__ import annotations

from sqlalchemy import select

from wangge_common.errors import NotFound
from wangge_common.paging import paginate

from ..models import Grid, Station, StationGrid
from .. import domain
from .grids import contains_pattern, subtree_ids


def townships_of(session, grid_ids: list[str]) -> dict[str, Grid]:
    """grid id -> its township (the root of its line), walking up level by level (three levels at most)."""
    rows = {g.id: g for g in session.scalars(select(Grid).where(Grid.id.in_(grid_ids)))} if grid_ids else {}
    top = dict.fromkeys(rows, None)
    current = {g: rows[g] for g in rows}
    while current:
        parents = {g.parent_id for g in current.values() if g.parent_id}
        found = {p.id: p for p in session.scalars(select(Grid).where(Grid.id.in_(parents)))} if parents else {}
        following = {}
        for grid_id, grid in current.items():
            if grid.parent_id and grid.parent_id in found:
                following[grid_id] = found[grid.parent_id]
            else:
                top[grid_id] = grid
        current = following
    return top


def network(session) -> dict:
    """The county's "1+4+N": the main station, each township's station (or its absence), the area stations and
    every gap, each a finding with its reason."""
    stations = session.scalars(select(Station).order_by(Station.name, Station.id)).all()
    townships = session.scalars(select(Grid).where(Grid.parent_id.is_(None)).order_by(Grid.code)).all()
    served = {}
    for station_id, grid_id in session.execute(select(StationGrid.station_id, StationGrid.grid_id)):
        served.setdefault(station_id, []).append(grid_id)
    main = [s for s in stations if s.tier == "main"]
    by_township = {s.township_id: s for s in stations if s.tier == "township" and s.township_id}
    rows = [{"township_id": town.id, "code": town.code, "name": town.name,
             "station_id": by_township[town.id].id if town.id in by_township else None,
             "station_name": by_township[town.id].name if town.id in by_township else None} for town in townships]
    findings = domain.station_network_findings(stations, townships, served)
    area = [s for s in stations if s.tier == "area"]
    return {"main_station_id": main[0].id if main else None, "townships": rows,
            "township_stations": len(by_township), "area_stations": len(area), "findings": findings,
            "complete": not findings,
            "formula": f"{len(main)}+{len(by_township)}+{len(area)}"}


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
        query = query.where(Station.name.like(contains_pattern(q), escape="\\") | (Station.external_id == q))
    if grid_id:
        query = query.where(Station.id.in_(select(StationGrid.station_id).where(StationGrid.grid_id == str(grid_id))))
    if tier:
        query = query.where(Station.tier == tier)
    return paginate(session, query.order_by(Station.name, Station.id), page, page_size)
