"""The public notice (公示) of a grid: who serves it, how to reach them, where and when they receive residents."""
from __future__ import annotations

from sqlalchemy import or_, select

from wangge_common import clock

from .. import domain
from ..domain import WEEKDAYS_ZH, describe
from ..models import Assignment, Deputy, Grid, ReceptionDay, ReceptionRule, Station, StationGrid
from .grids import get_grid


LEVEL_ORDER = {level: i for i, level in enumerate(domain.LEVELS)}
KIND_NAMES_ZH = {"npc_deputy": "人大代表", "party_delegate": "党代表"}
STATION_TIER_ZH = {"main": "代表联络总站", "township": "乡镇代表联络站", "area": "片区代表联络站"}


def _station_phone_for(session, grid_ids: list[str], tier: str | None = None) -> Station | None:
    """The station serving the first of `grid_ids` that has one (optionally of one tier)."""
    query = select(Station, StationGrid.grid_id).join(StationGrid, StationGrid.station_id == Station.id) \
        .where(StationGrid.grid_id.in_(grid_ids))
    if tier:
        query = query.where(Station.tier == tier)
    found = {grid: station for station, grid in session.execute(query.order_by(Station.id))}
    return next((found[g] for g in grid_ids if g in found), None)


def notice(session, grid_id: str, *, notice_days: int,
           supervision_phone: str | None = None) -> dict:
    """Everything the notice prints: each deputy's public contact (their office number when they agreed to
    publish it, else the station's number; never their mobile), the 公示期 and the supervision number."""
    grid = get_grid(session, grid_id)
    lineage = [grid]
    while lineage[-1].parent_id:
        lineage.append(session.get(Grid, lineage[-1].parent_id))
    ids = [g.id for g in lineage]
    station = _station_phone_for(session, ids)
    deputies, published = _serving(session, grid.id, station.phone if station else None)
    township_station = _station_phone_for(session, ids[::-1], tier="township")
    today = clock.local_date(clock.now())
    return {
        "grid": {"grid_id": grid.id, "code": grid.code, "name": grid.name,
                 "full_name": domain.place_name([g.name for g in reversed(lineage)]), "leader": grid.leader,
                 "workers": list(grid.workers or []), "households": grid.households, "population": grid.population},
        "deputies": deputies,
        "station": _station_view(station),
        "notice_period": domain.notice_period(clock.local_date(published), notice_days) if published else None,
        "supervision_phone": (township_station.phone if township_station else None) or supervision_phone,
        **_receptions(session, grid.id, station, today),
        "issuer": f"{lineage[-1].name}人大主席团",
        "date": today.isoformat(),
    }


def _serving(session, grid_id: str, station_phone: str | None) -> tuple[list[dict], object]:
    """The deputies serving the grid, NPC deputies first by level, with the number the notice prints for each;
    and when the latest of them started (the publication the 公示期 counts from)."""
    rows = session.execute(select(Deputy, Assignment.started_at).join(Assignment, Assignment.deputy_id == Deputy.id)
                           .where(Assignment.grid_id == grid_id, Assignment.ended_at.is_(None))).all()
    rows.sort(key=lambda r: (r.Deputy.kind != "npc_deputy", LEVEL_ORDER[r.Deputy.level], r.Deputy.name))
    deputies = []
    for d, started in rows:
        own = domain.public_phone(d.office_phone, d.phone_display)
        deputies.append({
            "deputy_id": d.id, "name": d.name, "kind": d.kind, "kind_zh": KIND_NAMES_ZH[d.kind], "level": d.level,
            "level_zh": domain.LEVEL_NAMES_ZH[d.level] if d.kind == "npc_deputy" else KIND_NAMES_ZH[d.kind],
            "position": d.position, "phone": own or station_phone, "pledge": d.pledge,
            "since": clock.local_date(started).isoformat(),
            "phone_source": "office" if own else ("station" if station_phone else None)})
    return deputies, max((started for _, started in rows), default=None)


def _station_view(station: Station | None) -> dict | None:
    if station is None:
        return None
    return {"station_id": station.id, "name": station.name, "tier": station.tier,
            "tier_zh": STATION_TIER_ZH[station.tier], "address": station.address,
            "opening_hours": station.opening_hours, "phone": station.phone}


def _receptions(session, grid_id: str, station: Station | None, today) -> dict:
    """The reception schedules of the grid and its station, and the next six days still held."""
    where = [ReceptionRule.grid_id == grid_id] + ([ReceptionRule.station_id == station.id] if station else [])
    rules = session.scalars(select(ReceptionRule).where(or_(*where)).order_by(ReceptionRule.created_at)).all()
    day_where = [ReceptionDay.grid_id == grid_id] + ([ReceptionDay.station_id == station.id] if station else [])
    days = session.scalars(select(ReceptionDay).where(or_(*day_where), ReceptionDay.day >= today,
                                                      ReceptionDay.status != "cancelled")
                           .order_by(ReceptionDay.starts_at).limit(6)).all()
    names = {d.id: d.name for d in session.scalars(select(Deputy).where(
        Deputy.id.in_({i for day in days for i in day.deputy_ids})))} if days else {}
    return {
        "reception_rules": [{"place": r.place, "description": describe(r)} for r in rules],
        "upcoming_receptions": [{"day": day.day.isoformat(), "weekday_zh": WEEKDAYS_ZH[day.day.weekday()],
                                 "place": day.place,
                                 "starts_at": clock.local_text(day.starts_at, "%H:%M"),
                                 "ends_at": clock.local_text(day.ends_at, "%H:%M"),
                                 "deputies": [names.get(i, "") for i in day.deputy_ids],
                                 "changed": day.status == "changed"} for day in days],
    }
