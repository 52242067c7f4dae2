"""The duty record (履职登记), version 1: what a deputy did beyond the cases, with yearly targets."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from wangge_common.auth import actor, grid_scope, require_grid, requires
from wangge_common.http import runtime

from . import duties, duties_rules
from .handlers import get_deputy

blp = Blueprint("duty-record", __name__, url_prefix="/v1",
                description="Duty record (履职登记): suggestions (建议) and their replies, inspections (视察) and "
                            "surveys (调研), themed activities, forums (座谈会), disputes mediated, households helped")


class DutyIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(duties_rules.KINDS),
                         metadata={"description": "; ".join(f"{k} {v}" for k, v in duties_rules.KIND_NAMES_ZH.items())})
    occurred_on = fields.Date(required=True)
    title = fields.String(required=True, validate=[validate.Length(1, 200),
                                                   validate.Regexp(r"\S", error="must not be blank (only spaces)")])
    summary = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 4000))
    grid_id = fields.UUID(load_default=None, allow_none=True)
    addressed_to = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                                 metadata={"description": "a suggestion's department or office (required for one)"})


class ReplyIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(tuple(duties_rules.REPLY_OUTCOMES)),
                            metadata={"description": "; ".join(f"{k} {v}" for k, v in
                                                                duties_rules.REPLY_OUTCOMES.items())})
    text = fields.String(required=True, validate=[validate.Length(1, 4000),
                                                  validate.Regexp(r"\S", error="must not be blank (only spaces)")])
    replied_on = fields.Date(required=True)


class WithdrawIn(Schema):
    reason = fields.String(required=True, validate=[validate.Length(1, 500),
                                                    validate.Regexp(r"\S", error="must not be blank (only spaces)")])


class YearQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))
    kind = fields.String(load_default=None, validate=validate.OneOf(duties_rules.KINDS))


class ReplyOut(Schema):
    outcome = fields.String()
    outcome_zh = fields.String()
    text = fields.String()
    replied_on = fields.Date()


class DutyOut(Schema):
    id = fields.String()
    deputy_id = fields.String()
    kind = fields.String()
    kind_zh = fields.String()
    occurred_on = fields.Date()
    title = fields.String()
    summary = fields.String(allow_none=True)
    grid_id = fields.String(allow_none=True)
    addressed_to = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    reply = fields.Nested(ReplyOut, allow_none=True)
    withdrawn = fields.Boolean()
    withdrawn_reason = fields.String(allow_none=True)
    withdrawn_by = fields.String(allow_none=True)


class TargetOut(Schema):
    key = fields.String()
    requirement_zh = fields.String()
    met = fields.Boolean(allow_none=True, metadata={"description": "null: the period has not ended"})
    done = fields.String(metadata={"description": "count in the year, or per quarter / half-year"})


class DutyYearOut(Schema):
    deputy_id = fields.String()
    name = fields.String()
    year = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "records of each kind, withdrawn ones not counted"})
    targets = fields.List(fields.Nested(TargetOut))
    items = fields.List(fields.Nested(DutyOut))


def _deputy_in_scope(session, deputy_id: str) -> None:
    """A person limited to grids (a deputy, township staff) reads and records the duties of deputies of their grids
    only (403 otherwise)."""
    grids = grid_scope()
    if grids is None:
        return
    if not (duties.deputy_grids(session, get_deputy(session, deputy_id)) & set(grids)):
        require_grid(None, "deputy")


@blp.route("/deputies/<uuid:deputy_id>/duties")
class DeputyDuties(MethodView):
    @requires("roster:read")
    @blp.arguments(YearQuery, location="query")
    @blp.response(200, DutyYearOut)
    def get(self, query, deputy_id):
        """A deputy's duty record of one year (this year by default) and the seeds' targets it meets."""
        with runtime().db.reads() as session:
            _deputy_in_scope(session, str(deputy_id))
            return duties.year_of(session, str(deputy_id), query.get("year"), query.get("kind"))

    @requires("roster:admin", "duty:record")
    @blp.arguments(DutyIn, example={"kind": "inspection", "occurred_on": "2026-09-18", "title": "视察农村饮水安全工程",
                                    "summary": "随县人大常委会视察三个村的集中供水站"})
    @blp.response(201, DutyOut)
    def post(self, data, deputy_id):
        """Record a duty; emits duty.recorded."""
        with runtime().unit_of_work(actor=actor()) as uow:
            _deputy_in_scope(uow.session, str(deputy_id))
            return duties.out(duties.record(uow, str(deputy_id), data))


@blp.route("/duties/<uuid:record_id>/reply")
class DutyReply(MethodView):
    @requires("roster:admin")
    @blp.arguments(ReplyIn, example={"outcome": "adopted", "text": "已列入明年村道硬化计划", "replied_on": "2026-10-20"})
    @blp.response(200, DutyOut)
    def post(self, data, record_id):
        """Record the department's reply to a suggestion; emits duty.replied."""
        with runtime().unit_of_work(actor=actor()) as uow:
            _deputy_in_scope(uow.session, duties.get(uow.session, str(record_id)).deputy_id)
            return duties.out(duties.reply(uow, str(record_id), data))


@blp.route("/duties/<uuid:record_id>/withdraw")
class DutyWithdraw(MethodView):
    @requires("roster:admin", "duty:record")
    @blp.arguments(WithdrawIn, example={"reason": "重复登记"})
    @blp.response(200, DutyOut)
    def post(self, data, record_id):
        """Withdraw a record entered by mistake (it stays, marked, with who and why); emits duty.withdrawn."""
        with runtime().unit_of_work(actor=actor()) as uow:
            _deputy_in_scope(uow.session, duties.get(uow.session, str(record_id)).deputy_id)
            return duties.out(duties.withdraw(uow, str(record_id), data["reason"]))
