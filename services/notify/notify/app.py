"""Notify app factory."""
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import BLUEPRINTS
from .pages import pages
from .service import SPEC


def create_app(settings: Settings | None = None):
    return create_service_app(
        SPEC, settings, title="wangge notify", blueprints=BLUEPRINTS, extra_blueprints=(pages,),
        description="Notify (通知): messages to residents, deputies and departments, in Chinese, once each; "
                    "the public board (公示栏) and the rating page (评价).",
    )
