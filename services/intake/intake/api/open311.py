"""Open311 GeoReport v2 facade (http://wiki.open311.org/GeoReport_v2/): the same cases, the Open311 way.

As the standard has it: every resource in XML (`.xml`) and JSON (`.json`); the service discovery document at
`/open311/discovery.{xml,json}`; POST requests authenticated by the `api_key` parameter (form field or query; the
suite's `Authorization: Bearer` works too), a missing or wrong key answering 403; GET requests open to anyone with
the public fields only (a key with cases:read also sees address, coordinates, household file and photo); errors a
list of {code, description}. service_code is the case category; service_request_id is the case id.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException

from wangge_common import clock
from wangge_common.auth import AuthError, authorize_credential, grid_scope, public
from wangge_common.errors import DomainError
from wangge_common.openapi import PROBLEM, PROBLEM_REF
from wangge_common.problems import field_errors

from .. import domain
from .common import CASE_IN, IDEMPOTENCY_DOC, idempotent, reads, registration
from ..queries import open311 as open311_queries
from .open311_format import documented, errors, render
from .open311_requests import Open311Error, case_body, open311_name

FMT = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00Z"  # when this endpoint's Open311 behaviour last changed (discovery's changeset)
MAX_REQUESTS = 1000  # GET requests answers at most this many, as the standard's default
MAX_SPAN = timedelta(days=90)  # start_date..end_date may not span more (the standard's rule)

open311 = Blueprint("open311", __name__, url_prefix="/open311",
                    description="Open311 GeoReport v2 facade, mapped onto the same cases (service_code = category)")
_ERROR_SCHEMA = {"type": "array", "items": {"type": "object", "required": ["code", "description"], "properties": {
    "code": {"type": "integer"}, "description": {"type": "string"}}}}
# Errors as GeoReport v2 has them, documented once for every operation here; a path naming no resource (an unknown
# format such as `.txt`) is the suite's problem+json 404, as elsewhere, since no Open311 view received it.
open311.ERROR_DOC = {"description": "GeoReport v2 error: a list of {code, description} (XML: errors/error); "
                                    "problem+json for a path that names no resource",
                     "content": {**documented(_ERROR_SCHEMA, "errors"), PROBLEM: {"schema": PROBLEM_REF}}}

SERVICE_DESCRIPTIONS = {"request": "请求解决的具体困难或问题", "enquiry": "政策、办事咨询",
                        "complaint": "对部门、单位或个人的投诉", "suggestion": "对网格治理和民生实事的建议"}
ATTRIBUTES = [
    ("grid_id", "string", False, "网格编号 (grid id); omit when lat/long, address_id or a household address places it"),
    ("topic", "string", False, "主题 (topic), e.g. road"),
    ("urgency", "singlevaluelist", False, "紧急程度: normal or urgent"),
    ("external_id", "string", False, "your system's own id for the request: makes it an integration case"),
]


@open311.errorhandler(Open311Error)
def _open311_error(exc: Open311Error):
    return errors(exc.status, exc.errors)


@open311.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    described = [f"{open311_name(e['field'])}: {e['reason']}" for e in exc.errors or []] or [exc.detail]
    if exc.extra.get("existing_case_id"):  # a second push: name the request registered the first time
        described = [f"{exc.detail}: service_request_id {exc.extra['existing_case_id']}"]
    return _open311_error(Open311Error(400 if exc.status == 422 else exc.status, described))


@open311.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    described = [f"{open311_name(e['field'])}: {e['reason']}" for e in field_errors(data.get("messages", {}))]
    return _open311_error(Open311Error(exc.code or 400, described or [exc.description or exc.name]))


@open311.errorhandler(AuthError)
def _auth_error(exc: AuthError):
    # The standard: "403 for errors because of wrong or missing api_key"
    return _open311_error(Open311Error(403, [exc.detail]))


def _given_key() -> str | None:
    """The caller's key: `Authorization: Bearer`, else the standard's `api_key` (form field, JSON body or query)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("api_key"), str):
            return body["api_key"]
    return request.form.get("api_key") or request.args.get("api_key") or None


