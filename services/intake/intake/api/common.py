"""What every intake endpoint shares: read sessions, the cipher, Idempotency-Key and the two-phase registration
handed to the group commit, and a person's grid scope."""
from __future__ import annotations

import logging
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


def idempotent(work: Callable, *, location: Callable | None = None, two_phase: bool = False):
    """Run a command once per Idempotency-Key: a retry gets the stored answer back.

    `work(uow) -> (status, body)` runs inside the write transaction. With `two_phase`, `work(uow, reads) ->
    (status, body, write)` does its reads on `reads` (a session outside any write transaction) and builds the
    answer there, with `uow` only preparing events; `write(batch_uow)` then only executes statements, and the
    process's group commit runs it in one transaction with the writes of concurrent requests (one turn of
    SQLite's write lock, one COMMIT for all). The answer goes out once that transaction has committed.
    """
    rt, key = runtime(), request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 200):
        raise Invalid([("Idempotency-Key", "must be 1 to 200 characters")])
    client = g.api_key.name
    fingerprint = _request_fingerprint() if key else None
    if key:  # looked up before the write transaction: a replay never waits for the write lock
        with reads() as session:
            earlier = commands.replay_idempotent(session, client, key, fingerprint)
        if earlier:
            return answer(*earlier, replayed=True, location=location(earlier[1]) if location else None)
    for attempt in range(3):
        try:
            uow = rt.unit_of_work(actor=actor(), correlation_id=request.headers.get("X-Correlation-Id"))
            if two_phase:  # uow only prepares events here; the group commit's transaction writes them
                with reads() as session:
                    status, body, write = work(uow, session)
                record = commands.idempotency_record(client, key, fingerprint, status, body) if key else None
                rt.state.group_commit.submit(_keyed(record, write))
            else:
                with uow:
                    status, body = work(uow)
                    if key:
                        commands.remember_idempotent(uow.session, commands.idempotency_record(
                            client, key, fingerprint, status, body))
            # field values are never logged: they may hold a phone or ID number
            if log.isEnabledFor(logging.DEBUG):
                log.debug("accepted", extra={"path": request.path, "status": status, "client": client})
            return answer(status, body, location=location(body) if location and status == 201 else None)
        except DomainError as exc:
            log.info("refused", extra={"path": request.path, "status": exc.status, "client": client,
                                       "fields": [e["field"] for e in exc.errors or []]})
            raise
        except IntegrityError as exc:
            if key and commands.is_idempotency_race(exc):
                with reads() as session:  # a concurrent retry with the same key committed first
                    status, body = commands.replay_idempotent(session, client, key, fingerprint)
                return answer(status, body, replayed=True, location=location(body) if location else None)
            if commands.is_external_clash(exc):  # another instance committed the same push first
                raise _external_clash() from None
            if not (commands.is_tracking_code_clash(exc) and attempt < 2):
                raise
    raise AssertionError("unreachable")


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
