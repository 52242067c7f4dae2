"""Reception schedules (接待日) and their days, version 1."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, requires
from wangge_common.http import runtime
from wangge_common.paging import page_of

from ..commands import receptions as commands
from ..domain import describe
from ..queries import receptions as queries
from ..schemas.receptions import (GenerateIn, ReceptionDayOut, ReceptionDayPatch, ReceptionDayQuery, ReceptionRuleIn,
                      ReceptionRuleOut, ReceptionRulePatch, ScheduleQuery)
from .scope import place_in_scope


blp = Blueprint("receptions", __name__, url_prefix="/v1",
                description="Reception schedules (接待日): monthly fixed days or a weekly rota, published ≥ 3 days ahead")


def _rule_view(rule, published, skipped) -> dict:
    return {**{c: getattr(rule, c) for c in ("id", "grid_id", "station_id", "place", "pattern", "month_days", "weekday",
                                             "start_time", "end_time", "rota", "two_representatives")},
            "description": describe(rule), "published": published, "skipped": skipped}


@blp.route("/reception-schedules")
class Schedules(MethodView):
    @requires("roster:read")
    @blp.arguments(ScheduleQuery, location="query")
    @blp.response(200, page_of(ReceptionRuleOut))
    def get(self, query):
        """Reception schedules, by grid, station or everything held under a grid (without their days)."""
        with runtime().db.reads() as session:
            return queries.list_rules(session, **query, each=lambda rule: _rule_view(rule, [], []))

    @requires("roster:admin")
    @blp.arguments(ReceptionRuleIn, example={"grid_id": "9a000000-0000-4000-8000-000000000003", "pattern": "monthly",
                                             "month_days": [10, 25], "start_time": "09:00", "end_time": "11:00",
                                             "rota": [["d0000000-0000-4000-8000-000000000007"]], "weeks": 8})
    @blp.response(201, ReceptionRuleOut)
    @blp.alt_response(409, description="the same schedule (place, days, hours) is already set up: "
                                       "`existing_schedule_id` names it")
    def post(self, data):
        """Set up a schedule at a grid or station and publish its days for the next N weeks (reception.scheduled
        for each); each reception lasts ≥ 2 hours with an NPC deputy (and, for 两代表, a party delegate) on duty."""
        with runtime().unit_of_work(actor=actor()) as uow:
            place_in_scope(uow.session, data.get("grid_id") and str(data["grid_id"]),
                           data.get("station_id") and str(data["station_id"]), "reception schedule")
            rule, created, skipped = commands.create_rule(uow, data)
            return _rule_view(rule, created, skipped)


@blp.route("/reception-schedules/<uuid:rule_id>")
class ScheduleById(MethodView):
    @requires("roster:read")
    @blp.response(200, ReceptionRuleOut)
    def get(self, rule_id):
        """A schedule with every day published from it."""
        with runtime().db.reads() as session:
            rule = queries.get_rule(session, str(rule_id))
            return _rule_view(rule, queries.list_days(session, rule_id=rule.id, page_size=1000)["items"], [])

    @requires("roster:admin")
    @blp.arguments(ReceptionRulePatch, example={"rota": [["d0000000-0000-4000-8000-000000000007",
                                                          "d0000000-0000-4000-8000-000000000008"]]})
    @blp.response(200, ReceptionRuleOut)
    def patch(self, changes, rule_id):
        """Change the rota, hours or place used for the days generated from now on (a deputy's term ended, say);
        days already published stay as they are: change them one by one."""
        with runtime().unit_of_work(actor=actor()) as uow:
            rule = queries.get_rule(uow.session, str(rule_id))
            place_in_scope(uow.session, rule.grid_id, rule.station_id, "reception schedule")
            return _rule_view(commands.change_rule(uow, str(rule_id), changes), [], [])


@blp.route("/reception-schedules/<uuid:rule_id>/generate")
class ScheduleGeneration(MethodView):
    @requires("roster:admin")
    @blp.arguments(GenerateIn, example={"weeks": 8})
    @blp.response(200, ReceptionRuleOut)
    def post(self, data, rule_id):
        """Publish the next N weeks of a schedule; days already published are left alone."""
        with runtime().unit_of_work(actor=actor()) as uow:
            rule = queries.get_rule(uow.session, str(rule_id))
            place_in_scope(uow.session, rule.grid_id, rule.station_id, "reception schedule")
            created, skipped = commands.generate(uow, rule, data["weeks"])
            return _rule_view(rule, created, skipped)


@blp.route("/reception-days")
class Days(MethodView):
    @requires("roster:read")
    @blp.arguments(ReceptionDayQuery, location="query")
    @blp.response(200, page_of(ReceptionDayOut))
    def get(self, query):
        """Published reception days, by grid, station, everything held under a grid, deputy on duty and date
        range."""
        with runtime().db.reads() as session:
            return queries.list_days(session, **query)


@blp.route("/reception-days/<uuid:reception_id>")
class DayById(MethodView):
    @requires("roster:read")
    @blp.response(200, ReceptionDayOut)
    def get(self, reception_id):
        """One reception day."""
        with runtime().db.reads() as session:
            return queries.get_day(session, str(reception_id))

    @requires("roster:admin")
    @blp.arguments(ReceptionDayPatch, example={"start_time": "14:30", "end_time": "16:30",
                                               "reason": "上午召开村民代表大会，接待改到下午"})
    @blp.response(200, ReceptionDayOut)
    def patch(self, changes, reception_id):
        """Change or cancel a day (with a reason); refused with 409 when the day is less than 3 days away
        (emits reception.changed)."""
        with runtime().unit_of_work(actor=actor()) as uow:
            day = queries.get_day(uow.session, str(reception_id))
            place_in_scope(uow.session, day.grid_id, day.station_id, "reception day")
            return commands.change_day(uow, str(reception_id), changes)
