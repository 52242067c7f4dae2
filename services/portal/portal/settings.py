"""The portal's settings, read from the environment once (PortalSettings.from_env) and passed down."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from wangge_common.settings import DEFAULT_PORTS, secret, with_database_password
from wangge_common.settings import log_level as read_log_level

DEFAULT_PORT = 8100


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class PortalSettings:
    database_url: str
    var_dir: Path
    secret_key: str  # signs the session cookie and CSRF tokens
    signing_key: str  # Ed25519 seed (hex) of the people's access tokens
    issuer: str  # `iss` of those tokens; the services trust it through WANGGE_TOKEN_ISSUER
    service_urls: dict = field(default_factory=dict)
    token_ttl_s: int = 300
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    lockout_failures: int = 5
    lockout_minutes: int = 15
    cookie_secure: bool = False
    trusted_proxies: tuple[str, ...] = ()  # X-Forwarded-For is honoured only from these addresses
    ratelimit_storage: str = "memory://"
    signin_limit: str = "10 per minute"
    online_limit: str = "5 per minute;30 per hour"
    track_limit: str = "30 per minute"
    service_timeout_s: float = 10.0
    public_url: str | None = None  # what residents' phones reach (QR posters); default: the request's own host
    # where people's browsers reach the services' public pages (a grid's notice, reception boards): behind the
    # proxy, the public address; default (make run) each service's own URL, which only the servers may reach in
    # production
    pages_url: str | None = None
    argon2_profile: str = "default"  # "cheapest" only in tests: a sign-in then costs microseconds, not ~0.5 s
    log_level: str = "INFO"  # WANGGE_LOG_LEVEL, as the services read it: the root logger's level (telemetry.configure)

    def page_url(self, service: str, path: str) -> str:
        """The address of a service's public page (`/v1/grids/<id>/notice` of roster, say) as a person's browser
        reaches it."""
        return (self.pages_url or self.service_urls[service]) + path

    @classmethod
    def from_env(cls, env: dict | None = None) -> "PortalSettings":
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("WANGGE_VAR_DIR", "var")).resolve()
        # each may come as a file (WANGGE_PORTAL_SECRET_KEY_FILE, ...): Docker or Kubernetes secrets
        session_secret = secret(env, "WANGGE_PORTAL_SECRET_KEY")
        seed = secret(env, "WANGGE_PORTAL_SIGNING_KEY")
        if not session_secret or not seed:
            raise ValueError("WANGGE_PORTAL_SECRET_KEY and WANGGE_PORTAL_SIGNING_KEY (or their _FILE forms) are "
                             "required (make run generates both into var/)")
        port = _int(env, "WANGGE_PORTAL_PORT", DEFAULT_PORT)
        return cls(
            database_url=with_database_password(env, "portal", env.get("WANGGE_PORTAL_DATABASE_URL")
                                                or env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'portal.db'}"),
            var_dir=var_dir, secret_key=session_secret, signing_key=seed,
            issuer=env.get("WANGGE_PORTAL_ISSUER") or f"http://127.0.0.1:{port}",
            service_urls={name: env.get(f"WANGGE_{name.upper()}_URL", f"http://127.0.0.1:{p}")
                          for name, p in DEFAULT_PORTS.items()},
            token_ttl_s=_int(env, "WANGGE_PORTAL_TOKEN_TTL_S", 300),
            session_idle_minutes=_int(env, "WANGGE_PORTAL_SESSION_IDLE_MINUTES", 30),
            session_max_hours=_int(env, "WANGGE_PORTAL_SESSION_MAX_HOURS", 12),
            lockout_failures=_int(env, "WANGGE_PORTAL_LOCKOUT_FAILURES", 5),
            lockout_minutes=_int(env, "WANGGE_PORTAL_LOCKOUT_MINUTES", 15),
            cookie_secure=env.get("WANGGE_PORTAL_COOKIE_SECURE", "") in ("1", "true", "yes"),
            trusted_proxies=tuple(p.strip() for p in env.get("WANGGE_PORTAL_TRUSTED_PROXIES", "").split(",")
                                  if p.strip()),
            ratelimit_storage=env.get("WANGGE_PORTAL_RATELIMIT_STORAGE", "memory://"),
            signin_limit=env.get("WANGGE_PORTAL_SIGNIN_LIMIT", "10 per minute"),
            online_limit=env.get("WANGGE_PORTAL_ONLINE_LIMIT", "5 per minute;30 per hour"),
            track_limit=env.get("WANGGE_PORTAL_TRACK_LIMIT", "30 per minute"),
            public_url=(env.get("WANGGE_PORTAL_PUBLIC_URL") or "").rstrip("/") or None,
            pages_url=(env.get("WANGGE_PORTAL_PAGES_URL") or "").rstrip("/") or None,
            argon2_profile=env.get("WANGGE_PORTAL_ARGON2_PROFILE", "default"),
            log_level=read_log_level(env),
        )