def _key_required(scope: str):
    """Like wangge_common.auth.requires, with the key also taken from the standard's `api_key` parameter."""
    def decorate(view):
        @functools.wraps(view)  # keeps flask-smorest's documentation of the view
        def wrapper(*args, **kwargs):
            key = _given_key()
            if key is None:
                raise Open311Error(403, ["api_key: required (the api_key parameter, or Authorization: Bearer)"])
            authorize_credential(key, scope)
            return view(*args, **kwargs)

        wrapper._wangge_scope = scope  # the guard check and the document's x-scope read it
        return wrapper

    return decorate


def _reader_may_see(case) -> bool:
    """Whether the caller of a GET may see the private fields of this case (a key with cases:read, in its grids)."""
    if not getattr(g, "open311_reader", False):
        return False
    grids = grid_scope()
    return grids is None or case.grid_id in grids


def _identify_reader() -> None:
    """A GET needs no key; one that is sent must be valid (403 otherwise) and, with cases:read, shows everything."""
    key = _given_key()
    g.open311_reader = False
    if key is not None:
        authorize_credential(key, "cases:read")
        g.open311_reader = True


API_KEY_SCHEME = "open311_api_key"  # the standard's api_key parameter, as an OpenAPI security scheme
API_KEY_SECURITY = {"type": "apiKey", "in": "query", "name": "api_key",
                    "description": "GeoReport v2's api_key: as a query parameter or as a form field of the POST"}
API_KEY_QUERY = {"in": "query", "name": "api_key", "required": False, "schema": {"type": "string"},
                 "description": "your API key (the standard's parameter; `Authorization: Bearer` works too). "
                                "Reads need none; with a key holding cases:read they show the private fields too"}


def _answer_doc(schema: str, xml_root: str, many: bool = True) -> dict:
    """An answer documented in both formats: JSON by the schema (a list of it), XML under `xml_root`."""
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": "OK", "content": documented({"type": "array", "items": ref} if many else ref, xml_root)}


class DiscoveryEndpoint(Schema):
    specification = fields.String()
    url = fields.String()
    changeset = fields.String()
    type = fields.String()
    formats = fields.List(fields.String())


class DiscoveryOut(Schema):
    changeset = fields.String()
    contact = fields.String()
    key_service = fields.String()
    endpoints = fields.List(fields.Nested(DiscoveryEndpoint))


@open311.route(f"/discovery.{FMT}")
class Discovery(MethodView):
    @public
    @open311.doc(security=[], responses={"200": _answer_doc("Open311Discovery", "discovery", many=False)})
    def get(self, fmt):
        """Service discovery: where the GeoReport v2 endpoint is, and in which formats it answers."""
        root = request.host_url.rstrip("/") + open311.url_prefix
        return render("discovery", {
            "changeset": CHANGESET, "contact": "各县人大常委会代表工作机构（网格化履职平台管理员）",
            "key_service": "API keys are issued by the platform's administrators (WANGGE_API_KEYS)",
            "endpoints": [{"specification": SPECIFICATION, "url": f"{root}/v2", "changeset": CHANGESET,
                           "type": "production", "formats": ["text/xml", "application/json"]}]})


class ServiceOut(Schema):
    service_code = fields.String(metadata={"example": "request"})
    service_name = fields.String(metadata={"example": "求决"})
    description = fields.String()
    metadata = fields.Boolean()
    type = fields.String()
    keywords = fields.String()
    group = fields.String()


class ServiceRequestOut(Schema):
    service_request_id = fields.String()
    status = fields.String(metadata={"description": "open or closed"})
    status_notes = fields.String(metadata={"description": "the step, in Chinese (已受理, 已交办, 已答复, ...)"})
    service_name = fields.String()
    service_code = fields.String()
    description = fields.String()
    agency_responsible = fields.String(allow_none=True, metadata={
        "description": "the department(s) routing gave the case to, lead first (from its work orders)"})
    service_notice = fields.String(allow_none=True)
    requested_datetime = fields.String()
    updated_datetime = fields.String()
    expected_datetime = fields.String(allow_none=True, metadata={
        "description": "the handling deadline (办理时限) of the lead work order, while the request is open"})
    address = fields.String(allow_none=True, metadata={"description": "without a key: the grid's name only"})
    address_id = fields.String(allow_none=True)
    zipcode = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    media_url = fields.String(allow_none=True)


