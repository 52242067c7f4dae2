"""Routing app factory."""
from wangge_common import ratelimit
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import BLUEPRINTS
from .pages import pages
from .service import SPEC


RATINGS_PER_MINUTE = "10/minute"  # a resident's rating POSTs per client address (WANGGE_RATELIMIT_EVALUATION)


def create_app(settings: Settings | None = None):
    settings = settings or Settings.from_env(SPEC.name)
    app = create_service_app(
        SPEC, settings, title="wangge routing", blueprints=BLUEPRINTS, extra_blueprints=(pages,),
        description="Routing (交办): the case state machine, triage against the dispatch catalogue (派单目录), work "
                    "orders (工单), deadlines, the escalation ladder, first-receiver replies, residents' ratings and micro "
                    "livelihood projects (民生微实事).",
    )
    # notify's rating page forwards residents' ratings with the service key: keyed callers are not counted here
    # (notify limits its page per resident), else every resident would share notify's address and budget
    rating = ratelimit.Rule("evaluation", RATINGS_PER_MINUTE, methods=("POST",), exempt_when=ratelimit.keyed_caller)
    ratelimit.install(app, settings, {"evaluations.EvaluationByToken": rating,
                                      "project-ratings.ProjectRatingByToken": rating})
    return app
