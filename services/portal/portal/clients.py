"""Calls to the five services with the signed-in person's access token: the portal's only way to domain data."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import requests

from wangge_common.tokens import TokenIssuer

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A service refused or failed: the status, its problem document's detail and field errors."""

    def __init__(self, service: str, status: int, detail: str, errors: list[dict] | None = None):
        super().__init__(f"{service} answered {status}: {detail}")
        self.service, self.status, self.detail, self.errors = service, status, detail, errors or []


@dataclass(frozen=True)
class Caller:
    """Who the portal calls the services for: a signed-in person, or the online station for a resident."""

    subject: str
    name: str | None
    scopes: tuple[str, ...]
    grids: tuple[str, ...] | None = None
    departments: tuple[str, ...] | None = None
    actor_kind: str = "person"
    deputy: str | None = None  # a deputy's account: the roster deputy they are (their own duties)


class Services:
    """One HTTP session for the process (connection reuse), tokens minted per caller and cached until near expiry."""

    def __init__(self, urls: dict, issuer: TokenIssuer, timeout: float = 10.0):
        self.urls, self.issuer, self.timeout = urls, issuer, timeout
        self.http = requests.Session()
        self._tokens: dict = {}

    def token(self, caller: Caller) -> str:
        import time

        key = (caller.subject, caller.scopes, caller.grids, caller.departments, caller.actor_kind, caller.deputy)
        cached = self._tokens.get(key)
        if cached and cached[1] > time.time() + 30:
            return cached[0]
        token = self.issuer.mint(caller.subject, scopes=caller.scopes, name=caller.name, grids=caller.grids,
                                 departments=caller.departments, actor_kind=caller.actor_kind, deputy=caller.deputy)
        if len(self._tokens) > 5000:
            self._tokens.clear()
        self._tokens[key] = (token, time.time() + self.issuer.ttl_s)
        return token

    def call(self, caller: Caller, method: str, service: str, path: str, *, json=None, params=None, data=None,
             files=None, headers=None, expect=(200, 201)):
        hdrs = {"Authorization": f"Bearer {self.token(caller)}", **(headers or {})}
        try:
            response = self.http.request(method, self.urls[service] + path, json=json, params=params, data=data,
                                         files=files, headers=hdrs, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("service unreachable", extra={"service": service, "path": path, "error": type(exc).__name__})
            raise ServiceError(service, 503, "服务暂时无法访问，请稍后再试") from None
        if response.status_code not in expect:
            body = {}
            if "json" in response.headers.get("Content-Type", ""):
                body = response.json()
            raise ServiceError(service, response.status_code, body.get("detail") or response.reason,
                               body.get("errors"))
        if response.status_code == 204 or not response.content:
            return None
        return response.json() if "json" in response.headers.get("Content-Type", "") else response.content

    def get(self, caller: Caller, service: str, path: str, **params):
        return self.call(caller, "GET", service, path, params={k: v for k, v in params.items() if v is not None})

    def post(self, caller: Caller, service: str, path: str, body: dict, *, idempotency_key: str | None = None):
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.call(caller, "POST", service, path, json=body, headers=headers)
