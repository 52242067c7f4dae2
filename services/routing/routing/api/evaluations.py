"""Residents' evaluation (群众评议) through the one-time link: public, the token is the credential."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import public
from wangge_common.db import utcnow
from wangge_common.http import runtime

from .. import queries
from ..commands import evaluation
from ..queries import get_case
from ..schemas.evaluations import EvaluationIn, EvaluationOut
from .common import link_secret

evaluations = Blueprint("evaluations", __name__, url_prefix="/v1/evaluations",
                        description="Residents' evaluation (群众评议) through the one-time link; public, the token "
                                    "is the credential")


@evaluations.route("/<string:token>")
class EvaluationByToken(MethodView):
    @public
    @evaluations.response(200, EvaluationOut)
    @evaluations.alt_response(404, description="the link is not valid")
    def get(self, token):
        """What the link is about (no personal data) and whether a rating can still be given."""
        return _evaluation(token)

    @public
    @evaluations.arguments(EvaluationIn, example=EvaluationIn.Meta.example)
    @evaluations.response(200, EvaluationOut)
    @evaluations.alt_response(404, description="the link is not valid")
    @evaluations.alt_response(409, description="the link was already used")
    @evaluations.alt_response(410, description="the link has expired")
    @evaluations.alt_response(429, description="too many ratings from this client address (keyed callers are exempt)")
    def post(self, data, token):
        """Rate the answer once: satisfied, basically_satisfied or unsatisfied (unsatisfied reopens the case)."""
        with runtime().unit_of_work(actor="resident:evaluation-link") as uow:
            evaluation.rate_by_link(uow, token, data, link_secret())
        return _evaluation(token)


def _evaluation(token: str) -> dict:
    with runtime().db.sessions() as session:
        found = queries.evaluation_by_token(session, token, link_secret())
        case = get_case(session, found.case_id)
    waiting = case.state == "resolved" and case.evaluation_round == found.round
    status = ("used" if found.used_at else "expired" if utcnow() >= found.expires_at
              else "open" if waiting else "closed")
    return {"tracking_code": case.tracking_code, "category": case.category, "topic": case.topic,
            "answered_by": case.answered_by, "answer_summary": case.answer_summary, "round": found.round,
            "expires_at": found.expires_at, "open": status == "open", "status": status,
            "rating": found.rating}
