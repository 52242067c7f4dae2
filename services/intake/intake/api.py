"""Intake HTTP API, version 1."""
from __future__ import annotations

import logging
from typing import Callable

from flask import g, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from wangge_common.auth import AuthError, actor, grid_scope, public, require_grid, requires
from wangge_common.errors import Conflict, DomainError, Invalid
from wangge_common.http import runtime
from wangge_common.problems import Problem, field_errors
from wangge_common.schemas import ReconcileCaseIds, ReconcilePeriod, page_of

from . import domain, handlers
from .schemas import (BulkIn, BulkOut, CaseIn, CaseOut, CaseQuery, ContactOut, EntryOut, LinkDecisionIn, LinkIn,
                      LinkOut, SimilarOut, SimilarQuery, SupplementIn, TrackOut, WithdrawIn)

cases = Blueprint("cases", __name__, url_prefix="/v1/cases",
                  description="Cases (一事一登记): one registered matter per request, complaint or suggestion")
links = Blueprint("case-links", __name__, url_prefix="/v1/case-links",
                  description="Related cases (相关件): possible duplicates linked, never merged; staff confirm or undo")
internal = Blueprint("internal", __name__, url_prefix="/v1/internal",
                     description="Service-to-service reads: personal data (scope contacts:read), reconciliation (cases:read)")
tracking = Blueprint("tracking", __name__, url_prefix="/v1/track",
                     description="Status for residents (进度查询), public and rate-limited; no personal data")

log = logging.getLogger(__name__)
IDEMPOTENCY_DOC = {
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "Send the same key with the same body to retry safely: the first answer comes back (with "
                   "`Idempotent-Replayed: true`). The same key with a different body is refused with 422.",
}
CASE_IN, CASE_OUT = CaseIn(), CaseOut()  # built once: a schema's construction costs more than a load or dump
CASE_PAGE = page_of(CaseOut)


def _cipher():
    return runtime().state.cipher


def reads():
    """A session for reads that takes no write lock (SQLite: deferred), so readers never queue behind writers."""
    return runtime().state.reads()


def _request_fingerprint() -> str:
    body = request.get_json(silent=True) if request.is_json else sorted(request.form.items(multi=True))
    return domain.request_fingerprint({"path": request.path, "body": body})


def _answer(status: int, body, *, replayed: bool = False, location: str | None = None):
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
            earlier = handlers.replay_idempotent(session, client, key, fingerprint)
        if earlier:
            return _answer(*earlier, replayed=True, location=location(earlier[1]) if location else None)
    for attempt in range(3):
        try:
            uow = rt.unit_of_work(actor=actor(), correlation_id=request.headers.get("X-Correlation-Id"))
            if two_phase:  # uow only prepares events here; the group commit's transaction writes them
                with reads() as session:
                    status, body, write = work(uow, session)
                record = handlers.idempotency_record(client, key, fingerprint, status, body) if key else None
                rt.state.group_commit.submit(_keyed(record, write))
            else:
                with uow:
                    status, body = work(uow)
                    if key:
                        handlers.remember_idempotent(uow.session, handlers.idempotency_record(
                            client, key, fingerprint, status, body))
            # field values are never logged: they may hold a phone or ID number
            if log.isEnabledFor(logging.DEBUG):
                log.debug("accepted", extra={"path": request.path, "status": status, "client": client})
            return _answer(status, body, location=location(body) if location and status == 201 else None)
        except DomainError as exc:
            log.info("refused", extra={"path": request.path, "status": exc.status, "client": client,
                                       "fields": [e["field"] for e in exc.errors or []]})
            raise
        except IntegrityError as exc:
            if key and handlers.is_idempotency_race(exc):
                with reads() as session:  # a concurrent retry with the same key committed first
                    status, body = handlers.replay_idempotent(session, client, key, fingerprint)
                return _answer(status, body, replayed=True, location=location(body) if location else None)
            if handlers.is_external_clash(exc):  # another instance committed the same push first
                raise _external_clash() from None
            if not (handlers.is_tracking_code_clash(exc) and attempt < 2):
                raise
    raise AssertionError("unreachable")


def _external_clash() -> Conflict:
    body = request.get_json(silent=True) if request.is_json else None
    external = body.get("external_ref") if isinstance(body, dict) else None
    with reads() as session:
        existing = handlers.existing_external_case(session, external) if isinstance(external, dict) else None
    if existing is None:
        return Conflict("the external system's case is already registered")
    return handlers.external_conflict(external, existing)


def _keyed(record: dict | None, write: Callable) -> Callable:
    """The write, preceded by the row remembering its Idempotency-Key: a concurrent retry that committed the key
    first makes it fail before the rest is written."""
    if record is None:
        return write

    def keyed_write(batch_uow) -> None:
        handlers.remember_idempotent(batch_uow.session, record)
        write(batch_uow)

    return keyed_write


