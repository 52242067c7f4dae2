"""The first answer to a client's Idempotency-Key, and the database races an instance can lose."""
from __future__ import annotations

import json

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from wangge_common.db import utcnow
from wangge_common.errors import Invalid

from ..models import IdempotencyRecord


# --- idempotency ------------------------------------------------------------------------------------
RECORDS = IdempotencyRecord.__table__
FIND_RECORD = (select(RECORDS.c.request_hash, RECORDS.c.status_code, RECORDS.c.response_body)
               .where(RECORDS.c.client == bindparam("client"), RECORDS.c.key == bindparam("key")))


def replay_idempotent(session, client: str, key: str, fingerprint: str) -> tuple[int, dict] | None:
    """The stored answer for this key, or None; a different body under the same key is refused.

    A Core query on the primary key: every keyed request asks, and the ORM's identity map buys nothing here."""
    record = session.connection().execute(FIND_RECORD, {"client": client, "key": key}).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Invalid([("Idempotency-Key", "was already used with a different request body (or endpoint); use a "
                                            "new key for a new request")],
                      detail="Idempotency-Key reused with a different body")
    return record.status_code, json.loads(record.response_body)


INSERT_RECORD = insert(RECORDS)


def idempotency_record(client: str, key: str, fingerprint: str, status: int, body) -> dict:
    """The row that remembers the answer to a key (serialised before the write transaction begins)."""
    return {"client": client, "key": key, "request_hash": fingerprint, "status_code": status,
            "response_body": json.dumps(body, ensure_ascii=False, default=str), "created_at": utcnow()}


def remember_idempotent(session, record: dict) -> None:
    session.connection().execute(INSERT_RECORD, record)


def is_idempotency_race(exc: IntegrityError) -> bool:
    return "idempotency_keys" in str(exc.orig) or "idempotency_keys_pkey" in str(exc.orig)


def is_tracking_code_clash(exc: IntegrityError) -> bool:
    return "tracking_code" in str(exc.orig)


def is_external_clash(exc: IntegrityError) -> bool:
    """Two pushes of one external case raced; the loser is told it is already registered."""
    return "uq_cases_external" in str(exc.orig) or "external_system" in str(exc.orig)
