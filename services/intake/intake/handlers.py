"""Intake commands and the handlers of the events intake consumes."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wangge_common.crypto import FieldCipher, mask_phone
from wangge_common.envelope import Event
from wangge_common.errors import Conflict, Invalid, NotFound
from wangge_common.outbox import UnitOfWork

from . import domain
from .models import Case, IdempotencyRecord, KnownGrid


def grid_is_known(uow: UnitOfWork, grid_id: str) -> bool:
    """Whether roster has announced this grid; grids are never deleted, so a grid once found is remembered."""
    known = uow.runtime.memo.setdefault("known_grids", set())
    if grid_id in known:
        return True
    if uow.session.get(KnownGrid, grid_id) is None:
        return False
    known.add(grid_id)
    return True


def register_case(uow: UnitOfWork, data: dict, cipher: FieldCipher) -> Case:
    """Register one matter (一事一登记) and emit case.registered, without any personal data in the event."""
    session = uow.session
    grid_id = str(data["grid_id"])
    problems = domain.channel_problems(data["channel"], data["received_by"]["kind"], data.get("external_ref"))
    if not grid_is_known(uow, grid_id):
        problems.append(("grid_id", f"no grid {grid_id} is known to intake (grids arrive from the roster)"))
    if problems:
        raise Invalid(problems)
    external = data.get("external_ref") or {}
    if external and session.scalar(select(Case.id).where(Case.external_system == external["system"],
                                                         Case.external_id == external["id"])):
        raise Conflict(f"case {external['id']} of {external['system']} is already registered")
    reporter = data.get("reporter")
    case = Case(
        id=str(uuid.uuid4()), tracking_code=domain.new_tracking_code(), channel=data["channel"], grid_id=grid_id,
        category=data["category"], topic=data.get("topic"), content=data["content"], urgency=data["urgency"],
        special_groups=list(data.get("special_groups") or []),
        reporter_ref=domain.new_reporter_ref() if reporter else None,
        reporter_name_enc=cipher.encrypt(reporter.get("name")) if reporter else None,
        reporter_phone_enc=cipher.encrypt(reporter["phone"]) if reporter else None,
        reporter_id_number_enc=cipher.encrypt(reporter.get("id_number")) if reporter else None,
        reporter_phone_masked=mask_phone(reporter["phone"]) if reporter else None,
        received_by_kind=data["received_by"]["kind"], received_by_id=data["received_by"]["id"],
        received_at=data.get("received_at") or datetime.now(timezone.utc),
        external_system=external.get("system"), external_id=external.get("id"), status="registered",
    )
    session.add(case)  # inserted by the autoflush of emit's first statement, after the event is validated
    uow.emit("case.registered", case.id, new_subject=True, data={
        "case_id": case.id, "tracking_code": case.tracking_code, "channel": case.channel, "grid_id": grid_id,
        "category": case.category, "topic": case.topic, "content": case.content, "urgency": case.urgency,
        "special_groups": case.special_groups, "reporter_ref": case.reporter_ref,
        "received_by": {"kind": case.received_by_kind, "id": case.received_by_id},
        "received_at": case.received_at.isoformat().replace("+00:00", "Z"),
        "external_ref": {"system": case.external_system, "id": case.external_id} if case.external_system else None,
    })
    return case


def get_case(session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


# --- idempotency ------------------------------------------------------------------------------------
def replay_idempotent(session, client: str, key: str, fingerprint: str) -> tuple[int, dict] | None:
    """The stored answer for this key, or None; a different body under the same key is refused."""
    record = session.get(IdempotencyRecord, (client, key))
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Invalid([("Idempotency-Key", "was already used with a different request body; use a new key "
                                            "for a new request")], detail="Idempotency-Key reused with a different body")
    return record.status_code, json.loads(record.response_body)


def remember_idempotent(session, client: str, key: str, fingerprint: str, status: int, body: dict) -> None:
    session.add(IdempotencyRecord(client=client, key=key, request_hash=fingerprint, status_code=status,
                                  response_body=json.dumps(body, ensure_ascii=False, default=str)))
    session.flush()


def is_idempotency_race(exc: IntegrityError) -> bool:
    return "idempotency_keys" in str(exc.orig) or "idempotency_keys_pkey" in str(exc.orig)


# --- events consumed --------------------------------------------------------------------------------
def on_grid_changed(uow: UnitOfWork, event: Event) -> None:
    """Keep the read copy of grids that case registration checks against."""
    data = event.data
    grid = uow.session.get(KnownGrid, data["grid_id"]) or KnownGrid(grid_id=data["grid_id"])
    grid.code, grid.name, grid.level, grid.parent_id = data["code"], data["name"], data["level"], data["parent_id"]
    uow.session.add(grid)


HANDLERS = {"grid.created": on_grid_changed, "grid.updated": on_grid_changed}
