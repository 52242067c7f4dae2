"""The dispatch catalogue (派单目录), deadline rules and the holiday calendar: edited through the API, never
overwritten (an edit retires a line and adds its next version)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from wangge_common.db import utcnow
from wangge_common.errors import Conflict, NotFound

from ..models import RULE_TABLES, DispatchRule, Holiday
from . import holidays
from .lifecycle import announce

KINDS = {"dispatch": "dispatch_rule", "deadline": "deadline_rule"}
FIELDS = {"dispatch": ("category", "topic", "level", "department_code", "department_name", "priority"),
          "deadline": ("category", "topic", "urgency", "amount", "unit")}


def _active_topics(session) -> list[str]:
    session.flush()
    return sorted(set(session.scalars(select(DispatchRule.topic).where(DispatchRule.active.is_(True),
                                                                       DispatchRule.topic.is_not(None)))))


def _announce_line(uow, kind: str, action: str, line, reason: str | None) -> None:
    values = None if action == "retired" else {name: getattr(line, name) for name in FIELDS[kind]}
    announce(uow, KINDS[kind], action, str(line.id), values=values, reason=reason, version=line.version,
             lineage_id=line.lineage_id, topics=_active_topics(uow.session) if kind == "dispatch" else None)


def create_line(uow, kind: str, data: dict):
    session = uow.session
    fields = {k: v for k, v in data.items() if k != "reason"}
    line = RULE_TABLES[kind](**fields, active=True, version=1, changed_by=uow.actor, change_reason=data["reason"],
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
    line = RULE_TABLES[kind](**fields, active=True, lineage_id=old.lineage_id, version=old.version + 1,
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
    line = session.scalars(select(RULE_TABLES[kind]).where(RULE_TABLES[kind].id == line_id).with_for_update()).first()
    if line is None:
        raise NotFound(f"no {kind} rule {line_id}")
    if not line.active:
        raise Conflict(f"{kind} rule {line_id} is a retired version; edit the active one of its lineage",
                       errors=[{"field": "id", "reason": "retired"}])
    return line


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
