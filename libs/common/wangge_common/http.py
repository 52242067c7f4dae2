"""The Flask app every service starts from: OpenAPI, problem+json, auth, health, metrics, AsyncAPI."""
from __future__ import annotations

import os
import socket

import flask_swagger_ui
from flask import Blueprint, Flask, current_app, jsonify, request, send_from_directory
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from opentelemetry.instrumentation.flask import FlaskInstrumentor

from . import auth, conditional, contracts, inputs, metrics, problems, progress, telemetry
from .openapi import Api, ServicePlugin
from .runtime import Runtime, ServiceSpec
from .schemas import ReconcileCasesIn, ReconcileCasesOut
from .settings import Settings

MAX_BODY_BYTES = 1024 * 1024
# Swagger UI 5 (reads OpenAPI 3.1), shipped inside the flask-swagger-ui wheel: /docs works with no internet.
SWAGGER_UI_DIST = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")


def runtime() -> Runtime:
    """The runtime of the app handling the current request."""
    return current_app.extensions["wangge_runtime"]


def broker_reachable(bootstrap: str, timeout: float = 0.5) -> bool:
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def _republish_errors(body) -> list[dict]:
    """What is wrong with a re-publish request: {"subjects": [1..2000 ids], "event_types": [types] (optional)}."""
    if not isinstance(body, dict):
        return [{"field": "body", "reason": "a JSON object is required"}]
    errors = []
    subjects = body.get("subjects")
    if not (isinstance(subjects, list) and 1 <= len(subjects) <= 2000
            and all(isinstance(s, str) and 0 < len(s) <= 200 for s in subjects)):
        errors.append({"field": "subjects", "reason": "a list of 1 to 2000 subject ids (strings)"})
    types = body.get("event_types")
    if types is not None and not (isinstance(types, list) and all(isinstance(t, str) and t for t in types)):
        errors.append({"field": "event_types", "reason": "a list of event types, or absent for every type"})
    unknown = sorted(set(body) - {"subjects", "event_types"})
    errors += [{"field": name, "reason": "unknown field"} for name in unknown]
    return errors


def _infra_blueprint(spec: ServiceSpec) -> Blueprint:
    bp = Blueprint("infra", __name__)

    @bp.get("/healthz")
    @auth.public
    def healthz():
        """Liveness: the process answers."""
        return jsonify(status="ok", service=spec.name)

    @bp.get("/readyz")
    @auth.public
    def readyz():
        """Readiness: the database answers, the broker where this service needs it to serve, and the service's
        consumer advances (a partition with lag that has not moved for WANGGE_CONSUMER_STALL_SECONDS)."""
        rt = runtime()
        checks = {}
        try:
            rt.db.ping()
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["database"] = f"down: {type(exc).__name__}"
        checks["broker"] = "ok" if broker_reachable(rt.settings.kafka_bootstrap) else "down"
        ready = checks["database"] == "ok" and (checks["broker"] == "ok" or not spec.ready_requires_broker)
        if spec.consumes and checks["database"] == "ok":
            try:
                stuck = progress.stalled(rt)
            except Exception as exc:  # noqa: BLE001 - e.g. not migrated yet: reported, not fatal
                checks["consumer"] = f"unknown: {type(exc).__name__}"
            else:
                checks["consumer"] = "stalled: " + "; ".join(stuck) if stuck else "ok"
                # A service that serves with the broker down (intake) is not taken out for a consumer the outage
                # itself holds up; with the broker there, a consumer that does not advance is a fault.
                if stuck and (checks["broker"] == "ok" or spec.ready_requires_broker):
                    ready = False
        return jsonify(status="ready" if ready else "not ready", service=spec.name, checks=checks), (200 if ready else 503)

    if spec.publishes:
        @bp.post("/v1/internal/outbox/republish")
        @auth.requires("outbox:republish")
        def republish():
            """Mark the published outbox rows of some subjects unpublished again, so the relay re-publishes them."""
            from .outbox import mark_for_republish

            body = request.get_json(silent=True)
            errors = _republish_errors(body)
            if errors:
                raise problems.Problem(422, "invalid request", "the body does not describe what to re-publish",
                                       errors=errors)
            with runtime().db.transaction() as session:
                marked, absent = mark_for_republish(session, runtime().tables, subjects=body["subjects"],
                                                    event_types=body.get("event_types"))
            return jsonify(marked=marked, subjects_not_found=absent)

    @bp.get("/asyncapi.json")
    @auth.public
    def asyncapi():
        """The AsyncAPI 3 document of every event type, generated from the JSON Schemas."""
        return jsonify(contracts.asyncapi_document())

    @bp.get("/docs/assets/<path:filename>")
    @auth.public
    def docs_assets(filename):
        """Swagger UI, served from the installed package so /docs works without the internet."""
        return send_from_directory(SWAGGER_UI_DIST, filename)

    return bp


