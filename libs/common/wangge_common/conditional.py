"""Conditional requests (RFC 9110 §13) for every service, in one place.

- Every JSON answer to a GET carries an `ETag` (a hash of its bytes); `If-None-Match` with that tag gives
  `304 Not Modified` and no body, so a poller re-reads only what changed.
- A change may carry `If-Match`: `PUT`/`PATCH`/`DELETE` are checked against the resource at the same URL, a
  command `POST <resource>/<action>` (e.g. `/v1/work-orders/{id}/sign`) against `<resource>`. When the resource's
  current ETag is not among the tags sent, the change is refused with `412 Precondition Failed` and nothing is
  written. Without `If-Match` a change goes through as before (the header is optional, so no client breaks).

The check reads the resource through its own GET view (with the caller's credentials) just before the change
runs: it stops lost updates between a client's read and its write, the case conditional requests exist for; two
writers racing within the same few milliseconds are still ordered by each service's own state checks.
"""
from __future__ import annotations

import hashlib

from flask import current_app, request

from .problems import Problem

CHANGES = ("PUT", "PATCH", "DELETE", "POST")


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def _tag_responses(response):
    if (request.method in ("GET", "HEAD") and response.status_code == 200
            and response.mimetype in ("application/json", "text/xml")  # text/xml: the Open311 facade's XML
            and not response.direct_passthrough and not response.is_streamed):
        if not response.get_etag()[0]:
            response.set_etag(etag_of(response.get_data()))
        response.make_conditional(request)  # If-None-Match -> 304 with no body
    return response


def is_command_on_resource(rule: str) -> bool:
    """`/v1/work-orders/<order_id>/sign` (Flask) or `/v1/work-orders/{order_id}/sign` (OpenAPI): a POST that
    changes the resource named by the segment before its last."""
    parent = rule.rstrip("/").rpartition("/")[0]
    return parent.endswith((">", "}"))


def _resource_path() -> str | None:
    if request.method != "POST":
        return request.path
    if request.url_rule is None or not is_command_on_resource(request.url_rule.rule):
        return None  # creating (POST /v1/cases) has no current version to match
    return request.path.rstrip("/").rpartition("/")[0]


def _check_if_match():
    if request.method not in CHANGES or not request.headers.get("If-Match"):
        return None
    target = _resource_path()
    if target is None:
        return None
    headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "accept-language")}
    with current_app.test_client() as client:
        current = client.get(target, headers=headers)
    if current.status_code == 401:
        return None  # no valid key: the change itself answers 401
    if current.status_code != 200:  # RFC 9110 §13.1.1: no current representation to match
        raise Problem(412, "Precondition Failed", f"If-Match was sent but {target} has no current version this key "
                      f"can read (GET answered {current.status_code})")
    tag = current.headers.get("ETag", "").strip('"')
    if request.if_match.contains(tag):  # strong comparison, or "*"
        return None
    raise Problem(412, "Precondition Failed", f"{target} has changed since it was read (its ETag is now \"{tag}\"); "
                  "read it again and retry with the new ETag in If-Match", headers={"ETag": f'"{tag}"'})


def install(app) -> None:
    app.before_request(_check_if_match)
    app.after_request(_tag_responses)
