"""Open311 GeoReport v2 requests as cases (the facade's mapping of a POST; cases as requests are
`queries.open311`), and its errors."""
from __future__ import annotations

from .. import domain


class Open311Error(Exception):
    """An answer GeoReport v2's way: an HTTP status and a list of (code, description)."""

    def __init__(self, status: int, errors: list[tuple[int, str]] | list[str]):
        super().__init__(errors)
        self.status = status
        self.errors = [e if isinstance(e, tuple) else (status, e) for e in errors]


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
