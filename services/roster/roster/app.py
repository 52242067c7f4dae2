"""Roster app factory."""
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import deputies, grids
from .service import SPEC


def create_app(settings: Settings | None = None):
    return create_service_app(
        SPEC, settings, title="wangge roster", blueprints=(grids, deputies),
        description="Roster (名册): grids (网格), deputies (人大代表) and party delegates (党代表). "
                    "Every change is published on roster.v1.",
    )
