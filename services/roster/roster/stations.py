""""1+4+N" liaison stations (代表联络站): one main station for the county, one station per township, and N area
stations reaching down to villages, communities and groups (seed 002).

`place` checks where a station sits in that structure when it is opened or changed; `network` checks the whole
county's structure and lists every gap.
"""
from __future__ import annotations

from sqlalchemy import select

from wangge_common.errors import Conflict, Invalid

from .models import Grid, Station, StationGrid


def _townships_of(session, grid_ids: list[str]) -> dict[str, Grid]:
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


def place(session, tier: str, grid_ids: list[str], station_id: str | None = None) -> str | None:
    """Check a station's tier against the grids it serves; the township a township station belongs to.

    A township station serves grids of exactly one township (its township grid, usually) and is the only one of
    that township; an area station reaches down to villages and groups, not to a township grid itself."""
    towns = _townships_of(session, grid_ids)
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
    findings = []
    if not main:
        findings.append({"rule": "no_main_station", "reason": "the county has no main station (总站)"})
    rows = []
    for town in townships:
        station = by_township.get(town.id)
        rows.append({"township_id": town.id, "code": town.code, "name": town.name,
                     "station_id": station.id if station else None, "station_name": station.name if station else None})
        if station is None:
            findings.append({"rule": "township_without_station", "grid_id": town.id, "grid_code": town.code,
                             "reason": f"{town.name} has no township station (乡镇代表联络站)"})
    for s in stations:
        if s.tier == "township" and not s.township_id:
            findings.append({"rule": "station_without_township", "station_id": s.id,
                             "reason": f"the township station {s.name} serves no grid of a township"})
        if s.tier == "area" and not served.get(s.id):
            findings.append({"rule": "area_station_without_grid", "station_id": s.id,
                             "reason": f"the area station {s.name} serves no grid"})
    area = [s for s in stations if s.tier == "area"]
    return {"main_station_id": main[0].id if main else None, "townships": rows,
            "township_stations": len(by_township), "area_stations": len(area), "findings": findings,
            "complete": not findings,
            "formula": f"{len(main)}+{len(by_township)}+{len(area)}"}
