"""Notify app factory."""
from wangge_common import ratelimit
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import BLUEPRINTS
from .pages import limited_page, pages
from .service import SPEC


RATINGS_PER_MINUTE = "10/minute"  # rating form submissions per client address (WANGGE_RATELIMIT_RATING)


def create_app(settings: Settings | None = None):
    settings = settings or Settings.from_env(SPEC.name)
    app = create_service_app(
        SPEC, settings, title="wangge notify", blueprints=BLUEPRINTS, extra_blueprints=(pages,),
        description="Notify (通知): messages to residents, deputies and departments, in Chinese, once each; "
                    "the public board (公示栏) and the rating page (评价).",
    )
    ratelimit.install(app, settings, {"pages.submit_rating": ratelimit.Rule("rating", RATINGS_PER_MINUTE,
                                                                             page=limited_page)})
    return app
