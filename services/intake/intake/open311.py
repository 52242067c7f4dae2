"""Open311 GeoReport v2 facade (http://wiki.open311.org/GeoReport_v2/): the same cases, the Open311 way.

service_code is the case category; service_request_id is the case id. Invalid requests are answered as Open311
clients expect: an HTTP 4xx with a JSON list of {"code", "description"}. Authentication is the suite's
`Authorization: Bearer <key>` (an Open311 `api_key` parameter is not accepted: keys never travel in URLs or forms).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from wangge_common.auth import AuthError, public, requires
from wangge_common.errors import DomainError
from wangge_common.problems import field_errors

from . import domain
from .api import CASE_IN, IDEMPOTENCY_DOC, idempotent, reads, registration
from .models import Case

open311 = Blueprint("open311", __name__, url_prefix="/open311/v2",
                    description="Open311 GeoReport v2 facade, mapped onto the same cases (service_code = category)")
# Errors as GeoReport v2 has them (a JSON list of {code, description}), documented once for every operation here.
open311.ERROR_DOC = {"description": "GeoReport v2 error: a list of {code, description}", "content": {
    "application/json": {"schema": {"type": "array", "items": {
        "type": "object", "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}}}}

CLOSED_STATES = ("closed", "evaluated", "withdrawn")
SERVICE_DESCRIPTIONS = {"request": "请求解决的具体困难或问题", "enquiry": "政策、办事咨询",
                        "complaint": "对部门、单位或个人的投诉", "suggestion": "对网格治理和民生实事的建议"}
ATTRIBUTES = [
    ("grid_id", "string", False, "网格编号 (grid id); omit when address_id or a household address resolves it"),
    ("topic", "string", False, "主题 (topic), e.g. road"),
    ("urgency", "singlevaluelist", False, "紧急程度: normal or urgent"),
    ("external_id", "string", False, "your system's own id for the request: makes it an integration case"),
]


class Open311Error(Exception):
    def __init__(self, status: int, errors: list[tuple[int, str]] | list[str]):
        super().__init__(errors)
        self.status = status
        self.errors = [e if isinstance(e, tuple) else (status, e) for e in errors]


@open311.errorhandler(Open311Error)
def _open311_error(exc: Open311Error):
    response = jsonify([{"code": code, "description": text} for code, text in exc.errors])
    response.status_code = exc.status
    return response


@open311.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    described = [f"{_open311_name(e['field'])}: {e['reason']}" for e in exc.errors or []] or [exc.detail]
    if exc.extra.get("existing_case_id"):  # a second push: name the request registered the first time
        described = [f"{exc.detail}: service_request_id {exc.extra['existing_case_id']}"]
    return _open311_error(Open311Error(400 if exc.status == 422 else exc.status, described))


@open311.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    described = [f"{_open311_name(e['field'])}: {e['reason']}" for e in field_errors(data.get("messages", {}))]
    return _open311_error(Open311Error(exc.code or 400, described or [exc.description or exc.name]))


@open311.errorhandler(AuthError)
def _auth_error(exc: AuthError):
    return _open311_error(Open311Error(exc.status, [exc.detail]))


_OPEN311_NAMES = {"category": "service_code", "content": "description", "location.latitude": "lat",
                  "location.longitude": "long", "location.address": "address_string", "household_id": "address_id",
                  "reporter.phone": "phone", "reporter.email": "email", "reporter.name": "first_name",
                  "grid_id": "attribute[grid_id]", "topic": "attribute[topic]", "urgency": "attribute[urgency]",
                  "external_ref.id": "attribute[external_id]"}


def _open311_name(field: str) -> str:
    return _OPEN311_NAMES.get(field, field)


def _service(code: str) -> dict:
    return {"service_code": code, "service_name": domain.CATEGORY_LABELS[code],
            "description": SERVICE_DESCRIPTIONS[code], "metadata": True, "type": "realtime",
            "keywords": code, "group": "民情"}


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
    status_notes = fields.String()
    service_name = fields.String()
    service_code = fields.String()
    description = fields.String()
    agency_responsible = fields.String(allow_none=True)
    service_notice = fields.String(allow_none=True)
    requested_datetime = fields.String()
    updated_datetime = fields.String()
    expected_datetime = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    address_id = fields.String(allow_none=True)
    zipcode = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    media_url = fields.String(allow_none=True)


class CreatedOut(Schema):
    service_request_id = fields.String()
    service_notice = fields.String()
    account_id = fields.String(allow_none=True)


_FORM_FIELDS = {
    "service_code": "required: request, enquiry, complaint or suggestion", "description": "required: the matter",
    "lat": "latitude (WGS84)", "long": "longitude (WGS84)", "address_string": "address",
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
             ("start_date", "ISO 8601; default 90 days before end_date"), ("end_date", "ISO 8601; default now"),
             ("status", "open, closed or open,closed")]


def _isoformat(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _as_request(case: Case) -> dict:
    return {
        "service_request_id": case.id, "status": "closed" if case.status in CLOSED_STATES else "open",
        "status_notes": domain.STEP_LABELS.get(case.step, case.step), "service_name": domain.CATEGORY_LABELS[case.category],
        "service_code": case.category, "description": case.content, "agency_responsible": None,
        "service_notice": None, "requested_datetime": _isoformat(case.received_at),
        "updated_datetime": _isoformat(case.state_changed_at or case.created_at), "expected_datetime": None,
        "address": case.address, "address_id": case.household_id, "zipcode": None, "lat": case.latitude,
        "long": case.longitude, "media_url": next((a.get("url") for a in case.attachments if a.get("url")), None),
    }


def _case_body(form, client: str) -> dict:
    """An Open311 request as the body POST /v1/cases takes."""
    if not form.get("service_code"):
        raise Open311Error(400, ["service_code: required"])
    if form["service_code"] not in domain.CATEGORIES:
        raise Open311Error(404, [f"service_code: no service {form['service_code']!r}; see services.json"])
    if not (form.get("lat") and form.get("long")) and not form.get("address_string") and not form.get("address_id"):
        raise Open311Error(400, ["a location is required: lat and long, address_string or address_id"])
    body = {"channel": "online", "category": form["service_code"], "content": form.get("description"),
            "received_by": {"kind": "system", "id": client[:64]}}
    location = {}
    if form.get("lat") or form.get("long"):
        location.update(latitude=form.get("lat"), longitude=form.get("long"))
    if form.get("address_string"):
        location["address"] = form["address_string"]
    if location:
        body["location"] = location
    for name, target in (("address_id", "household_id"), ("attribute[grid_id]", "grid_id"),
                         ("attribute[topic]", "topic"), ("attribute[urgency]", "urgency")):
        if form.get(name):
            body[target] = form[name]
    if form.get("attribute[external_id]"):
        body.update(channel="integration", external_ref={"system": client[:40], "id": form["attribute[external_id]"]})
    name = " ".join(p for p in (form.get("last_name"), form.get("first_name")) if p) or None
    if form.get("phone") or form.get("email"):
        body["reporter"] = {"name": name, "phone": form.get("phone"), "email": form.get("email")}
    if form.get("media_url"):
        body["attachments"] = [{"name": form["media_url"].rsplit("/", 1)[-1][:200] or "media",
                                "media_type": "application/octet-stream", "size": 0, "url": form["media_url"]}]
    return body


def _form() -> dict:
    if request.is_json:
        raw = request.get_json(silent=True)
        if not isinstance(raw, dict):
            raise Open311Error(400, ["the body must be a JSON object or form fields"])
        return {k: str(v) if v is not None else None for k, v in raw.items()}
    return request.form.to_dict()


@open311.route("/services.json")
class Services(MethodView):
    @public
    @open311.response(200, ServiceOut(many=True))
    @open311.doc(security=[])
    def get(self):
        """The service list: one service per case category (求决, 咨询, 投诉, 建议)."""
        return [_service(code) for code in domain.CATEGORIES]


@open311.route("/services/<string:service_code>.json")
class ServiceDefinition(MethodView):
    @public
    @open311.doc(security=[])
    @open311.response(200, description="the attributes a request of this service may carry")
    def get(self, service_code):
        """A service definition: the attribute[...] fields a request may carry."""
        if service_code not in domain.CATEGORIES:
            raise Open311Error(404, [f"no service {service_code!r}"])
        return jsonify({"service_code": service_code, "attributes": [
            {"variable": True, "code": code, "datatype": kind, "required": required, "datatype_description": text,
             "order": i + 1, "description": text,
             **({"values": [{"key": u, "name": u} for u in domain.URGENCIES]} if code == "urgency" else {})}
            for i, (code, kind, required, text) in enumerate(ATTRIBUTES)]})


@open311.route("/requests.json")
class Requests(MethodView):
    @requires("cases:write")
    @open311.response(201, CreatedOut(many=True))
    @open311.alt_response(429, description="too many submissions from this client address")
    @open311.doc(parameters=[IDEMPOTENCY_DOC], requestBody=REQUEST_BODY_DOC)
    def post(self):
        """Submit a service request; registered as a case (channel online, or integration with attribute[external_id])."""
        from flask import g

        body = _case_body(_form(), g.api_key.name)
        try:
            data = CASE_IN.load(body)
        except ValidationError as exc:
            raise Open311Error(400, [f"{_open311_name(e['field'])}: {e['reason']}"
                                     for e in field_errors(exc.messages)]) from None
        return idempotent(registration(data, lambda case: (201, [{
            "service_request_id": case.id, "account_id": None,
            "service_notice": f"已受理，查询码 {case.tracking_code}"}])), two_phase=True)

    @requires("cases:read")
    @open311.response(200, ServiceRequestOut(many=True))
    @open311.doc(parameters=[{"in": "query", "name": name, "required": False, "schema": {"type": "string"},
                              "description": text} for name, text in QUERY_DOC])
    def get(self):
        """Requests by id, service, date range and status; at most 1000, newest first."""
        args = request.args
        query = select(Case)
        if args.get("service_request_id"):
            query = query.where(Case.id.in_([i.strip() for i in args["service_request_id"].split(",")]))
        else:
            end = _date(args, "end_date") or datetime.now(timezone.utc)
            start = _date(args, "start_date") or end - timedelta(days=90)
            query = query.where(Case.received_at >= start, Case.received_at <= end)
            if args.get("service_code"):
                query = query.where(Case.category.in_(args["service_code"].split(",")))
            wanted = set(args.get("status", "open,closed").split(","))
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, ["status: open, closed or both"])
            if wanted == {"open"}:
                query = query.where(Case.status.not_in(CLOSED_STATES))
            elif wanted == {"closed"}:
                query = query.where(Case.status.in_(CLOSED_STATES))
        with reads() as session:
            found = session.scalars(query.order_by(Case.received_at.desc()).limit(1000)).all()
        return jsonify([_as_request(c) for c in found])


def _date(args, name: str) -> datetime | None:
    if not args.get(name):
        return None
    try:
        moment = datetime.fromisoformat(args[name])
    except ValueError:
        raise Open311Error(400, [f"{name}: must be an ISO 8601 date-time"]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@open311.route("/requests/<string:request_id>.json")
class RequestById(MethodView):
    @requires("cases:read")
    @open311.response(200, ServiceRequestOut(many=True))
    def get(self, request_id):
        """One service request (as a one-element list, as GeoReport v2 answers)."""
        with reads() as session:
            case = session.get(Case, request_id) or session.scalars(
                select(Case).where(Case.tracking_code == request_id.upper())).first()
        if case is None:
            raise Open311Error(404, [f"no service request {request_id}"])
        return jsonify([_as_request(case)])
