"""Intake app factory."""
from wangge_common import clock, ratelimit
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api.attachments import attachments
from .api.cases import cases
from .api.households import households, receptions, visits
from .api.internal import internal
from .api.links import links
from .api.open311 import open311, register_docs
from .api.personal import personal
from .api.tracking import tracking
from .pages import limited_page, pages
from .service import SPEC
from .settings import OPEN311_POSTS_PER_MINUTE, TRACK_LOOKUPS_PER_MINUTE  # noqa: F401 - the defaults, named here


def create_app(settings: Settings | None = None):
    settings = settings or Settings.from_env(SPEC.name)
    app = create_service_app(
        SPEC, settings, title="wangge intake",
        blueprints=(cases, links, households, visits, receptions, tracking, internal, open311, personal, attachments),
        extra_blueprints=(pages,),
        description="Intake (受理): cases from the hotline, stations, online, visits, meetings and 综治中心 "
                    "systems. Accepted cases are never lost: they are written with their event in one "
                    "transaction and published by the outbox relay. Every POST honours `Idempotency-Key`.",
    )
    register_docs(app.extensions["flask-smorest"]["blp_name_to_api"]["open311"].spec)
    # the resident's look-ups (API and page share one budget per client address), and Open311 submissions
    state = app.extensions["wangge_runtime"].state
    state.cipher  # noqa: B018 - built now: the web app refuses to start without WANGGE_PII_KEY
    per_minute = state.settings.track_per_minute
    ratelimit.install(app, settings, {
        "tracking.Track": ratelimit.Rule("track", f"{per_minute}/minute", exempt_when=ratelimit.keyed_caller),
        "pages.track_page": ratelimit.Rule("track", f"{per_minute}/minute", page=limited_page),
        "open311.Requests": ratelimit.Rule("open311", OPEN311_POSTS_PER_MINUTE, methods=("POST",)),
    })
    app.jinja_env.globals["tz"] = clock.CHINA  # residents read China time
    return app