def registration(data: dict, answer: Callable) -> Callable:
    """The two-phase work of registering one case: read and build outside the write transaction, then write."""
    cipher = _cipher()

    def work(uow, session):
        plan = handlers.plan_registration(uow, data, cipher, reads=session)
        require_grid(plan.case.grid_id, "case's grid")  # a person's token registers only in their own grids
        status, body = answer(plan.case)
        return status, body, lambda batch_uow: handlers.write_registration(batch_uow, plan)

    return work


def _case_location(body) -> str:
    return f"/v1/cases/{body['id']}"


def _scoped(query: dict) -> dict:
    """Limit a list query to the caller's grids (a person's token); an explicit grid outside them is a 403."""
    grids = grid_scope()
    if grids is None:
        return query
    if query.get("grid_id"):
        require_grid(query["grid_id"])
        return query
    return {**query, "grid_ids": sorted(grids)}


def _case_in_scope(case_id) -> None:
    if grid_scope() is not None:
        with reads() as session:
            require_grid(handlers.get_case(session, str(case_id)).grid_id, "case")


# --- cases --------------------------------------------------------------------------------------------
@cases.route("")
class Cases(MethodView):
    @requires("cases:write")
    @cases.arguments(CASE_IN)  # an instance: webargs would build the schema (and its nested ones) per request
    @cases.response(201, CaseOut)
    @cases.alt_response(409, description="the external system's case is already registered: `existing_case_id` "
                                         "names it")
    @cases.alt_response(413, description="the body is over 1 MiB")
    @cases.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data):
        """Register a case from any channel; emits case.registered. Honours Idempotency-Key."""
        return idempotent(registration(data, lambda case: (201, CASE_OUT.dump(case))), location=_case_location,
                          two_phase=True)

    @requires("cases:read")
    @cases.arguments(CaseQuery, location="query")
    @cases.response(200, CASE_PAGE)
    def get(self, query):
        """Find cases: by tracking code, by the external system's id, by grid, household or status."""
        with reads() as session:
            return handlers.find_cases(session, _scoped(query))


@cases.route("/bulk")
class BulkCases(MethodView):
    @requires("cases:write")
    @cases.arguments(BulkIn)
    @cases.response(200, BulkOut, description="one result per case, in the order sent")
    @cases.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data):
        """Register up to 100 cases in one call (integrators); each gets its own result, none blocks another."""
        if grid_scope() is not None:
            raise AuthError(403, "bulk registration is for integrators' API keys, not a person's token")
        cipher = _cipher()

        def work(uow):
            results = []
            for index, raw in enumerate(data["cases"]):
                results.append({"index": index, **_bulk_item(uow, raw, cipher)})
            registered = sum(1 for r in results if r["status"] == 201)
            return 200, {"registered": registered, "refused": len(results) - registered, "results": results}

        return idempotent(work)


def _bulk_item(uow, raw: dict, cipher) -> dict:
    try:
        data = CASE_IN.load(raw)
    except ValidationError as exc:
        return {"status": 422, "errors": field_errors(exc.messages), "detail": "the case has invalid fields"}
    savepoint = uow.session.begin_nested()  # a refused case leaves no trace; the others stay
    try:
        case = handlers.register_case(uow, data, cipher)
        uow.session.flush()
    except DomainError as exc:
        savepoint.rollback()
        return {"status": exc.status, "errors": exc.errors, "detail": exc.detail, **exc.extra}
    except IntegrityError:
        savepoint.rollback()
        return {"status": 409, "detail": "the external system's case is already registered",
                "existing_case_id": handlers.existing_external_case(uow.session, data.get("external_ref"))}
    savepoint.commit()
    return {"status": 201, "case": CASE_OUT.dump(case)}


@cases.route("/similar")
class SimilarCases(MethodView):
    @requires("cases:read")
    @cases.arguments(SimilarQuery, location="query")
    @cases.response(200, SimilarOut(many=True))
    def get(self, query):
        """Open cases a new matter would be linked to as possibly the same (相关件), asked before registering it."""
        require_grid(query["grid_id"])
        with reads() as session:
            return handlers.similar_open_cases(runtime(), session, str(query["grid_id"]), query["content"],
                                               str(query["household_id"]) if query.get("household_id") else None)


@cases.route("/<uuid:case_id>")
class CaseById(MethodView):
    @requires("cases:read")
    @cases.response(200, CaseOut)
    def get(self, case_id):
        """One case as registered; the reporter's name, phone and ID number are shown masked."""
        with reads() as session:
            case = handlers.get_case(session, str(case_id))
        require_grid(case.grid_id, "case")
        return case


@cases.route("/<uuid:case_id>/history")
class CaseHistory(MethodView):
    @requires("cases:read")
    @cases.response(200, EntryOut(many=True))
    def get(self, case_id):
        """The case's history as intake knows it: registration, supplements, withdrawal, lifecycle from cases.v1."""
        with reads() as session:
            require_grid(handlers.get_case(session, str(case_id)).grid_id, "case")
            return handlers.case_history(session, str(case_id))


