"""How roster plugs into the shared infrastructure, and its typed state (`runtime.state`)."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from wangge_common.crypto import FieldCipher
from wangge_common.runtime import ServiceSpec

from .models import INFRA, Base
from .settings import RosterSettings


@dataclass
class RosterState:
    """What one roster process holds beside its database: its settings, the field cipher, its import threads."""

    settings: RosterSettings
    pii_key: str | None = None
    import_threads: dict[str, threading.Thread] = field(default_factory=dict)  # job id -> the thread writing it

    @classmethod
    def build(cls, runtime) -> "RosterState":
        return cls(settings=RosterSettings.from_settings(runtime.settings), pii_key=runtime.settings.pii_key)

    @cached_property
    def cipher(self) -> FieldCipher:
        """The field cipher for personal data at rest; built on first use, so a process that never reads personal
        data (migrations, the relay) starts without WANGGE_PII_KEY as before."""
        return FieldCipher(self.pii_key)


SPEC = ServiceSpec(name="roster", metadata=Base.metadata, tables=INFRA, publishes=("roster.v1",),
                   scopes={"roster:read": "read the roster",
                           "roster:admin": "change grids, deputies and assignments",
                           "roster:approve": "approve and publish assignment plans",
                           "duty:record": "deputies: record their duties (履职登记) and meetings with their contact "
                                          "households (双联系), for the deputies of their token's grids",
                           "contacts:read":
                           "service-to-service: read a reporter's or deputy's contact details (phone, email) in clear"},
                   migrations=str(Path(__file__).parent / "migrations"), state=RosterState.build)
