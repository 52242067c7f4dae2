"""How notify plugs into the shared infrastructure, and its typed state (`runtime.state`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wangge_common.crypto import FieldCipher, PiiKeyMissing
from wangge_common.runtime import Periodic, ServiceSpec

from .consumers import HANDLERS
from .models import INFRA, Base
from .jobs import remind_receptions, send_due
from .settings import NotifySettings


@dataclass(frozen=True)
class NotifyState:
    """What notify builds once per process from its settings: read as `runtime.state.<attr>`."""

    settings: NotifySettings
    field_cipher: FieldCipher | None  # None without WANGGE_PII_KEY: what needs it raises PiiKeyMissing then
    pii_keys: str | None

    @classmethod
    def build(cls, runtime) -> "NotifyState":
        keys = runtime.settings.pii_key or None
        return cls(settings=NotifySettings.from_settings(runtime.settings),
                   field_cipher=FieldCipher(keys) if keys else None, pii_keys=keys)

    @property
    def cipher(self) -> FieldCipher:
        """The field cipher (webhook secrets, rating-link tokens)."""
        return self.field_cipher or FieldCipher(self.pii_keys)  # the latter raises PiiKeyMissing

    @property
    def contact_hash_key(self) -> str:
        """The current PII key (the first of a rotation list): it keys the hash the daily SMS cap counts by."""
        key = (self.pii_keys or "").split(",")[0].strip()
        if not key:
            raise PiiKeyMissing("WANGGE_PII_KEY is not set: the daily SMS cap cannot recognise a resident")
        return key


SPEC = ServiceSpec(name="notify", metadata=Base.metadata, tables=INFRA,
                   scopes={"cases:read": "read cases, work orders and status",
                           "notify:read": "read notifications and deliveries",
                           "notify:admin": "edit message templates and webhook subscriptions"},
                   migrations=str(Path(__file__).parent / "migrations"), consumes=("cases.v1", "roster.v1"),
                   handlers=HANDLERS, publishes=("notify.v1",),
                   periodic=(Periodic("send_deliveries", 2.0, send_due),
                             Periodic("reception_reminders", 300.0, remind_receptions)),
                   state=NotifyState.build)
