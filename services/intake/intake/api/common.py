"""What every intake endpoint shares: read sessions, the cipher, Idempotency-Key and the two-phase registration
handed to the group commit, and a person's grid scope."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from flask import g, jsonify, request
from sqlalchemy.exc import IntegrityError

from wangge_common.auth import actor, grid_scope, require_grid
from wangge_common.errors import Conflict, DomainError, Invalid
from wangge_common.http import runtime
from wangge_common.schemas import page_of

from .. import commands, domain, queries
from ..schemas import (CaseIn, CaseOut)


log = logging.getLogger("intake.api")  # the name operators filter on, kept from before the package


IDEMPOTENCY_DOC = {
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "Send the same key with the same body to retry safely: the first answer comes back (with "
                   "`Idempotent-Replayed: true`). The same key with a different body is refused with 422.",
}


CASE_IN, CASE_OUT = CaseIn(), CaseOut()  # built once: a schema's construction costs more than a load or dump


CASE_PAGE = page_of(CaseOut)


def pii_cipher():
    return runtime().state.cipher


def reads():
    """A session for reads that takes no write lock (SQLite: deferred), so readers never queue behind writers."""
    return runtime().state.reads()


def _request_fingerprint() -> str:
    body = request.get_json(silent=True) if request.is_json else sorted(request.form.items(multi=True))
    return domain.request_fingerprint({"path": request.path, "body": body})


def answer(status: int, body, *, replayed: bool = False, location: str | None = None):
    response = jsonify(body)
    response.status_code = status
    if location:
        response.headers["Location"] = location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@dataclass(frozen=True)
class _Idempotency:
    """A request's Idempotency-Key (or none), its client and the fingerprint of what it asked."""

    client: str
    key: str | None
    fingerprint: str | None

    @classmethod
    def of_request(cls) -> "_Idempotency":
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (0 < len(key) <= 200):
            raise Invalid([("Idempotency-Key", "must be 1 to 200 characters")])
        return cls(g.api_key.name, key, _request_fingerprint() if key else None)

    def stored_answer(self) -> tuple[int, dict] | None:
        """The answer given to this key before (read outside any write transaction: a replay never waits for the
        write lock), or None."""
        if not self.key:
            return None
        with reads() as session:
            return commands.replay_idempotent(session, self.client, self.key, self.fingerprint)

    def record(self, status: int, body) -> dict | None:
        return commands.idempotency_record(self.client, self.key, self.fingerprint, status, body) if self.key else None


def idempotent(work: Callable, *, location: Callable | None = None, two_phase: bool = False):
    """Run a command once per Idempotency-Key: a retry gets the stored answer back.

    `work(uow) -> (status, body)` runs inside the write transaction. With `two_phase`, `work(uow, reads) ->
    (status, body, write)` does its reads on `reads` (a session outside any write transaction) and builds the
    answer there, with `uow` only preparing events; `write(batch_uow)` then only executes statements, and the
    process's group commit runs it in one transaction with the writes of concurrent requests (one turn of
    SQLite's write lock, one COMMIT for all). The answer goes out once that transaction has committed.
    """
    keyed = _Idempotency.of_request()
    earlier = keyed.stored_answer()
    if earlier:
        return _replayed(earlier, location)
    for attempt in range(3):
        try:
            status, body = (_in_group_commit if two_phase else _in_one_transaction)(work, keyed)
            # field values are never logged: they may hold a phone or ID number
            if log.isEnabledFor(logging.DEBUG):
                log.debug("accepted", extra={"path": request.path, "status": status, "client": keyed.client})
            return answer(status, body, location=location(body) if location and status == 201 else None)
        except DomainError as exc:
            log.info("refused", extra={"path": request.path, "status": exc.status, "client": keyed.client,
                                       "fields": [e["field"] for e in exc.errors or []]})
            raise
        except IntegrityError as exc:
            found = _after_clash(exc, keyed, retry_left=attempt < 2)
            if found is not None:
                return _replayed(found, location)
    raise AssertionError("unreachable")


def _unit_of_work():
    return runtime().unit_of_work(actor=actor(), correlation_id=request.headers.get("X-Correlation-Id"))


def _in_group_commit(work: Callable, keyed: _Idempotency) -> tuple[int, dict]:
    """Two phases: `uow` only prepares events here; the group commit's transaction writes them."""
    uow = _unit_of_work()
    with reads() as session:
        status, body, write = work(uow, session)
    runtime().state.group_commit.submit(_keyed(keyed.record(status, body), write))
    return status, body


def _in_one_transaction(work: Callable, keyed: _Idempotency) -> tuple[int, dict]:
    with _unit_of_work() as uow:
        status, body = work(uow)
        record = keyed.record(status, body)
        if record is not None:
            commands.remember_idempotent(uow.session, record)
    return status, body


def _after_clash(exc: IntegrityError, keyed: _Idempotency, *, retry_left: bool) -> tuple[int, dict] | None:
    """After a unique key clashed: the stored answer when a concurrent retry with the same key committed first,
    None to try again (two generated tracking codes clashed), else the clash raised as the caller's answer."""
    if keyed.key and commands.is_idempotency_race(exc):
        with reads() as session:
            return commands.replay_idempotent(session, keyed.client, keyed.key, keyed.fingerprint)
    if commands.is_external_clash(exc):  # another instance committed the same push first
        raise _external_clash() from None
    if commands.is_tracking_code_clash(exc) and retry_left:
        return None
    raise exc


def _replayed(found: tuple[int, dict], location: Callable | None):
    return answer(*found, replayed=True, location=location(found[1]) if location else None)


def _external_clash() -> Conflict:
    body = request.get_json(silent=True) if request.is_json else None
    external = body.get("external_ref") if isinstance(body, dict) else None
    with reads() as session:
        existing = queries.existing_external_case(session, external) if isinstance(external, dict) else None
    if existing is None:
        return Conflict("the external system's case is already registered")
    return commands.external_conflict(external, existing)


def _keyed(record: dict | None, write: Callable) -> Callable:
    """The write, preceded by the row remembering its Idempotency-Key: a concurrent retry that committed the key
    first makes it fail before the rest is written."""
    if record is None:
        return write

    def keyed_write(batch_uow) -> None:
        commands.remember_idempotent(batch_uow.session, record)
        write(batch_uow)

    return keyed_write


def registration(data: dict, answer: Callable) -> Callable:
    """The two-phase work of registering one case: read and build outside the write transaction, then write."""
    cipher = pii_cipher()

    def work(uow, session):
        plan = commands.plan_registration(uow, data, cipher, reads=session)
        require_grid(plan.case.grid_id, "case's grid")  # a person's token registers only in their own grids
        status, body = answer(plan.case)
        return status, body, lambda batch_uow: commands.write_registration(batch_uow, plan)

    return work


def case_location(body) -> str:
    return f"/v1/cases/{body['id']}"


def scoped(query: dict) -> dict:
    """Limit a list query to the caller's grids (a person's token); an explicit grid outside them is a 403."""
    grids = grid_scope()
    if grids is None:
        return query
    if query.get("grid_id"):
        require_grid(query["grid_id"])
        return query
    return {**query, "grid_ids": sorted(grids)}


def case_in_scope(case_id) -> None:
    if grid_scope() is not None:
        with reads() as session:
            require_grid(queries.get_case(session, str(case_id)).grid_id, "case")
