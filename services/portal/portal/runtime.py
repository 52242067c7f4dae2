"""What a portal process holds (the role cosmicpython's bootstrap plays): settings, database, token issuer, the
service client, the password hasher and the data-scope cache, as typed attributes."""
from __future__ import annotations

import threading
import time

from argon2 import PasswordHasher, profiles

from wangge_common.db import Database
from wangge_common.tokens import TokenIssuer

from .clients import Caller, Services
from .settings import PortalSettings

SCOPE_CACHE_S = 300


class PortalRuntime:
    def __init__(self, settings: PortalSettings):
        self.settings = settings
        self.db = Database(settings.database_url)
        self.issuer = TokenIssuer(settings.issuer, settings.signing_key, ttl_s=settings.token_ttl_s)
        self.services = Services(settings.service_urls, self.issuer, settings.service_timeout_s)
        # Argon2id with the library's defaults (RFC 9106 low-memory profile); tests may ask for the cheapest.
        self.hasher = (PasswordHasher.from_parameters(profiles.CHEAPEST) if settings.argon2_profile == "cheapest"
                       else PasswordHasher())
        self._scopes: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def cached_grids(self, account_id: str, resolve) -> tuple[str, ...]:
        """The grids an account's data scope covers, resolved from roster at most every five minutes."""
        now = time.monotonic()
        with self._lock:
            hit = self._scopes.get(account_id)
        if hit and hit[0] > now:
            return hit[1]
        grids = tuple(sorted(resolve()))
        with self._lock:
            self._scopes[account_id] = (now + SCOPE_CACHE_S, grids)
        return grids

    def forget_scope(self, account_id: str) -> None:
        with self._lock:
            self._scopes.pop(account_id, None)

    def online_station(self) -> Caller:
        """The public online station (网上联络站) acting for an anonymous resident."""
        return Caller("online-station", "网上联络站", ("cases:write", "roster:read", "cases:read"),
                      actor_kind="resident")
