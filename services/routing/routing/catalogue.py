"""The dispatch catalogue (派单目录), deadline rules and the holiday calendar: edited through the API, never
overwritten (an edit retires a line and adds its next version)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import extract, select

from wangge_common import redaction
from wangge_common.db import utcnow
from wangge_common.errors import Conflict, NotFound

from . import holidays
from .models import DeadlineRule, DispatchRule, Holiday, HolidayChange

MODELS = {"dispatch": DispatchRule, "deadline": DeadlineRule}


def list_lines(session, kind: str, *, include_retired: bool = False):
    model = MODELS[kind]
    query = select(model).order_by(model.lineage_id, model.version)
    if not include_retired:
        query = query.where(model.active.is_(True))
    return session.scalars(query).all()


def get_line(session, kind: str, line_id: int):
    line = session.get(MODELS[kind], line_id)
    if line is None:
        raise NotFound(f"no {kind} rule {line_id}")
    return line


def history(session, kind: str, line_id: int):
    model = MODELS[kind]
    line = get_line(session, kind, line_id)
    return session.scalars(select(model).where(model.lineage_id == line.lineage_id).order_by(model.version)).all()


def create_line(session, kind: str, data: dict, actor: str):
    fields = {k: v for k, v in data.items() if k != "reason"}
    line = MODELS[kind](**fields, active=True, version=1, changed_by=actor, change_reason=data["reason"],
                        created_at=utcnow())
    session.add(line)
    session.flush()
    line.lineage_id = line.id
    return line


def revise_line(session, kind: str, line_id: int, data: dict, actor: str):
    """A new version of an active line; the old one stays, retired, for the record."""
    old = _active(session, kind, line_id)
    old.active, old.retired_at = False, utcnow()
    session.flush()
    fields = {k: v for k, v in data.items() if k != "reason"}
    line = MODELS[kind](**fields, active=True, lineage_id=old.lineage_id, version=old.version + 1,
                        changed_by=actor, change_reason=data["reason"], created_at=utcnow())
    session.add(line)
    session.flush()
    return line


def retire_line(session, kind: str, line_id: int, reason: str, actor: str):
    line = _active(session, kind, line_id)
    line.active, line.retired_at = False, utcnow()
    line.change_reason = f"{line.change_reason or ''} | retired by {actor}: {reason}"[-500:]
    return line


def _active(session, kind: str, line_id: int):
    line = session.scalars(select(MODELS[kind]).where(MODELS[kind].id == line_id).with_for_update()).first()
    if line is None:
        raise NotFound(f"no {kind} rule {line_id}")
    if not line.active:
        raise Conflict(f"{kind} rule {line_id} is a retired version; edit the active one of its lineage",
                       errors=[{"field": "id", "reason": "retired"}])
    return line


CATALOGUE_KEY = "dispatch-catalogue"  # one key: every change's list arrives in order


def announce(uow, kind: str, line, change: str, reason: str) -> None:
    """Tell the other services the dispatch catalogue changed: dispatch_catalogue.changed with the full list of
    topics the active lines route (intake refuses a case whose topic is not among them). Deadline rules route
    nothing and are not announced."""
    if kind != "dispatch":
        return
    uow.session.flush()
    topics = sorted(set(uow.session.scalars(select(DispatchRule.topic).where(DispatchRule.active.is_(True),
                                                                             DispatchRule.topic.is_not(None)))))
    uow.emit("dispatch_catalogue.changed", CATALOGUE_KEY, data={
        "topics": topics, "rule_id": line.id, "change": change, "reason": redaction.redact(reason)[:500]})


def list_holidays(session, year: int | None):
    query = select(Holiday).order_by(Holiday.day)
    if year:
        query = query.where(extract("year", Holiday.day) == year)
    return session.scalars(query).all()


def put_holiday(session, day: date, data: dict, actor: str) -> Holiday:
    """A local change: wins over every later refresh from chinese-calendar, and is kept in the history."""
    holiday = session.get(Holiday, day) or Holiday(day=day)
    holiday.kind, holiday.name, holiday.changed_by, holiday.updated_at = data["kind"], data["name"], actor, utcnow()
    holiday.source, holiday.reason = "local", data.get("reason")
    session.add(holiday)
    holidays.record(session, day, data["kind"], data["name"], "local", actor, data.get("reason"))
    session.flush()
    return holiday


def delete_holiday(session, day: date, actor: str, reason: str | None = None) -> None:
    """The day counts by its weekday again. A day the seed would put back stays as a local `weekday` entry, so a
    refresh does not undo the change."""
    holiday = session.get(Holiday, day)
    already = holiday is not None and holiday.source == "local" and holiday.kind == "weekday"
    if already or (holiday is None and not holidays.seeded(day)):
        raise NotFound(f"{day.isoformat()} is not in the holiday calendar")
    if holidays.seeded(day):
        holiday = holiday or Holiday(day=day)
        holiday.kind, holiday.name, holiday.source, holiday.reason = "weekday", "按星期计", "local", reason
        holiday.changed_by, holiday.updated_at = actor, utcnow()
        session.add(holiday)
        holidays.record(session, day, "weekday", holiday.name, "local", actor, reason)
    else:
        session.delete(holiday)
        holidays.record(session, day, "removed", holiday.name, "local", actor, reason)


def holiday_history(session, year: int | None):
    query = select(HolidayChange).order_by(HolidayChange.id)
    if year:
        query = query.where(extract("year", HolidayChange.day) == year)
    return session.scalars(query).all()
