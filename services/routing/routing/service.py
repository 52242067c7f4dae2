"""How routing plugs into the shared infrastructure."""
from pathlib import Path

from wangge_common.runtime import Periodic, ServiceSpec

from . import holidays, jobs
from .handlers import HANDLERS
from .models import INFRA, Base

SPEC = ServiceSpec(name="routing", metadata=Base.metadata, tables=INFRA,
                   scopes={"cases:write": "register and change cases",
                           "cases:read": "read cases, work orders and status",
                           "orders:handle": "sign, answer and return work orders",
                           "routing:admin": "edit the dispatch catalogue, deadline rules and the holiday calendar",
                           "cases:supervise":
                           "township congress staff: approve extensions, supervise and escalate cases",
                           "cases:evaluate": "record a resident's rating at a station or on a return visit"},
                   migrations=str(Path(__file__).parent / "migrations"), consumes=("cases.v1", "roster.v1"),
                   handlers=HANDLERS, publishes=("cases.v1",),
                   periodic=(Periodic("work-order-deadlines", 30, jobs.scan_work_orders),
                             Periodic("reply-deadlines", 60, jobs.scan_replies),
                             Periodic("evaluations", 60, jobs.scan_evaluations),
                             # first run at the scheduler's start seeds a fresh database
                             Periodic("holiday-calendar", 6 * 3600, holidays.refresh_job)))
