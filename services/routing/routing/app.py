"""Routing app factory."""
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import BLUEPRINTS
from .pages import pages
from .service import SPEC


def create_app(settings: Settings | None = None):
    return create_service_app(
        SPEC, settings, title="wangge routing", blueprints=BLUEPRINTS, extra_blueprints=(pages,),
        description="Routing (交办): the case state machine, triage against the dispatch catalogue (派单目录), work "
                    "orders (工单), deadlines, the escalation ladder, first-receiver replies and residents' ratings.",
    )
