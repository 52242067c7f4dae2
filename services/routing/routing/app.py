"""Routing app factory."""
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import work_orders
from .service import SPEC


def create_app(settings: Settings | None = None):
    return create_service_app(
        SPEC, settings, title="wangge routing", blueprints=(work_orders,),
        description="Routing (交办): triage against the dispatch catalogue (派单目录) and work orders (工单).",
    )
