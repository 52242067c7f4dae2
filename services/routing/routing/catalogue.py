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
KINDS = {"dispatch": "dispatch_rule", "deadline": "deadline_rule"}
FIELDS = {"dispatch": ("category", "topic", "level", "department_code", "department_name", "priority"),
          "deadline": ("category", "topic", "urgency", "amount", "unit")}


CATALOGUE_KEY = "dispatch-catalogue"  # every dispatch line's change on one key: the topic lists arrive in order


def announce(uow, kind: str, action: str, item: str, *, values: dict | None, reason: str | None,
             version: int | None = None, lineage_id: int | None = None, topics: list[str] | None = None) -> None:
    """A change of routing's rules as `catalogue.changed`, in the change's transaction: reporting's audit log keeps
    it with its actor like every other event. A dispatch line's change also carries the full list of topics the
    active catalogue routes (intake keeps it to refuse a topic nothing routes), keyed so the lists stay in order."""
    key = CATALOGUE_KEY if topics is not None else f"{kind}:{lineage_id or item}"
    data = {"kind": kind, "action": action, "item": str(item)[:80], "version": version, "lineage_id": lineage_id,
            "values": values, "reason": redaction.redact(reason)[:500] if reason else None}
    if topics is not None:
        data["topics"] = topics
    uow.emit("catalogue.changed", key, data=data)


def _active_topics(session) -> list[str]:
    session.flush()
    return sorted(set(session.scalars(select(DispatchRule.topic).where(DispatchRule.active.is_(True),
                                                                       DispatchRule.topic.is_not(None)))))


def _announce_line(uow, kind: str, action: str, line, reason: str | None) -> None:
    values = None if action == "retired" else {name: getattr(line, name) for name in FIELDS[kind]}
    announce(uow, KINDS[kind], action, str(line.id), values=values, reason=reason, version=line.version,
             lineage_id=line.lineage_id, topics=_active_topics(uow.session) if kind == "dispatch" else None)


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


def create_line(uow, kind: str, data: dict):
    session = uow.session
    fields = {k: v for k, v in data.items() if k != "reason"}
    line = MODELS[kind](**fields, active=True, version=1, changed_by=uow.actor, change_reason=data["reason"],
                        created_at=utcnow())
    session.add(line)
    session.flush()
    line.lineage_id = line.id
    _announce_line(uow, kind, "created", line, data["reason"])
    return line


def revise_line(uow, kind: str, line_id: int, data: dict):
    """A new version of an active line; the old one stays, retired, for the record."""
    session, actor = uow.session, uow.actor
    old = _active(session, kind, line_id)
    old.active, old.retired_at = False, utcnow()
    session.flush()
    fields = {k: v for k, v in data.items() if k != "reason"}
    line = MODELS[kind](**fields, active=True, lineage_id=old.lineage_id, version=old.version + 1,
                        changed_by=actor, change_reason=data["reason"], created_at=utcnow())
    session.add(line)
    session.flush()
    _announce_line(uow, kind, "revised", line, data["reason"])
    return line


def retire_line(uow, kind: str, line_id: int, reason: str):
    line = _active(uow.session, kind, line_id)
    line.active, line.retired_at = False, utcnow()
    line.change_reason = f"{line.change_reason or ''} | retired by {uow.actor}: {reason}"[-500:]
    _announce_line(uow, kind, "retired", line, reason)
    return line


def _active(session, kind: str, line_id: int):
    line = session.scalars(select(MODELS[kind]).where(MODELS[kind].id == line_id).with_for_update()).first()
    if line is None:
        raise NotFound(f"no {kind} rule {line_id}")
    if not line.active:
        raise Conflict(f"{kind} rule {line_id} is a retired version; edit the active one of its lineage",
                       errors=[{"field": "id", "reason": "retired"}])
    return line


def list_holidays(session, year: int | None):
    query = select(Holiday).order_by(Holiday.day)
    if year:
        query = query.where(extract("year", Holiday.day) == year)
    return session.scalars(query).all()


def put_holiday(uow, day: date, data: dict) -> Holiday:
    """A local change: wins over every later refresh from chinese-calendar, and is kept in the history."""
    session, actor = uow.session, uow.actor
    holiday = session.get(Holiday, day) or Holiday(day=day)
    holiday.kind, holiday.name, holiday.changed_by, holiday.updated_at = data["kind"], data["name"], actor, utcnow()
    holiday.source, holiday.reason = "local", data.get("reason")
    session.add(holiday)
    holidays.record(session, day, data["kind"], data["name"], "local", actor, data.get("reason"))
    session.flush()
    announce(uow, "holiday", "set", day.isoformat(), reason=data.get("reason"),
             values={"day": day.isoformat(), "kind": data["kind"], "name": data["name"], "source": "local"})
    return holiday


def delete_holiday(uow, day: date, reason: str | None = None) -> None:
    """The day counts by its weekday again. A day the seed would put back stays as a local `weekday` entry, so a
    refresh does not undo the change."""
    session, actor = uow.session, uow.actor
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
    announce(uow, "holiday", "removed", day.isoformat(), reason=reason,
             values={"day": day.isoformat(), "kind": "weekday", "name": "按星期计", "source": "local"}
             if holidays.seeded(day) else None)


def holiday_history(session, year: int | None):
    query = select(HolidayChange).order_by(HolidayChange.id)
    if year:
        query = query.where(extract("year", HolidayChange.day) == year)
    return session.scalars(query).all()
