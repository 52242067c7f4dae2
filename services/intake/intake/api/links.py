"""Intake HTTP API: related cases (相关件) linked by hand, confirmed or undone."""
from __future__ import annotations


from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import requires

from .. import commands, domain
from .common import (IDEMPOTENCY_DOC, case_in_scope, idempotent)
from ..schemas import (LinkDecisionIn, LinkIn,
                      LinkOut)


links = Blueprint("case-links", __name__, url_prefix="/v1/case-links",
                  description="Related cases (相关件): possible duplicates linked, never merged; staff confirm or undo")


@links.route("")
class Links(MethodView):
    @requires("cases:write")
    @links.arguments(LinkIn)
    @links.response(201, LinkOut)
    @links.alt_response(409, description="the two cases are already linked: `existing_link_id` names the link")
    @links.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data):
        """Link two cases by hand as the same matter (相关件); emits case.related_linked (basis manual) and
        case.related_confirmed. Both cases live on; undo with /v1/case-links/{id}/undo."""
        case_id, related = str(data["case_id"]), str(data["related_case_id"])
        for one in {case_id, related}:
            case_in_scope(one)
        reason = domain.redact(data["reason"])  # free text: no phone, ID number or e-mail goes into the event
        return idempotent(lambda uow: (201, LinkOut().dump(commands.link_by_hand(uow, case_id, related, reason))))


def _decide(decision: str):
    @requires("cases:write")
    @links.arguments(LinkDecisionIn)
    @links.response(200, LinkOut)
    @links.alt_response(409, description="the link was already decided")
    @links.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data, link_id):
        reason = domain.redact(data["reason"])  # free text: no phone, ID number or e-mail goes into the event
        return idempotent(lambda uow: (200, LinkOut().dump(commands.decide_link(uow, str(link_id), decision,
                                                                                  reason))))
    return post


@links.route("/<uuid:link_id>/confirm")
class ConfirmLink(MethodView):
    post = _decide("confirm")
    post.__doc__ = "Confirm the two cases are the same matter (handled together, both kept); emits case.related_confirmed."


@links.route("/<uuid:link_id>/undo")
class UndoLink(MethodView):
    post = _decide("undo")
    post.__doc__ = "Undo a link: the cases are different matters; emits case.related_undone."