class CreatedOut(Schema):
    service_request_id = fields.String()
    service_notice = fields.String()
    account_id = fields.String(allow_none=True)


OPEN311_SCHEMAS = {"Open311Discovery": DiscoveryOut, "Open311Service": ServiceOut,
                   "Open311ServiceRequest": ServiceRequestOut, "Open311Created": CreatedOut}


def register_docs(spec) -> None:
    """Add the facade's answer schemas and the api_key security scheme to the service's OpenAPI document."""
    for name, schema in OPEN311_SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    spec.components.security_scheme(API_KEY_SCHEME, API_KEY_SECURITY)


def _service(code: str) -> dict:
    return {"service_code": code, "service_name": domain.CATEGORY_LABELS[code],
            "description": SERVICE_DESCRIPTIONS[code], "metadata": True, "type": "realtime",
            "keywords": code, "group": "民情"}


@open311.route(f"/v2/services.{FMT}")
class Services(MethodView):
    @public
    @open311.doc(security=[], responses={"200": _answer_doc("Open311Service", "services")})
    def get(self, fmt):
        """The service list: one service per case category (求决, 咨询, 投诉, 建议)."""
        return render("services", [_service(code) for code in domain.CATEGORIES])


@open311.route(f"/v2/services/<string:service_code>.{FMT}")
class ServiceDefinition(MethodView):
    @public
    @open311.doc(security=[], responses={"200": {"description": "the attributes a request of this service may carry",
                                                 "content": documented({"type": "object"}, "service_definition")}})
    def get(self, service_code, fmt):
        """A service definition: the attribute[...] fields a request may carry."""
        if service_code not in domain.CATEGORIES:
            raise Open311Error(404, [f"no service {service_code!r}"])
        return render("service_definition", {"service_code": service_code, "attributes": [
            {"variable": True, "code": code, "datatype": kind, "required": required, "datatype_description": text,
             "order": i + 1, "description": text,
             **({"values": [{"key": u, "name": u} for u in domain.URGENCIES]} if code == "urgency" else {})}
            for i, (code, kind, required, text) in enumerate(ATTRIBUTES)]})


_FORM_FIELDS = {
    "api_key": "required unless Authorization: Bearer is sent: your API key (scope cases:write)",
    "jurisdiction_id": "ignored: this endpoint serves one jurisdiction",
    "service_code": "required: request, enquiry, complaint or suggestion", "description": "required: the matter",
    "lat": "latitude (WGS84); without grid or address, the grid is the nearest located grid",
    "long": "longitude (WGS84)", "address_string": "address",
    "address_id": "a household file id (一户一档)", "email": "reporter's email", "phone": "reporter's phone",
    "first_name": "reporter's given name", "last_name": "reporter's family name", "media_url": "a photo's URL",
    "attribute[grid_id]": "grid id", "attribute[topic]": "topic", "attribute[urgency]": "normal or urgent",
    "attribute[external_id]": "your system's own id",
}
_FORM_SCHEMA = {"type": "object", "required": ["service_code", "description"],
                "properties": {name: {"type": "string", "description": text} for name, text in _FORM_FIELDS.items()},
                "example": {"service_code": "request", "description": "村口路灯坏了三天，晚上出行不便。",
                            "address_string": "韶山村第一村民小组12号", "phone": "13812345678"}}
REQUEST_BODY_DOC = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
                                                  "application/json": {"schema": _FORM_SCHEMA}}}
