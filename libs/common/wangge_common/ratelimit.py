"""Rate limits on the public endpoints (tracking, rating, Open311, public forms), shared by every worker.

flask-limiter counts in the storage `WANGGE_RATELIMIT_STORAGE_URI` names: `redis://host:6379/0` is shared by every
gunicorn worker and every replica, so a limit holds across them; the default `memory://` counts per process (each
worker allows the full limit: fine for one machine and tests, documented as such). A Redis outage falls back to
per-process counting instead of failing requests. Behind a reverse proxy the client's address comes from
`X-Forwarded-For` only when the peer is one of `WANGGE_TRUSTED_PROXIES` (werkzeug's ProxyFix, applied to those
peers alone): anyone else sending the header is counted by their own address.
"""
from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix

from .problems import problem_response


@dataclass(frozen=True)
class Rule:
    """One limit: `name` is its budget (endpoints naming the same one share it), `default` like `30/minute`;
    `page` renders the Chinese page a person sees when over it (None: a problem+json 429 for API clients)."""

    name: str
    default: str
    methods: tuple[str, ...] | None = None
    page: Callable[[int], object] | None = None
    exempt_when: Callable[[], bool] | None = None


class TrustedProxyFix:
    """ProxyFix for requests whose peer is a configured proxy; every other request passes untouched."""

    def __init__(self, wsgi_app, networks, hops: int = 1):
        self.networks = networks
        self.plain, self.fixed = wsgi_app, ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0)

    def __call__(self, environ, start_response):
        try:
            peer = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            peer = None
        trusted = peer is not None and any(peer in network for network in self.networks)
        return (self.fixed if trusted else self.plain)(environ, start_response)


def parse_networks(raw: str | None, name: str = "WANGGE_TRUSTED_PROXIES") -> tuple:
    networks = []
    for part in (raw or "").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError as exc:
                raise ValueError(f"{name}: {part.strip()!r} is not an address or network") from exc
    return tuple(networks)


def client_address() -> str:
    return request.remote_addr or "unknown"


def _seconds_left(limit: RequestLimit) -> int:
    """Seconds until the window frees a request (flask-limiter's reset_at is a whole epoch second, rounded up)."""
    return min(limit.limit.get_expiry(), max(1, math.ceil(limit.reset_at - time.time())))


def _problem(limit: RequestLimit):
    wait = _seconds_left(limit)
    return problem_response(429, "Too Many Requests",
                            f"too many requests from this client; try again in {wait} s ({limit.limit})",
                            headers={"Retry-After": str(wait)})


def install(app: Flask, settings, rules: dict[str, Rule]) -> Limiter:
    """Limit `rules` ({endpoint: Rule}) on `app`; call after every blueprint is registered."""
    networks = parse_networks(settings.trusted_proxies)
    if networks:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, networks, settings.trusted_proxy_hops)
    limiter = Limiter(client_address, app=app, storage_uri=settings.ratelimit_storage_uri,
                      strategy="moving-window", key_prefix=f"wangge:{settings.service}",
                      in_memory_fallback_enabled=True, swallow_errors=True, headers_enabled=False)
    for endpoint, rule in rules.items():
        limit = settings.ratelimits.get(rule.name.upper(), rule.default)
        try:
            parse_many(limit)
        except ValueError as exc:
            raise ValueError(f"WANGGE_RATELIMIT_{rule.name.upper()}: {limit!r} is not a limit like 30/minute") from exc

        def breach(request_limit: RequestLimit, rule=rule):
            if rule.page is not None:
                response = app.make_response(rule.page(_seconds_left(request_limit)))
                response.status_code = 429
                response.headers["Retry-After"] = str(_seconds_left(request_limit))
                return response
            return _problem(request_limit)

        app.view_functions[endpoint] = limiter.shared_limit(
            limit, scope=rule.name, methods=list(rule.methods) if rule.methods else None,
            exempt_when=rule.exempt_when, on_breach=breach)(app.view_functions[endpoint])

    @app.errorhandler(RateLimitExceeded)
    def over_the_limit(exc: RateLimitExceeded):
        # the breach callback built the answer (a page, or problem+json); the generic HTTP handler would drop it
        if exc.response is not None:
            return exc.response
        return problem_response(429, "Too Many Requests", "too many requests from this client")

    @app.after_request
    def ratelimit_headers(response):
        current = limiter.current_limit
        if current is not None:
            response.headers["RateLimit-Limit"] = str(current.limit.amount)
            response.headers["RateLimit-Remaining"] = str(current.remaining)
            response.headers["RateLimit-Reset"] = str(_seconds_left(current))
            response.headers["RateLimit-Policy"] = f"{current.limit.amount};w={current.limit.get_expiry()}"
        return response

    app.extensions["wangge_limiter"] = limiter
    return limiter


def keyed_caller() -> bool:
    """True when the request carries a known API key: accountable callers (services, integrators) are exempt from
    the per-address limits that protect the public endpoints."""
    from flask import current_app

    from .auth import hash_key

    header = request.headers.get("Authorization", "")
    return header.startswith("Bearer ") and hash_key(header[7:].strip()) in current_app.extensions["wangge_api_keys"]
