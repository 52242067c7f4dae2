"""Request and response shapes of the duty record (履职登记)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from wangge_common.paging import PageArgs

from .. import domain


class DutyIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(domain.DUTY_KINDS),
                         metadata={"description": "; ".join(f"{k} {v}" for k, v in domain.DUTY_KIND_NAMES_ZH.items())})
    occurred_on = fields.Date(required=True)
    title = fields.String(required=True, validate=[validate.Length(1, 200),
                                                   validate.Regexp(r"\S", error="must not be blank (only spaces)")])
    summary = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 4000))
    grid_id = fields.UUID(load_default=None, allow_none=True)
    addressed_to = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                                 metadata={"description": "a suggestion's department or office (required for one)"})


class ReplyIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(tuple(domain.DUTY_REPLY_OUTCOMES)),
                            metadata={"description": "; ".join(f"{k} {v}" for k, v in
                                                                domain.DUTY_REPLY_OUTCOMES.items())})
    text = fields.String(required=True, validate=[validate.Length(1, 4000),
                                                  validate.Regexp(r"\S", error="must not be blank (only spaces)")])
    replied_on = fields.Date(required=True)


class WithdrawIn(Schema):
    reason = fields.String(required=True, validate=[validate.Length(1, 500),
                                                    validate.Regexp(r"\S", error="must not be blank (only spaces)")])


class YearQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))
    kind = fields.String(load_default=None, validate=validate.OneOf(domain.DUTY_KINDS))


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


class DutyListQuery(PageArgs):
    kind = fields.String(validate=validate.OneOf(domain.DUTY_KINDS))
    replied = fields.Boolean(metadata={"description": "suggestions answered (true) or waiting for a reply (false)"})
    township_id = fields.UUID(metadata={"description": "deputies who live, work or serve in this township's grids"})


class DutyListedOut(DutyOut):
    deputy_name = fields.String(allow_none=True)
