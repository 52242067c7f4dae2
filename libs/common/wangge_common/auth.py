"""API keys with scopes, stored as SHA-256 hashes; every endpoint is private unless marked public."""
from __future__ import annotations

import functools
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g, request

SCOPES = {
    "cases:write": "register and change cases",
    "cases:read": "read cases, work orders and status",
    "roster:admin": "change grids, deputies and assignments",
    "roster:read": "read the roster",
    "orders:handle": "sign, answer and return work orders",
    "notify:read": "read notifications and deliveries",
    "audit:read": "read the audit log and KPIs",
    "roster:approve": "approve and publish assignment plans",
    "routing:admin": "edit the dispatch catalogue, deadline rules and the holiday calendar",
    "cases:supervise": "township congress staff: approve extensions, supervise and escalate cases",
    "cases:evaluate": "record a resident's rating at a station or on a return visit",
    "contacts:read": "service-to-service: read a reporter's or deputy's contact details (phone, email) in clear",
    "notify:admin": "edit message templates and webhook subscriptions",
    "cases:read_personal": "staff: read what redaction masked in a case (its text as written, the reporter's contact)",
    "personal:erase": "erase a person's personal data (crypto-shredding) on their request",
}
KEY_PREFIX = "wg_"


class AuthError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    scopes: frozenset[str]


def hash_key(raw: str) -> str:
    # Keys are 32 random bytes, not passwords: a fast hash is enough, and it keeps auth cheap per request.
    return hashlib.sha256(raw.encode()).hexdigest()


def new_key(name: str, scopes: list[str]) -> tuple[str, dict]:
    """A fresh key and the entry (with only its hash) to put into WANGGE_API_KEYS / the keys file."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}; known: {', '.join(sorted(SCOPES))}")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    return raw, {"name": name, "sha256": hash_key(raw), "scopes": sorted(scopes)}


def load_keys(api_keys_json: str | None, api_keys_file: str | None) -> dict[str, ApiKey]:
    entries = []
    if api_keys_file:
        entries += json.loads(Path(api_keys_file).read_text(encoding="utf-8"))
    if api_keys_json:
        entries += json.loads(api_keys_json)
    keys = {}
    for entry in entries:
        unknown = set(entry["scopes"]) - set(SCOPES)
        if unknown:
            raise ValueError(f"API key {entry['name']!r} has unknown scopes {sorted(unknown)}")
        keys[entry["sha256"]] = ApiKey(entry["name"], entry["sha256"], frozenset(entry["scopes"]))
    return keys


def public(view):
    """Mark a view as reachable without a key (the explicit exception)."""
    view._wangge_public = True
    return view


def requires(scope: str):
    """Require a key carrying `scope` for this view."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")

    def decorate(view):
        view._wangge_scope = scope

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            authorize(scope)
            return view(*args, **kwargs)

        wrapper._wangge_scope = scope
        return wrapper

    return decorate


def authorize(scope: str) -> ApiKey:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise AuthError(401, "an API key is required: send 'Authorization: Bearer <key>'")
    # Keys are looked up by their SHA-256: timing can reveal nothing about a key from where its hash lands.
    found = current_app.extensions["wangge_api_keys"].get(hash_key(header[len("Bearer "):].strip()))
    if found is None:
        raise AuthError(401, "the API key is not known")
    if scope not in found.scopes:
        raise AuthError(403, f"the API key {found.name!r} lacks the scope {scope!r}")
    g.api_key = found
    return found


def actor() -> str:
    """Who is acting in this request, for the events it causes."""
    key = getattr(g, "api_key", None)
    return f"apikey:{key.name}" if key else "anonymous"


def check_every_view_is_guarded(app) -> None:
    """Fail at start-up if a view is neither public nor scoped: private by default, never by accident."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or rule.endpoint.startswith("api-docs."):
            continue
        targets = [view]
        view_class = getattr(view, "view_class", None)
        if view_class is not None:
            targets = [getattr(view_class, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}]
        for target in targets:
            if not (getattr(target, "_wangge_public", False) or getattr(target, "_wangge_scope", None)):
                raise RuntimeError(f"view {rule.endpoint} ({rule.rule}) is neither @public nor @requires(scope)")
