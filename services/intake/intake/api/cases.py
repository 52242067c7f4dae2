"""Intake HTTP API, version 1: cases (一事一登记): registration, bulk, reads, supplements and withdrawal."""
from __future__ import annotations


from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from wangge_common.auth import AuthError, grid_scope, require_grid, requires
from wangge_common.errors import DomainError
from wangge_common.http import runtime
from wangge_common.problems import field_errors

from .. import commands, queries
from .common import (CASE_IN, CASE_OUT, CASE_PAGE, IDEMPOTENCY_DOC, case_in_scope, case_location, idempotent, pii_cipher, reads, registration, scoped)
from ..schemas import (BulkIn, BulkOut, CaseOut, CaseQuery, EntryOut, LinkOut, SimilarOut, SimilarQuery, SupplementIn, WithdrawIn)

cases = Blueprint("cases", __name__, url_prefix="/v1/cases",
                  description="Cases (一事一登记): one registered matter per request, complaint or suggestion")

























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
        return idempotent(registration(data, lambda case: (201, CASE_OUT.dump(case))), location=case_location,
                          two_phase=True)

    @requires("cases:read")
    @cases.arguments(CaseQuery, location="query")
    @cases.response(200, CASE_PAGE)
    def get(self, query):
        """Find cases: by tracking code, by the external system's id, by grid, household or status."""
        with reads() as session:
            return queries.find_cases(session, scoped(query))


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
        cipher = pii_cipher()

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
        case = commands.register_case(uow, data, cipher)
        uow.session.flush()
    except DomainError as exc:
        savepoint.rollback()
        return {"status": exc.status, "errors": exc.errors, "detail": exc.detail, **exc.extra}
    except IntegrityError:
        savepoint.rollback()
        return {"status": 409, "detail": "the external system's case is already registered",
                "existing_case_id": queries.existing_external_case(uow.session, data.get("external_ref"))}
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
            return queries.similar_open_cases(runtime(), session, str(query["grid_id"]), query["content"],
                                               str(query["household_id"]) if query.get("household_id") else None)


@cases.route("/<uuid:case_id>")
class CaseById(MethodView):
    @requires("cases:read")
    @cases.response(200, CaseOut)
    def get(self, case_id):
        """One case as registered; the reporter's name, phone and ID number are shown masked."""
        with reads() as session:
            case = queries.get_case(session, str(case_id))
        require_grid(case.grid_id, "case")
        return case


@cases.route("/<uuid:case_id>/history")
class CaseHistory(MethodView):
    @requires("cases:read")
    @cases.response(200, EntryOut(many=True))
    def get(self, case_id):
        """The case's history as intake knows it: registration, supplements, withdrawal, lifecycle from cases.v1."""
        with reads() as session:
            require_grid(queries.get_case(session, str(case_id)).grid_id, "case")
            return queries.case_history(session, str(case_id))


@cases.route("/<uuid:case_id>/supplements")
class Supplements(MethodView):
    @requires("cases:write")
    @cases.arguments(SupplementIn)
    @cases.response(201, EntryOut)
    @cases.alt_response(409, description="the case is closed or withdrawn")
    @cases.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data, case_id):
        """Add information or attachments' metadata (补充材料); emits case.supplemented."""
        cipher = pii_cipher()
        case_in_scope(case_id)
        return idempotent(lambda uow: (201, EntryOut().dump(commands.supplement_case(uow, str(case_id), data, cipher))))


@cases.route("/<uuid:case_id>/withdrawal")
class Withdrawal(MethodView):
    @requires("cases:write")
    @cases.arguments(WithdrawIn)
    @cases.response(200, CaseOut)
    @cases.alt_response(409, description="the case is already answered-and-closed, evaluated or withdrawn")
    @cases.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data, case_id):
        """Withdraw a case (撤回) at the reporter's request; emits case.withdrawn. Routing stops its work orders."""
        case_in_scope(case_id)
        cipher = pii_cipher()
        return idempotent(lambda uow: (200, CASE_OUT.dump(commands.withdraw_case(uow, str(case_id), data, cipher))))


@cases.route("/<uuid:case_id>/links")
class CaseLinks(MethodView):
    @requires("cases:read")
    @cases.response(200, LinkOut(many=True))
    def get(self, case_id):
        """Cases linked to this one as possibly the same matter, with the staff's decisions."""
        with reads() as session:
            require_grid(queries.get_case(session, str(case_id)).grid_id, "case")
            return queries.links_of(session, str(case_id))














