"""Reception schedules (接待日): monthly fixed days or a weekly rota, generated ahead and published ≥ 3 days before."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from wangge_common import clock
from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from ..domain import (LEAD_DAYS, check_hours, describe, duty_team_problems, missing_days, rule_days,
                      schedule_pattern_problem)
from ..models import Deputy, Grid, ReceptionDay, ReceptionRule, Station
from ..queries.receptions import get_day, get_rule


def check_team(session, deputy_ids: list[str], *, two_representatives: bool, field: str) -> list[dict]:
    """A duty team: serving deputies, at least one NPC deputy and, in the 两代表 scheme, one party delegate."""
    ids = list(dict.fromkeys(str(d) for d in deputy_ids))
    found = {d.id: d for d in session.scalars(select(Deputy).where(Deputy.id.in_(ids)))} if ids else {}
    problems = duty_team_problems(ids, found, two_representatives)
    if problems:
        raise Invalid([(field, problem) for problem in problems])
    return [{"deputy_id": d, "kind": found[d].kind} for d in ids]


def _same_schedule(session, rule: ReceptionRule) -> ReceptionRule | None:
    """A schedule already set up for the same place, days and hours (its rota aside): the same schedule twice."""
    place = (ReceptionRule.grid_id == rule.grid_id) if rule.grid_id else (ReceptionRule.station_id == rule.station_id)
    for other in session.scalars(select(ReceptionRule).where(
            place, ReceptionRule.pattern == rule.pattern, ReceptionRule.start_time == rule.start_time,
            ReceptionRule.end_time == rule.end_time)):
        if other.id != rule.id and other.weekday == rule.weekday and sorted(other.month_days) == rule.month_days:
            return other
    return None


def create_rule(uow: UnitOfWork, data: dict, *, today: date | None = None) -> tuple[ReceptionRule, list, list]:
    """Set up a schedule and publish its days for the next `weeks` weeks (reception.scheduled for each)."""
    session = uow.session
    weeks = data.pop("weeks")
    grid_id, station_id, place = _rule_place(session, data)
    problem = schedule_pattern_problem(data["pattern"], data.get("weekday"), data.get("month_days"))
    if problem:
        raise Invalid([problem])
    check_hours(data["start_time"], data["end_time"])
    for i, team in enumerate(data["rota"]):
        check_team(session, team, two_representatives=data["two_representatives"], field=f"rota.{i}")
    rule = ReceptionRule(id=str(uuid.uuid4()), grid_id=grid_id, station_id=station_id, place=place,
                         pattern=data["pattern"], month_days=sorted(set(data.get("month_days") or [])),
                         weekday=data.get("weekday") if data["pattern"] == "weekly" else None,
                         start_time=data["start_time"], end_time=data["end_time"],
                         rota=[[str(d) for d in team] for team in data["rota"]],
                         two_representatives=data["two_representatives"])
    same = _same_schedule(session, rule)
    if same is not None:
        raise Conflict(f"the same schedule is already set up ({describe(same)} at {same.place}): change its rota "
                       "instead", extra={"existing_schedule_id": same.id})
    session.add(rule)
    session.flush()
    created, skipped = generate(uow, rule, weeks, today=today)
    return rule, created, skipped


def _rule_place(session, data: dict) -> tuple[str | None, str | None, str]:
    """(grid_id, station_id, place): a schedule is held at exactly one grid or station, which exist; the place
    defaults to its name."""
    grid_id = str(data["grid_id"]) if data.get("grid_id") else None
    station_id = str(data["station_id"]) if data.get("station_id") else None
    if bool(grid_id) == bool(station_id):
        raise Invalid([("grid_id", "give exactly one of grid_id and station_id")])
    grid = session.get(Grid, grid_id) if grid_id else None
    if grid_id and grid is None:
        raise Invalid([("grid_id", f"no grid {grid_id}")])
    station = session.get(Station, station_id) if station_id else None
    if station_id and station is None:
        raise Invalid([("station_id", f"no station {station_id}")])
    return grid_id, station_id, data.get("place") or (station.name if station else grid.name)


def change_rule(uow: UnitOfWork, rule_id: str, changes: dict) -> ReceptionRule:
    """Change a schedule's rota, hours or place for the days generated from now on; published days stay as they
    are (each is changed on its own, with its reason and the three-day rule)."""
    rule = get_rule(uow.session, rule_id)
    two = changes.get("two_representatives", rule.two_representatives)
    check_hours(changes.get("start_time", rule.start_time), changes.get("end_time", rule.end_time))
    rota = changes.get("rota", rule.rota)
    for i, team in enumerate(rota):
        check_team(uow.session, team, two_representatives=two, field=f"rota.{i}")
    rule.rota = [[str(d) for d in team] for team in rota]
    for name in ("start_time", "end_time", "place", "two_representatives"):
        if name in changes:
            setattr(rule, name, changes[name])
    uow.session.flush()
    return rule


def generate(uow: UnitOfWork, rule: ReceptionRule, weeks: int, *, today: date | None = None):
    """Publish the rule's days for the next `weeks` weeks; days already published stay as they are, days less
    than three days away are skipped (too late to post), and said so."""
    session = uow.session
    today = today or clock.local_date(clock.now())
    existing = set(session.scalars(select(ReceptionDay.day).where(ReceptionDay.rule_id == rule.id)))
    taken = len(existing)
    created, skipped = [], missing_days(rule, today, today + timedelta(weeks=weeks))
    for day in rule_days(rule, today, today + timedelta(weeks=weeks)):
        if day in existing:
            continue
        if (day - today).days < LEAD_DAYS:
            skipped.append({"day": day, "reason": f"less than {LEAD_DAYS} days away: too late to publish"})
            continue
        turn = taken % len(rule.rota)
        taken += 1
        # A member whose term ended (or who is suspended) since the rota was set is left out; a team left
        # without the deputies the rule needs cannot hold the day, and the answer says so.
        serving = set(session.scalars(select(Deputy.id).where(Deputy.id.in_(rule.rota[turn]),
                                                              Deputy.status == "serving")))
        try:
            deputies = check_team(session, [d for d in rule.rota[turn] if d in serving],
                                  two_representatives=rule.two_representatives, field=f"rota.{turn}")
        except Invalid as exc:
            skipped.append({"day": day, "reason": f"duty team {turn + 1} has no one to hold it: "
                                                  + "; ".join(e["reason"] for e in exc.errors)})
            continue
        reception = ReceptionDay(
            id=str(uuid.uuid4()), rule_id=rule.id, day=day, grid_id=rule.grid_id, station_id=rule.station_id,
            place=rule.place, starts_at=_at(day, rule.start_time), ends_at=_at(day, rule.end_time),
            deputy_ids=[d["deputy_id"] for d in deputies], status="scheduled")
        session.add(reception)
        session.flush()
        uow.emit("reception.scheduled", reception.id, reception_event(reception, deputies), new_subject=True)
        created.append(reception)
    return created, skipped


def _at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), clock.CHINA).astimezone(timezone.utc)


def reception_event(reception: ReceptionDay, deputies: list[dict]) -> dict:
    return {"reception_id": reception.id, "grid_id": reception.grid_id, "station_id": reception.station_id,
            "place": reception.place, "starts_at": clock.wire_time(reception.starts_at),
            "ends_at": clock.wire_time(reception.ends_at), "deputies": deputies,
            "status": reception.status, "reason": reception.reason}


def change_day(uow: UnitOfWork, reception_id: str, changes: dict, *, today: date | None = None) -> ReceptionDay:
    """Change or cancel a published day; refused when the day (old or new) is less than three days away."""
    session = uow.session
    today = today or clock.local_date(clock.now())
    reception = get_day(session, reception_id)
    if reception.status == "cancelled":
        raise Conflict("the reception day was cancelled; publish a new schedule instead")
    _check_lead(reception.day, today, "the reception day")
    rule = session.get(ReceptionRule, reception.rule_id)
    day = changes.get("day", reception.day)
    if day != reception.day:
        _check_lead(day, today, "the new day")
        if session.scalar(select(ReceptionDay.id).where(ReceptionDay.rule_id == rule.id, ReceptionDay.day == day)):
            raise Conflict(f"the schedule already has a reception on {day.isoformat()}; change that day instead")
    local_start = clock.local_text(reception.starts_at, "%H:%M")
    local_end = clock.local_text(reception.ends_at, "%H:%M")
    start, end = changes.get("start_time", local_start), changes.get("end_time", local_end)
    check_hours(start, end)
    deputies = check_team(session, changes.get("deputy_ids", reception.deputy_ids),
                          two_representatives=rule.two_representatives, field="deputy_ids")
    reception.day, reception.starts_at, reception.ends_at = day, _at(day, start), _at(day, end)
    reception.place = changes.get("place", reception.place)
    reception.deputy_ids = [d["deputy_id"] for d in deputies]
    reception.status = "cancelled" if changes.get("cancel") else "changed"
    reception.reason = changes["reason"]
    session.flush()
    uow.emit("reception.changed", reception.id, reception_event(reception, deputies))
    return reception


def _check_lead(day: date, today: date, what: str) -> None:
    away = (day - today).days
    if away < LEAD_DAYS:
        raise Conflict(f"{what} ({day.isoformat()}) is {max(away, 0)} days away; schedules are published at least "
                       f"{LEAD_DAYS} days before the day (公示提前三天), so it can no longer be changed")


def withdraw_deputy(uow: UnitOfWork, deputy, why: str) -> int:
    """Take a deputy whose term ended off every coming reception day (reception.changed for each); a day left
    without an NPC deputy on duty is cancelled, saying so, so that the board and reminders follow."""
    session = uow.session
    changed = 0
    for reception in session.scalars(select(ReceptionDay).where(ReceptionDay.day >= clock.local_date(clock.now()),
                                                                ReceptionDay.status != "cancelled")):
        if deputy.id not in reception.deputy_ids:
            continue
        remaining = [d for d in reception.deputy_ids if d != deputy.id]
        kinds = {d.id: d.kind for d in session.scalars(select(Deputy).where(Deputy.id.in_(remaining)))}
        reception.deputy_ids = remaining
        if "npc_deputy" in kinds.values():
            reception.status, reception.reason = "changed", f"{deputy.name}{why}"[:500]
        else:
            reception.status = "cancelled"
            reception.reason = f"{deputy.name}{why}，无人大代表值班，接待日取消，待重新安排"[:500]
        session.flush()
        uow.emit("reception.changed", reception.id, reception_event(
            reception, [{"deputy_id": d, "kind": kinds[d]} for d in remaining]))
        changed += 1
    return changed
