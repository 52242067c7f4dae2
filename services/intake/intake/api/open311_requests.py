"""Cases as Open311 GeoReport v2 service requests, and Open311 requests as cases (the facade's mapping)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from wangge_common import clock

from .. import domain
from ..models import Case, CaseOrder, KnownGrid

CLOSED_STATES = ("closed", "evaluated", "withdrawn")
ROLE_ORDER = {"sole": 0, "lead": 1, "member": 2}
# What anyone may read of a request (GET needs no key, as the standard has it): never who reported it, where they
# live, the household file or the photos; the place is the grid's name. A key with cases:read sees the rest too.
PRIVATE_FIELDS = ("address", "address_id", "lat", "long", "media_url")


class Open311Error(Exception):
    """An answer GeoReport v2's way: an HTTP status and a list of (code, description)."""

    def __init__(self, status: int, errors: list[tuple[int, str]] | list[str]):
        super().__init__(errors)
        self.status = status
        self.errors = [e if isinstance(e, tuple) else (status, e) for e in errors]


def isoformat(moment: datetime | None) -> str | None:
    """W3C date-time with the offset, as the standard requires (UTC: `Z`), to the second."""
    return clock.wire_time(moment, "seconds")


def _agency(orders: list[CaseOrder]) -> tuple[str | None, datetime | None]:
    """The departments answering for the case (lead or sole first) and the lead's deadline, from routing's orders."""
    active = sorted((o for o in orders if o.state in domain.HANDLING_ORDER_STATES),
                    key=lambda o: (ROLE_ORDER.get(o.role or "member", 2), o.changed_at))
    if not active:
        return None, None
    names = list(dict.fromkeys(o.department_name for o in active))
    return "、".join(names), active[0].due_at


def as_requests(session, cases: list[Case], full_for) -> list[dict]:
    """The cases as GeoReport v2 requests; `full_for(case)` says whether the caller may see the private fields."""
    ids = [c.id for c in cases]
    orders: dict[str, list[CaseOrder]] = {}
    for order in session.scalars(select(CaseOrder).where(CaseOrder.case_id.in_(ids))) if ids else ():
        orders.setdefault(order.case_id, []).append(order)
    grid_ids = {c.grid_id for c in cases}
    grid_names = dict(session.execute(select(KnownGrid.grid_id, KnownGrid.name)
                                      .where(KnownGrid.grid_id.in_(grid_ids))).all()) if grid_ids else {}
    return [_as_request(c, orders.get(c.id, []), grid_names.get(c.grid_id), full_for(c)) for c in cases]


def _as_request(case: Case, orders: list[CaseOrder], grid_name: str | None, full: bool) -> dict:
    agency, expected = _agency(orders)
    status = "closed" if case.status in CLOSED_STATES else "open"
    request = {
        "service_request_id": case.id, "status": status,
        "status_notes": domain.STEP_LABELS.get(case.step, case.step),
        "service_name": domain.CATEGORY_LABELS[case.category], "service_code": case.category,
        "description": case.content, "agency_responsible": agency or case.answered_by, "service_notice": None,
        "requested_datetime": isoformat(case.received_at),
        "updated_datetime": isoformat(case.updated_at or case.state_changed_at or case.created_at),
        "expected_datetime": isoformat(expected) if status == "open" else None,
        "address": case.address, "address_id": case.household_id, "zipcode": None,
        "lat": case.latitude, "long": case.longitude,
        "media_url": next((a.get("url") for a in case.attachments or () if a.get("url")), None),
    }
    if not full:
        request.update(dict.fromkeys(PRIVATE_FIELDS), address=grid_name)
    return request


def case_body(form, client: str) -> dict:
    """An Open311 request as the body POST /v1/cases takes."""
    _check_service_and_place(form)
    body = {"channel": "online", "category": form["service_code"], "content": form.get("description"),
            "received_by": {"kind": "system", "id": client[:64]}}
    location = _location(form)
    if location:
        body["location"] = location
    for name, target in (("address_id", "household_id"), ("attribute[grid_id]", "grid_id"),
                         ("attribute[topic]", "topic"), ("attribute[urgency]", "urgency")):
        if form.get(name):
            body[target] = form[name]
    if form.get("attribute[external_id]"):
        body.update(channel="integration", external_ref={"system": client[:40], "id": form["attribute[external_id]"]})
    if form.get("phone") or form.get("email"):
        name = " ".join(p for p in (form.get("last_name"), form.get("first_name")) if p) or None
        body["reporter"] = {"name": name, "phone": form.get("phone"), "email": form.get("email")}
    if form.get("media_url"):
        body["attachments"] = [{"name": form["media_url"].rsplit("/", 1)[-1][:200] or "media",
                                "media_type": "application/octet-stream", "size": 0, "url": form["media_url"]}]
    return body


def _check_service_and_place(form) -> None:
    """The Open311 way of refusing a request with no known service or no place (400 or 404, before any field
    check of the case)."""
    if not form.get("service_code"):
        raise Open311Error(400, ["service_code: required"])
    if form["service_code"] not in domain.CATEGORIES:
        raise Open311Error(404, [f"service_code: no service {form['service_code']!r}; see services.xml"])
    if bool(form.get("lat")) != bool(form.get("long")):
        raise Open311Error(400, [f"{'long' if form.get('lat') else 'lat'}: lat and long are sent together"])
    if not form.get("lat") and not form.get("address_string") and not form.get("address_id"):
        raise Open311Error(400, ["a location is required: lat and long, address_string or address_id"])


def _location(form) -> dict:
    location = {}
    if form.get("lat") and form.get("long"):
        location.update(latitude=form["lat"], longitude=form["long"])
    if form.get("address_string"):
        location["address"] = form["address_string"]
    return location


OPEN311_NAMES = {"category": "service_code", "content": "description", "location.latitude": "lat",
                 "location.longitude": "long", "location.address": "address_string", "household_id": "address_id",
                 "reporter.phone": "phone", "reporter.email": "email", "reporter.name": "first_name",
                 "grid_id": "attribute[grid_id]", "topic": "attribute[topic]", "urgency": "attribute[urgency]",
                 "external_ref.id": "attribute[external_id]"}


def open311_name(field: str) -> str:
    """The Open311 parameter a case field came from, for the error's description."""
    return OPEN311_NAMES.get(field, field)
