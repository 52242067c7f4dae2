"""Commands on deputies (人大代表) and party delegates (党代表): register, change, end a term, remove."""
from __future__ import annotations

import uuid

from sqlalchemy import Text, cast, select

from wangge_common.db import utcnow
from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import Assignment, ContactHousehold, Deputy, Grid, PlanEntry, ReceptionDay, ReceptionRule
from ..queries.deputies import get_deputy
from .identity import refuse_same_person
from .receptions import withdraw_deputy


def deputy_event(deputy: Deputy) -> dict:
    return {"deputy_id": deputy.id, "kind": deputy.kind, "name": deputy.name, "gender": deputy.gender,
            "level": deputy.level, "position": deputy.position, "constituency": deputy.constituency,
            "home_grid_id": deputy.home_grid_id, "work_grid_id": deputy.work_grid_id,
            "specialities": list(deputy.specialities or []), "capability": deputy.capability, "status": deputy.status}


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
    fields_cipher = uow.runtime.state.cipher
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
        refuse_same_person(uow.session, uow.runtime.state.cipher, data)
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
    changes = _real_changes(uow.runtime.state.cipher, deputy, changes)
    if not changes:
        return deputy
    _check_status_change(deputy, changes, reason)
    refuse_same_person(uow.session, uow.runtime.state.cipher, changes, deputy.id)
    seal_personal(uow, changes)
    problem = domain.deputy_fields_problem(
        changes.get("phone_display", deputy.phone_display), changes.get("office_phone", deputy.office_phone),
        changes.get("term_start", deputy.term_start), changes.get("term_end", deputy.term_end))
    if problem:
        raise Invalid([problem])
    for name, value in changes.items():
        setattr(deputy, name, value)
    uow.session.flush()
    uow.emit("deputy.updated", deputy.id, {**deputy_event(deputy), **({"reason": reason} if reason else {})})
    return deputy


def _real_changes(cipher, deputy: Deputy, changes: dict) -> dict:
    """Fields given with their current value are no change (a re-imported export, say), even for an ended term."""
    if "mobile" in changes and cipher.decrypt(deputy.mobile_encrypted) == changes["mobile"]:
        del changes["mobile"]
    if "id_number" in changes and cipher.lookup_hash(changes["id_number"]) == deputy.id_number_hash:
        del changes["id_number"]
    return {name: value for name, value in changes.items()
            if name in ("mobile", "id_number") or getattr(deputy, name) != value}


def _check_status_change(deputy: Deputy, changes: dict, reason: str | None) -> None:
    """An ended term no longer changes; a term ends only through its own command; a status change says why."""
    if deputy.status == "ended":
        raise Conflict("the deputy's term has ended; the record is kept as history and no longer changes")
    if changes.get("status") == "ended":
        raise Invalid([("status", "end a term with POST /v1/deputies/{id}/end, which also ends the assignments")])
    if "status" in changes and not reason:
        raise Invalid([("reason", f"a change of status ({deputy.status} → {changes['status']}) needs a reason")])


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
