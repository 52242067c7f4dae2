"""Errors as application/problem+json (RFC 9457), with a field-by-field list for invalid input."""
from __future__ import annotations

import logging

from flask import jsonify, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from .auth import AuthError
from .errors import DomainError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class Problem(Exception):
    """Raise from a handler or view to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str = "", *, type_: str = "about:blank",
                 errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type, self.errors = status, title, detail, type_, errors
        self.headers = headers or {}


def field_errors(messages, prefix: str = "") -> list[dict]:
    """Flatten marshmallow/webargs messages into [{field, reason}] with dotted field paths."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out += field_errors(value, path)
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            out += [{"field": prefix, "reason": m} for m in messages]
        else:
            for m in messages:
                out += field_errors(m, prefix)
    else:
        out.append({"field": prefix, "reason": str(messages)})
    return out


def problem_response(status: int, title: str, detail: str = "", *, type_: str = "about:blank",
                     errors: list[dict] | None = None, headers: dict | None = None, extra: dict | None = None):
    body = {**(extra or {}), "type": type_, "title": title, "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register(app) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc.status, exc.title, exc.detail, type_=exc.type, errors=exc.errors,
                                headers=exc.headers)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return problem_response(exc.status, exc.title, exc.detail, errors=exc.errors, extra=exc.extra)

    @app.errorhandler(AuthError)
    def _auth(exc: AuthError):
        headers = {"WWW-Authenticate": 'Bearer realm="wangge"'} if exc.status == 401 else {}
        title = "Unauthorized" if exc.status == 401 else "Forbidden"
        return problem_response(exc.status, title, exc.detail, headers=headers)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        errors = None
        data = getattr(exc, "data", None) or {}
        if "messages" in data:  # webargs / flask-smorest validation failure
            errors = []
            for location, messages in data["messages"].items():
                errors += [{"field": e["field"], "reason": e["reason"], "in": location}
                           for e in field_errors(messages)]
        detail = exc.description if errors is None else "the request has invalid fields; see errors"
        kept = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}  # e.g. 405's Allow
        return problem_response(exc.code or 500, exc.name, detail or "", errors=errors, headers=kept)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(exc: Exception):
        # The last net under inputs.py: a value the database cannot store (a number past its column's range) is the
        # request's fault, not the server's. The transaction has been rolled back; nothing was written.
        log.info("value refused by the database: %s", str(exc).splitlines()[0][:200])
        return problem_response(422, "Unprocessable Content", "a value does not fit the field it is stored in "
                                "(a number out of range?)")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return problem_response(500, "Internal Server Error", "an unexpected error occurred; it has been logged")


def write_gunicorn_error(sock, status_int, reason, mesg):
    """gunicorn's answer to a request it refuses before the app sees it (a header over 8 KB: 431, a request line
    over 4 KB: 414, a malformed header: 400), as problem+json like every other error instead of its HTML page.
    Installed by wangge_common.gunicorn_conf in place of gunicorn.util.write_error."""
    import json

    from gunicorn.util import write_nonblock

    body = json.dumps({"type": "about:blank", "title": reason, "status": int(status_int), "detail": mesg},
                      ensure_ascii=False).encode("utf-8")
    head = (f"HTTP/1.1 {int(status_int)} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    write_nonblock(sock, head + body)
