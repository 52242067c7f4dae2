"""Roster app factory."""
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import BLUEPRINTS
from .service import SPEC


def create_app(settings: Settings | None = None):
    settings = settings or Settings.from_env(SPEC.name)
    return create_service_app(
        SPEC, settings, title="wangge roster", blueprints=BLUEPRINTS,
        description="Roster (名册): grids (网格), deputies (人大代表) and party delegates (党代表), liaison stations "
                    "(代表联络站), assignment plans (派驻方案) and their coverage, public notices (公示), reception "
                    "schedules (接待日), contact households (双联系), the duty record (履职登记), CSV/XLSX import and "
                    "export. "
                    "Every change is published on roster.v1.",
    )
