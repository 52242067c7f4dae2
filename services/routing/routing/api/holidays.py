"""The holiday calendar working-day deadlines count with: read, set and unset days, the history, a refresh."""
from __future__ import annotations

from datetime import date

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import requires
from wangge_common.db import utcnow
from wangge_common.errors import Invalid
from wangge_common.http import runtime

from .. import queries
from ..commands import catalogue
from ..commands import holidays as holiday_calendar
from ..schemas.catalogue import HolidayChangeOut, HolidayIn, HolidayOut, HolidayQuery, HolidayRefreshOut, HolidayRemoval
from .common import unit_of_work

holidays = Blueprint("holidays", __name__, url_prefix="/v1/holidays",
                     description="The holiday calendar working-day deadlines count with")


@holidays.route("")
class Holidays(MethodView):
    @requires("cases:read")
    @holidays.arguments(HolidayQuery, location="query")
    @holidays.response(200, HolidayOut(many=True))
    def get(self, query):
        """The calendar's holidays and weekend working days, by year."""
        with runtime().db.sessions() as session:
            return queries.list_holidays(session, query.get("year"))


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid([("day", "must be a date like 2026-10-01")]) from None


@holidays.route("/<string:day>")
class HolidayByDay(MethodView):
    @requires("routing:admin")
    @holidays.arguments(HolidayIn)
    @holidays.response(200, HolidayOut)
    def put(self, data, day):
        """Set a day as a holiday, or a weekend day as a working day (调休)."""
        with unit_of_work() as uow:
            return catalogue.put_holiday(uow, _day(day), data)

    @requires("routing:admin")
    @holidays.arguments(HolidayRemoval, location="query")
    @holidays.response(204)
    def delete(self, query, day):
        """The day counts by its weekday again (a seeded day stays listed as a local `weekday`, so no refresh
        undoes the change)."""
        with unit_of_work() as uow:
            catalogue.delete_holiday(uow, _day(day), query.get("reason"))


@holidays.route("/history")
class HolidayHistory(MethodView):
    @requires("cases:read")
    @holidays.arguments(HolidayQuery, location="query")
    @holidays.response(200, HolidayChangeOut(many=True))
    def get(self, query):
        """Every change of the calendar, oldest first: local changes with their actor and reason, and refreshes."""
        with runtime().db.sessions() as session:
            return queries.holiday_history(session, query.get("year"))


@holidays.route("/refresh")
class HolidayRefresh(MethodView):
    @requires("routing:admin")
    @holidays.response(200, HolidayRefreshOut)
    def post(self):
        """Refresh the seeded days from chinese-calendar now (the scheduler also does, every 6 hours); local days
        are left as they are."""
        now = utcnow()
        with unit_of_work() as uow:
            changed = holiday_calendar.refresh(uow.session, now, actor=uow.actor, uow=uow)
        return {"changed": changed, "years": list(range(now.year - 1, now.year + 3))}