def create_service_app(spec: ServiceSpec, settings: Settings | None = None, *, title: str, description: str,
                       blueprints=(), extra_blueprints=(), version: str = "1.0.0") -> Flask:
    """Build a service's Flask app; connects to nothing until a request needs it."""
    settings = settings or Settings.from_env(spec.name)
    telemetry.configure(spec.name, "web", settings)
    rt = Runtime(spec, settings)
    app = Flask(spec.name)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_AS_ASCII=False,
        API_TITLE=title,
        API_VERSION=version,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {"description": description + "\n\nAuthentication: `Authorization: Bearer <API key or a person's "
                     "access token>`; each "
                     "operation names the scope it needs. Errors are `application/problem+json` (RFC 9457). "
                     "Event contracts: `/asyncapi.json`."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    app.json.ensure_ascii = False
    app.extensions["wangge_runtime"] = rt
    app.extensions["wangge_api_keys"] = auth.load_keys(settings.api_keys_json, settings.api_keys_file)
    app.extensions["wangge_token_verifier"] = auth.load_token_verifier(settings.token_issuer, settings.token_jwks,
                                                                       settings.token_audience)
    inputs.install(app)  # before any route is added: `<int:...>` ids are bounded in every service
    conditional.install(app)  # ETag on every JSON read, If-None-Match -> 304, If-Match on changes -> 412
    error_docs = {b.name: b.ERROR_DOC for b in blueprints if getattr(b, "ERROR_DOC", None)}
    api = Api(app, spec_kwargs={"extra_plugins": [ServicePlugin(app, error_docs)]})
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.register_blueprint(_infra_blueprint(spec))
    for blueprint in extra_blueprints:  # plain Flask blueprints, e.g. HTML pages outside the OpenAPI document
        app.register_blueprint(blueprint)
    metrics_view = metrics.install(app, rt)
    app.add_url_rule("/metrics", "metrics", auth.public(metrics_view))
    problems.register(app)  # after Api(): replaces flask-smorest's JSON error handler with problem+json
    if telemetry.exporting():
        FlaskInstrumentor().instrument_app(app, excluded_urls="healthz,readyz,metrics")
    else:  # no span would be exported: carry the trace context only (a fraction of the instrumentation's cost)
        telemetry.propagate_requests(app, excluded=("healthz", "readyz", "metrics"))
    auth.check_every_view_is_guarded(app, auth.service_scopes(spec))
    return app


def reconcile_blueprint(service: str, held, *, summary: str, description: str = "", reads: str = "sessions"):
    """`POST /v1/internal/reconcile/cases` (scope cases:read), which `wangge reconcile` asks every downstream service:
    of these case ids, the ones `service` holds, as `held(session, case_ids) -> {case_id: counts}`, read in
    `runtime().db.<reads>()` (a snapshot where the answer spans tables a consumer writes). `summary` and
    `description` document the operation in the OpenAPI document."""
    internal = ApiBlueprint(f"{service}_internal", __name__, url_prefix="/v1/internal",
                            description="Service-to-service reads: reconciliation (cases:read)")

    @internal.route("/reconcile/cases")
    class ReconcileCases(MethodView):
        @auth.requires("cases:read")
        @internal.arguments(ReconcileCasesIn)
        @internal.response(200, ReconcileCasesOut)
        @internal.doc(summary=summary, **({"description": description} if description else {}))
        def post(self, body):
            with getattr(runtime().db, reads)() as session:
                return {"cases": held(session, body["case_ids"])}

    return internal
