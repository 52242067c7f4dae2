"""How routing plugs into the shared infrastructure, and what a routing process holds (`runtime.state`)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from wangge_common.crypto import FieldCipher
from wangge_common.runtime import Periodic, ServiceSpec

from . import domain, jobs
from .consumers import HANDLERS
from .models import INFRA, Base
from .queries import load_deadlines, load_rules
from .settings import RoutingSettings

CATALOGUE_TTL_S = 5.0  # an edit made through another process's API reaches this one within this time


class CatalogueCache:
    """The active dispatch and deadline lines, read at most every `ttl_s` per process: triage runs for every case,
    the catalogue changes a few times a year. An edit in this process forgets them at once."""

    def __init__(self, ttl_s: float = CATALOGUE_TTL_S):
        self.ttl_s = ttl_s
        self._found: dict = {}  # loader -> (read again after, lines)

    def _cached(self, session, load):
        found = self._found.get(load)
        if found is None or found[0] < time.monotonic():
            found = self._found[load] = (time.monotonic() + self.ttl_s, load(session))
        return found[1]

    def dispatch_rules(self, session) -> list[domain.Rule]:
        return self._cached(session, load_rules)

    def deadline_rules(self, session) -> list[domain.DeadlineRule]:
        return self._cached(session, load_deadlines)

    def forget(self) -> None:
        self._found.clear()


@dataclass
class RoutingState:
    """Routing's settings, its policy numbers, the evaluation links' key and cipher, and the catalogue cache."""

    settings: RoutingSettings
    pii_key: str | None = None
    catalogue: CatalogueCache = field(default_factory=CatalogueCache)

    @classmethod
    def build(cls, runtime) -> "RoutingState":
        return cls(RoutingSettings.from_settings(runtime.settings), runtime.settings.pii_key)

    @property
    def policy(self) -> domain.Policy:
        return self.settings.policy

    @property
    def token_secret(self) -> str:
        """The key that signs residents' evaluation links (an error only when one is signed or read)."""
        if self.settings.token_secret is None:
            raise RuntimeError("set WANGGE_ROUTING_TOKEN_SECRET or WANGGE_PII_KEY to sign evaluation links")
        return self.settings.token_secret

    @cached_property
    def cipher(self) -> FieldCipher:
        """Encrypts the evaluation link's token on its event, for notify (built when first needed)."""
        return FieldCipher(self.pii_key)


SPEC = ServiceSpec(name="routing", metadata=Base.metadata, tables=INFRA,
                   scopes={"cases:write": "register and change cases",
                           "cases:read": "read cases, work orders and status",
                           "orders:handle": "sign, answer and return work orders",
                           "routing:admin": "edit the dispatch catalogue, deadline rules and the holiday calendar",
                           "cases:supervise":
                           "township congress staff: approve extensions, supervise and escalate cases",
                           "cases:evaluate": "record a resident's rating at a station or on a return visit",
                           "projects:fund":
                           "city: decide the funding of micro livelihood projects (民生微实事资金审批)"},
                   migrations=str(Path(__file__).parent / "migrations"), consumes=("cases.v1", "roster.v1"),
                   handlers=HANDLERS, publishes=("cases.v1",),
                   periodic=(Periodic("work-order-deadlines", 30, jobs.scan_work_orders),
                             Periodic("reply-deadlines", 60, jobs.scan_replies),
                             Periodic("evaluations", 60, jobs.scan_evaluations),
                             # first run at the scheduler's start seeds a fresh database
                             Periodic("holiday-calendar", 6 * 3600, jobs.refresh_holidays)),
                   state=RoutingState.build)
