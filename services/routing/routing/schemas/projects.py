"""Request and response shapes of micro livelihood projects (民生微实事)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from wangge_common.paging import PageArgs

from ..domain import projects as rules

NOT_BLANK = validate.Regexp(r"\S", error="must not be blank (only spaces)")


class ProjectIn(Schema):
    grid_id = fields.UUID(required=True)
    deputy_id = fields.UUID(required=True, metadata={"description": "the proposing deputy, who serves the grid"})
    title = fields.String(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    description = fields.String(required=True, validate=[validate.Length(1, 4000), NOT_BLANK],
                                metadata={"description": "public text: what will be done, for whom (no names)"})
    budget_yuan = fields.Integer(required=True, validate=validate.Range(1, rules.MAX_BUDGET_YUAN))
    case_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(1, rules.MAX_CASES),
                           metadata={"description": "the cases the project answers (in the grid or under it)"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 2000))


class DecisionIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "refused")))
    reason = fields.String(required=True, validate=[validate.Length(1, 1000), NOT_BLANK])


class FundingIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("funded", "refused")))
    amount_yuan = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, rules.MAX_BUDGET_YUAN))
    reason = fields.String(required=True, validate=[validate.Length(1, 1000), NOT_BLANK])


class ProgressIn(Schema):
    percent = fields.Integer(required=True, validate=validate.Range(0, 99))
    note = fields.String(required=True, validate=[validate.Length(1, 2000), NOT_BLANK])


class CompleteIn(Schema):
    result = fields.String(required=True, validate=[validate.Length(1, 4000), NOT_BLANK],
                           metadata={"description": "what was done, publicised on the grid's board"})


class RatingIn(Schema):
    rating = fields.String(required=True, validate=validate.OneOf(("satisfied", "basically_satisfied",
                                                                    "unsatisfied")))


class ProjectQuery(PageArgs):
    state = fields.String(validate=validate.OneOf(rules.STATES))
    grid_id = fields.UUID()
    township_id = fields.UUID()
    deputy_id = fields.UUID()


class StepOut(Schema):
    action = fields.String()
    note = fields.String(allow_none=True)
    percent = fields.Integer(allow_none=True)
    at = fields.DateTime()
    actor = fields.String()


class RatingsOut(Schema):
    satisfied = fields.Integer()
    basically_satisfied = fields.Integer()
    unsatisfied = fields.Integer()
    given = fields.Integer()
    satisfaction = fields.Float(allow_none=True)


class ProjectOut(Schema):
    project_id = fields.String()
    code = fields.String()
    grid_id = fields.String()
    grid_name = fields.String(allow_none=True)
    township_id = fields.String(allow_none=True)
    deputy_id = fields.String()
    deputy_name = fields.String(allow_none=True)
    title = fields.String()
    description = fields.String()
    budget_yuan = fields.Integer()
    funded_yuan = fields.Integer(allow_none=True)
    state = fields.String()
    percent = fields.Integer()
    result = fields.String(allow_none=True)
    proposed_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    ratings = fields.Nested(RatingsOut)
    steps = fields.List(fields.Nested(StepOut))
    case_ids = fields.List(fields.String())


class RatingLinkOut(Schema):
    project = fields.Nested(ProjectOut)
    status = fields.String(metadata={"description": "open, used or expired"})
    rating = fields.String(allow_none=True)
