"""Intake HTTP API, version 1."""
from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from wangge_common.auth import actor, requires
from wangge_common.errors import Invalid
from wangge_common.http import runtime

from . import domain, handlers
from .schemas import CaseIn, CaseOut

cases = Blueprint("cases", __name__, url_prefix="/v1/cases",
                  description="Cases (一事一登记): one registered matter per request, complaint or suggestion")

IDEMPOTENCY_DOC = {
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 200},
    "description": "Send the same key with the same body to retry safely: the first answer comes back. "
                   "The same key with a different body is refused with 422.",
}


CASE_OUT = CaseOut()  # built once: a schema's construction costs more than the dump


def _answer(status: int, body: dict, *, replayed: bool = False):
    response = jsonify(body)
    response.status_code = status
    if status == 201:
        response.headers["Location"] = f"/v1/cases/{body['id']}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@cases.route("")
class Cases(MethodView):
    @requires("cases:write")
    @cases.arguments(CaseIn())  # an instance: webargs would build the schema (and its nested ones) per request
    @cases.response(201, CaseOut)
    @cases.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data):
        """Register a case from any channel; emits case.registered. Honours Idempotency-Key."""
        rt, key = runtime(), request.headers.get("Idempotency-Key")
        if key is not None and not (0 < len(key) <= 200):
            raise Invalid([("Idempotency-Key", "must be 1 to 200 characters")])
        fingerprint = domain.request_fingerprint(request.get_json())
        client = g.api_key.name
        try:
            with rt.unit_of_work(actor=actor(), correlation_id=request.headers.get("X-Correlation-Id")) as uow:
                if key:
                    earlier = handlers.replay_idempotent(uow.session, client, key, fingerprint)
                    if earlier:
                        return _answer(*earlier, replayed=True)
                case = handlers.register_case(uow, data, current_app.extensions["wangge_pii"])
                body = CASE_OUT.dump(case)
                if key:
                    handlers.remember_idempotent(uow.session, client, key, fingerprint, 201, body)
        except IntegrityError as exc:
            if not (key and handlers.is_idempotency_race(exc)):
                raise
            with rt.db.sessions() as session:  # a concurrent retry with the same key committed first
                return _answer(*handlers.replay_idempotent(session, client, key, fingerprint), replayed=True)
        return _answer(201, body)


@cases.route("/<uuid:case_id>")
class CaseById(MethodView):
    @requires("cases:read")
    @cases.response(200, CaseOut)
    def get(self, case_id):
        """One case as registered; the reporter's phone is shown masked."""
        with runtime().db.sessions() as session:
            return handlers.get_case(session, str(case_id))
