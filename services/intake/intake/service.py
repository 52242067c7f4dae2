"""How intake plugs into the shared infrastructure, and its typed per-process state (`runtime.state`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from wangge_common.crypto import FieldCipher
from wangge_common.groupcommit import GroupCommit
from wangge_common.runtime import ServiceSpec

from .consumers import HANDLERS
from .models import INFRA, Base
from .settings import IntakeSettings


@dataclass
class IntakeState:
    """What an intake process keeps beside its database: built once per runtime (see docs/architecture.md)."""

    settings: IntakeSettings
    reads: Callable  # a session for reads that takes no write lock (SQLite: deferred)
    group_commit: GroupCommit  # registrations of concurrent requests committed in one transaction
    # grids roster announced: grids are never deleted, so a grid once found is remembered
    known_grids: set[str] = field(default_factory=set)
    # read copies that change (the catalogue's topics, a village's grids): key -> (monotonic time, value)
    reread: dict = field(default_factory=dict)
    _cipher: FieldCipher | None = field(default=None, repr=False)

    @property
    def cipher(self) -> FieldCipher:
        """The master key of the personal data (each reporter's own key is wrapped under it). Built when first
        used: the relay, the consumer and `wangge migrate intake` run without WANGGE_PII_KEY."""
        if self._cipher is None:
            self._cipher = FieldCipher(self.settings.pii_key)
        return self._cipher

    @classmethod
    def build(cls, runtime) -> "IntakeState":
        settings = IntakeSettings.from_settings(runtime.settings)
        return cls(settings=settings, reads=runtime.db.reads,
                   group_commit=GroupCommit(runtime, max_batch=settings.group_commit_max))


# Intake serves with the broker down: the outbox keeps every accepted case until the relay can publish.
# It reads cases.v1 too, to follow each case's lifecycle for the resident's tracking page.
SPEC = ServiceSpec(name="intake", metadata=Base.metadata, tables=INFRA,
                   scopes={"cases:write": "register and change cases",
                           "cases:read": "read cases, work orders and status",
                           "orders:handle": "sign, answer and return work orders",
                           "contacts:read":
                           "service-to-service: read a reporter's or deputy's contact details (phone, email) in clear",
                           "cases:read_personal":
                           "staff: read what redaction masked in a case (its text as written, the reporter's contact)",
                           "personal:erase": "erase a person's personal data (crypto-shredding) on their request"},
                   migrations=str(Path(__file__).parent / "migrations"), consumes=("roster.v1", "cases.v1"),
                   handlers=HANDLERS, publishes=("cases.v1",), ready_requires_broker=False, state=IntakeState.build)