@cases.route("/<uuid:case_id>/supplements")
class Supplements(MethodView):
    @requires("cases:write")
    @cases.arguments(SupplementIn)
    @cases.response(201, EntryOut)
    @cases.alt_response(409, description="the case is closed or withdrawn")
    @cases.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data, case_id):
        """Add information or attachments' metadata (补充材料); emits case.supplemented."""
        cipher = _cipher()
        _case_in_scope(case_id)
        return idempotent(lambda uow: (201, EntryOut().dump(handlers.supplement_case(uow, str(case_id), data, cipher))))


@cases.route("/<uuid:case_id>/withdrawal")
class Withdrawal(MethodView):
    @requires("cases:write")
    @cases.arguments(WithdrawIn)
    @cases.response(200, CaseOut)
    @cases.alt_response(409, description="the case is already answered-and-closed, evaluated or withdrawn")
    @cases.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data, case_id):
        """Withdraw a case (撤回) at the reporter's request; emits case.withdrawn. Routing stops its work orders."""
        _case_in_scope(case_id)
        cipher = _cipher()
        return idempotent(lambda uow: (200, CASE_OUT.dump(handlers.withdraw_case(uow, str(case_id), data, cipher))))


@cases.route("/<uuid:case_id>/links")
class CaseLinks(MethodView):
    @requires("cases:read")
    @cases.response(200, LinkOut(many=True))
    def get(self, case_id):
        """Cases linked to this one as possibly the same matter, with the staff's decisions."""
        with reads() as session:
            require_grid(handlers.get_case(session, str(case_id)).grid_id, "case")
            return handlers.links_of(session, str(case_id))


@links.route("")
class Links(MethodView):
    @requires("cases:write")
    @links.arguments(LinkIn)
    @links.response(201, LinkOut)
    @links.alt_response(409, description="the two cases are already linked: `existing_link_id` names the link")
    @links.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data):
        """Link two cases by hand as the same matter (相关件); emits case.related_linked (basis manual) and
        case.related_confirmed. Both cases live on; undo with /v1/case-links/{id}/undo."""
        case_id, related = str(data["case_id"]), str(data["related_case_id"])
        for one in {case_id, related}:
            _case_in_scope(one)
        reason = domain.redact(data["reason"])  # free text: no phone, ID number or e-mail goes into the event
        return idempotent(lambda uow: (201, LinkOut().dump(handlers.link_by_hand(uow, case_id, related, reason))))


def _decide(decision: str):
    @requires("cases:write")
    @links.arguments(LinkDecisionIn)
    @links.response(200, LinkOut)
    @links.alt_response(409, description="the link was already decided")
    @links.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data, link_id):
        reason = domain.redact(data["reason"])  # free text: no phone, ID number or e-mail goes into the event
        return idempotent(lambda uow: (200, LinkOut().dump(handlers.decide_link(uow, str(link_id), decision,
                                                                                  reason))))
    return post


@links.route("/<uuid:link_id>/confirm")
class ConfirmLink(MethodView):
    post = _decide("confirm")
    post.__doc__ = "Confirm the two cases are the same matter (handled together, both kept); emits case.related_confirmed."


@links.route("/<uuid:link_id>/undo")
class UndoLink(MethodView):
    post = _decide("undo")
    post.__doc__ = "Undo a link: the cases are different matters; emits case.related_undone."


@internal.route("/reporters/<string:reporter_ref>/contact")
class ReporterContact(MethodView):
    @requires("contacts:read")
    @internal.response(200, ContactOut)
    def get(self, reporter_ref):
        """A reporter's contact details in clear, for notify's messages to the resident (contacts:read only)."""
        with reads() as session:
            return handlers.reporter_contact(session, reporter_ref, _cipher())


@internal.route("/reconcile/cases")
class ReconcileCases(MethodView):
    @requires("cases:read")
    @internal.arguments(ReconcilePeriod, location="query")
    @internal.response(200, ReconcileCaseIds)
    def get(self, query):
        """The ids of the cases accepted in [since, until), oldest first, for `wangge reconcile` (cases:read)."""
        if query["until"] <= query["since"]:
            raise Invalid([("until", "must be after since")])
        with reads() as session:
            ids = handlers.case_ids_accepted(session, query["since"], query["until"], offset=query["offset"],
                                             limit=query["limit"] + 1)
        more = len(ids) > query["limit"]
        return {"case_ids": ids[:query["limit"]], "next_offset": query["offset"] + query["limit"] if more else None}


# --- tracking -----------------------------------------------------------------------------------------------
@tracking.route("/<string:tracking_code>")
class Track(MethodView):
    @public
    @tracking.response(200, TrackOut)
    @tracking.alt_response(429, description="too many look-ups from this client address")
    @tracking.doc(security=[])
    def get(self, tracking_code):
        """A case's progress for the resident: received, assigned, answered, evaluated, closed. No personal data."""
        with reads() as session:
            return handlers.track(session, tracking_code)
