"""Cases as routing runs them: lists, one case, triage by hand, the answer on the spot, replies, ratings, closing."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import department_scope, grid_scope, require_grid, requires
from wangge_common.http import runtime
from wangge_common.paging import page_of

from .. import queries
from ..commands import evaluation, replies, triage
from ..queries import load_rules
from ..schemas.cases import (CaseDetailOut, CaseOut, CaseQuery, CloseIn, OnTheSpotIn, ReplyIn, StaffRatingIn,
                             SuggestionOut, TriageIn)
from .common import CONFLICT, case_detail, case_in_scope, link_secret, unit_of_work

cases = Blueprint("routed_cases", __name__, url_prefix="/v1/cases",
                  description="Cases as routing runs them: state, history, triage, reply (首问责任), ratings")


@cases.route("")
class Cases(MethodView):
    @requires("cases:read")
    @cases.arguments(CaseQuery, location="query")
    @cases.response(200, page_of(CaseOut))
    def get(self, query):
        """List cases by state or grid; queue=manual lists the manual triage queue."""
        grids, departments = grid_scope(), department_scope()
        if grids is not None:
            if query.get("grid_id"):
                require_grid(query["grid_id"])
            else:
                query = {**query, "grid_ids": sorted(grids)}
        if departments is not None:
            query = {**query, "departments": sorted(departments)}
        with runtime().db.sessions() as session:
            return queries.list_cases(session, **query)


@cases.route("/<uuid:case_id>")
class CaseById(MethodView):
    @requires("cases:read")
    @cases.response(200, CaseDetailOut)
    def get(self, case_id):
        """One case: current state, its work orders and its full history from routing's transition log. A
        department handler's token sees only its own department's orders and their history (403 without one)."""
        case_in_scope(case_id)
        detail, departments = case_detail(case_id), department_scope()
        return detail if departments is None else queries.for_departments(detail, departments)


@cases.route("/<uuid:case_id>/suggestion")
class Suggestion(MethodView):
    @requires("cases:read")
    @cases.response(200, SuggestionOut)
    def get(self, case_id):
        """What the dispatch catalogue (派单目录) would do with the case now, leaving out the departments that
        returned it: shown first when a person triages by hand. path manual: the catalogue has no line for it."""
        case_in_scope(case_id)
        with runtime().db.sessions() as session:
            return queries.suggestion(session, str(case_id), load_rules(session))


@cases.route("/<uuid:case_id>/triage")
class Triage(MethodView):
    @requires("cases:supervise")
    @cases.arguments(TriageIn, example=TriageIn.Meta.example)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """Triage by hand: town, county (through the township congress), joint mediation, or major issue."""
        case_in_scope(case_id)
        with unit_of_work() as uow:
            triage.triage_manually(uow, str(case_id), data)
        return case_detail(case_id)


@cases.route("/<uuid:case_id>/on-the-spot-answer")
class OnTheSpot(MethodView):
    @requires("cases:write")
    @cases.arguments(OnTheSpotIn)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """The receiving deputy answered on the spot (现场解答); that is also the reply, so a rating is requested."""
        case_in_scope(case_id)
        with unit_of_work() as uow:
            replies.answer_on_the_spot(uow, str(case_id), data, link_secret())
        return case_detail(case_id)


@cases.route("/<uuid:case_id>/replies")
class Replies(MethodView):
    @requires("cases:write")
    @cases.arguments(ReplyIn)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """The first receiver's reply to the reporter (谁接待、谁答复); after the answer it resolves the case."""
        case_in_scope(case_id)
        with unit_of_work() as uow:
            replies.reply(uow, str(case_id), data, link_secret())
        return case_detail(case_id)


@cases.route("/<uuid:case_id>/ratings")
class Ratings(MethodView):
    @requires("cases:evaluate")
    @cases.arguments(StaffRatingIn)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """Record the reporter's rating taken at the station, by a call-taker or on a return visit (回访)."""
        case_in_scope(case_id)
        with unit_of_work() as uow:
            evaluation.rate_by_staff(uow, str(case_id), data)
        return case_detail(case_id)


@cases.route("/<uuid:case_id>/close")
class Close(MethodView):
    @requires("cases:supervise")
    @cases.arguments(CloseIn)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """The supervising body closes an escalated case (outcome unsatisfied or not_rated, never satisfied)."""
        case_in_scope(case_id)
        with unit_of_work() as uow:
            replies.close_escalated(uow, str(case_id), data)
        return case_detail(case_id)