QUERY_DOC = [("service_request_id", "comma-separated ids; the other filters are then ignored"),
             ("service_code", "comma-separated categories"),
             ("start_date", "W3C date-time; default 90 days before end_date; at most 90 days before end_date"),
             ("end_date", "W3C date-time; default now"), ("status", "open, closed or open,closed"),
             ("jurisdiction_id", "ignored: this endpoint serves one jurisdiction")]


def _form() -> dict:
    if request.is_json:
        raw = request.get_json(silent=True)
        if not isinstance(raw, dict):
            raise Open311Error(400, ["the body must be a JSON object or form fields"])
        return {k: str(v) if v is not None else None for k, v in raw.items()}
    return request.form.to_dict()


@open311.route(f"/v2/requests.{FMT}")
class Requests(MethodView):
    @_key_required("cases:write")
    @open311.alt_response(429, description="too many submissions from this client address")
    @open311.doc(parameters=[IDEMPOTENCY_DOC], requestBody=REQUEST_BODY_DOC,
                 security=[{"bearer": []}, {API_KEY_SCHEME: []}],
                 responses={"201": _answer_doc("Open311Created", "service_requests")})
    def post(self, fmt):
        """Submit a service request; registered as a case (channel online, or integration with attribute[external_id])."""
        body = case_body(_form(), g.api_key.name)
        try:
            data = CASE_IN.load(body)
        except ValidationError as exc:
            raise Open311Error(400, [f"{open311_name(e['field'])}: {e['reason']}"
                                     for e in field_errors(exc.messages)]) from None
        answer = idempotent(registration(data, lambda case: (201, [{
            "service_request_id": case.id, "service_notice": f"已受理，查询码 {case.tracking_code}",
            "account_id": None}])), two_phase=True)
        rendered = render("service_requests", answer.get_json(), answer.status_code)
        for name in ("Idempotent-Replayed",):
            if name in answer.headers:
                rendered.headers[name] = answer.headers[name]
        return rendered

    @public
    @open311.doc(parameters=[API_KEY_QUERY] + [
        {"in": "query", "name": name, "required": False, "schema": {"type": "string"}, "description": text}
        for name, text in QUERY_DOC], security=[],
        responses={"200": _answer_doc("Open311ServiceRequest", "service_requests")})
    def get(self, fmt):
        """Requests by id, service, date range and status; at most 1000, newest first. No key needed."""
        _identify_reader()
        args = request.args
        if args.get("service_request_id"):
            ids = [i.strip() for i in args["service_request_id"].split(",")]
            criteria = {"ids": ids}
        else:
            end = _date(args, "end_date") or clock.now()
            start = _date(args, "start_date") or end - MAX_SPAN
            if end - start > MAX_SPAN:
                raise Open311Error(400, ["start_date: may not be more than 90 days before end_date"])
            wanted = set((args.get("status") or "open,closed").split(","))
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, ["status: open, closed or both"])
            criteria = {"start": start, "end": end, "status": wanted,
                        "categories": args["service_code"].split(",") if args.get("service_code") else None}
        with reads() as session:
            found = open311_queries.find_requests(session, limit=MAX_REQUESTS, **criteria)
            return render("service_requests", open311_queries.as_requests(session, found, _reader_may_see))


def _date(args, name: str) -> datetime | None:
    if not args.get(name):
        return None
    try:
        return clock.parse_time(args[name])
    except ValueError:
        raise Open311Error(400, [f"{name}: must be a W3C date-time, e.g. 2026-12-01T00:00:00+08:00"]) from None


@open311.route(f"/v2/requests/<string:request_id>.{FMT}")
class RequestById(MethodView):
    @public
    @open311.doc(parameters=[API_KEY_QUERY], security=[],
                 responses={"200": _answer_doc("Open311ServiceRequest", "service_requests")})
    def get(self, request_id, fmt):
        """One service request (a one-element list, as GeoReport v2 answers), by id or tracking code; no key needed."""
        _identify_reader()
        with reads() as session:
            case = open311_queries.case_by_id_or_code(session, request_id)
            if case is None:
                raise Open311Error(404, [f"no service request {request_id}"])
            return render("service_requests", open311_queries.as_requests(session, [case], _reader_may_see))
