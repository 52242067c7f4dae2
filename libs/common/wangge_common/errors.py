"""Errors a handler raises; plain Python, so domain and handler code never imports Flask."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.detail, self.errors = detail, errors
        self.extra = extra or {}  # extension members of the problem document (RFC 9457), e.g. an existing id


class Invalid(DomainError):
    """Input breaks a rule; `errors` lists every field and its reason."""

    status, title = 422, "Unprocessable Content"

    def __init__(self, errors: list[tuple[str, str]] | list[dict], detail: str = "the request breaks a rule; see errors"):
        normalised = [e if isinstance(e, dict) else {"field": e[0], "reason": e[1]} for e in errors]
        super().__init__(detail, errors=normalised)


class NotFound(DomainError):
    status, title = 404, "Not Found"


class Conflict(DomainError):
    status, title = 409, "Conflict"
