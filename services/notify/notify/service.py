"""How notify plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.runtime import Periodic, ServiceSpec

from .handlers import HANDLERS
from .models import INFRA, Base
from .sender import remind_receptions, send_due

SPEC = ServiceSpec(name="notify", metadata=Base.metadata, tables=INFRA,
                   scopes={"cases:read": "read cases, work orders and status",
                           "notify:read": "read notifications and deliveries",
                           "notify:admin": "edit message templates and webhook subscriptions"},
                   migrations=str(Path(__file__).parent / "migrations"), consumes=("cases.v1", "roster.v1"),
                   handlers=HANDLERS, publishes=("notify.v1",),
                   periodic=(Periodic("send_deliveries", 2.0, send_due),
                             Periodic("reception_reminders", 300.0, remind_receptions)))
