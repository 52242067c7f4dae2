"""The duty record (履职登记), version 1: what a deputy did beyond the cases, with yearly targets."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from wangge_common.auth import actor, grid_scope, requires
from wangge_common.http import runtime
from wangge_common.paging import page_of, paged, paginate

from ..commands import duties as commands
from ..queries import duties
from ..queries.grids import subtree_ids
from ..schemas.duties import (DutyIn, DutyListedOut, DutyListQuery, DutyOut, DutyYearOut, ReplyIn, WithdrawIn,
                              YearQuery)
from .scope import deputy_of_grids

blp = Blueprint("duty-record", __name__, url_prefix="/v1",
                description="Duty record (履职登记): suggestions (建议) and their replies, inspections (视察) and "
                            "surveys (调研), themed activities, forums (座谈会), disputes mediated, households helped")


@blp.route("/deputies/<uuid:deputy_id>/duties")
class DeputyDuties(MethodView):
    @requires("roster:read")
    @blp.arguments(YearQuery, location="query")
    @blp.response(200, DutyYearOut)
    def get(self, query, deputy_id):
        """A deputy's duty record of one year (this year by default) and the seeds' targets it meets."""
        with runtime().db.reads() as session:
            deputy_of_grids(session, str(deputy_id))
            return duties.year_of(session, str(deputy_id), query.get("year"), query.get("kind"))

    @requires("roster:admin", "duty:record")
    @blp.arguments(DutyIn, example={"kind": "inspection", "occurred_on": "2026-09-18", "title": "视察农村饮水安全工程",
                                    "summary": "随县人大常委会视察三个村的集中供水站"})
    @blp.response(201, DutyOut)
    def post(self, data, deputy_id):
        """Record a duty; emits duty.recorded."""
        with runtime().unit_of_work(actor=actor()) as uow:
            deputy_of_grids(uow.session, str(deputy_id))
            return duties.out(commands.record(uow, str(deputy_id), data))


@blp.route("/duties")
class Duties(MethodView):
    @requires("roster:read")
    @blp.arguments(DutyListQuery, location="query")
    @blp.response(200, page_of(DutyListedOut))
    def get(self, query):
        """Duty records that stand, newest first: e.g. the suggestions of a township's deputies waiting for the
        department's reply (kind=suggestion, replied=false, township_id=); a person limited to grids sees the
        deputies of those grids only."""
        with runtime().db.reads() as session:
            grids = subtree_ids(session, query["township_id"]) if query.get("township_id") else None
            if grid_scope() is not None:
                grids = set(grid_scope()) if grids is None else grids & set(grid_scope())
            select_ = duties.records_query(kind=query.get("kind"), replied=query.get("replied"), grid_ids=grids)
            return paginate(session, select_, **paged(query), each=lambda row: duties.listed(session, row))


@blp.route("/duties/<uuid:record_id>/reply")
class DutyReply(MethodView):
    @requires("roster:admin")
    @blp.arguments(ReplyIn, example={"outcome": "adopted", "text": "已列入明年村道硬化计划", "replied_on": "2026-10-20"})
    @blp.response(200, DutyOut)
    def post(self, data, record_id):
        """Record the department's reply to a suggestion; emits duty.replied."""
        with runtime().unit_of_work(actor=actor()) as uow:
            deputy_of_grids(uow.session, duties.get(uow.session, str(record_id)).deputy_id)
            return duties.out(commands.reply(uow, str(record_id), data))


@blp.route("/duties/<uuid:record_id>/withdraw")
class DutyWithdraw(MethodView):
    @requires("roster:admin", "duty:record")
    @blp.arguments(WithdrawIn, example={"reason": "重复登记"})
    @blp.response(200, DutyOut)
    def post(self, data, record_id):
        """Withdraw a record entered by mistake (it stays, marked, with who and why); emits duty.withdrawn."""
        with runtime().unit_of_work(actor=actor()) as uow:
            deputy_of_grids(uow.session, duties.get(uow.session, str(record_id)).deputy_id)
            return duties.out(commands.withdraw(uow, str(record_id), data["reason"]))
