"""Assignment plans (派驻方案), the coverage report and the assignments."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wangge_common.paging import PageArgs


class RulesIn(Schema):
    """Hard-rule parameters of the planner (defaults from the seeds: 1–3 deputies a grid, a township deputy)."""

    min_per_grid = fields.Integer(load_default=1, validate=validate.Range(1, 10))
    max_per_grid = fields.Integer(load_default=3, validate=validate.Range(1, 10))
    max_load = fields.Integer(load_default=1, validate=validate.Range(1, 10),
                              metadata={"description": "the most grids one deputy may serve"})
    township_deputy_required = fields.Boolean(load_default=True)
    pair_party_delegates = fields.Boolean(load_default=False,
                                          metadata={"description": "两代表: also place party delegates, one a grid"})

    @validates_schema
    def _min_not_above_max(self, data, **_):
        if data["min_per_grid"] > data["max_per_grid"]:
            raise ValidationError("must not exceed max_per_grid", field_name="min_per_grid")


class PlanIn(Schema):
    scope_grid_id = fields.UUID(load_default=None, allow_none=True,
                                metadata={"description": "a township (or any grid's subtree); null: the county"})
    rules = fields.Nested(RulesIn, load_default=lambda: RulesIn().load({}))


class PlanDeputyOut(Schema):
    deputy_id = fields.String()
    name = fields.String()
    level = fields.String()
    kind = fields.String()
    basis = fields.String(metadata={"description": "home_or_work, constituency, nearby, township, county, "
                                                   "party_delegate or manual"})


class PlanGridOut(Schema):
    grid_id = fields.String()
    code = fields.String()
    name = fields.String()
    deputies = fields.List(fields.Nested(PlanDeputyOut))


class ViolationOut(Schema):
    rule = fields.String(metadata={"example": "no_township_deputy"})
    reason = fields.String()
    grid_id = fields.String()
    grid_code = fields.String()
    deputy_id = fields.String()
    advice = fields.String(metadata={"description": "what would make the plan feasible",
                                     "example": "max load 2 covers all"})


class PreShaped(fields.List):
    """A long list already built in its output shape (a county plan's 8,000 grids, by plans.plan_view): documented
    as its nested schema, passed through as it is instead of being dumped item by item."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class PlanOut(Schema):
    id = fields.String()
    scope_grid_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "draft, submitted (for approval), approved or published"})
    feasible = fields.Boolean(metadata={"description": "false when a hard rule fails; see violations"})
    rules = fields.Dict()
    violations = fields.List(fields.Nested(ViolationOut))
    warnings = PreShaped(fields.Nested(ViolationOut), metadata={
        "description": "shown, not refused: e.g. no_party_delegate, a grid without one when 两代表 are paired"})
    created_by = fields.String(metadata={"description": "who drafted it: person:<account id> or apikey:<name>"})
    submitted_by = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    approved_by = fields.String(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    published_by = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    summary = fields.Dict(metadata={"example": {"grids": 54, "deputies": 98, "by_basis": {"home_or_work": 80}}})
    grids = fields.List(fields.Nested(PlanGridOut))


class PlanGridChangeOut(Schema):
    """What a hand edit of one grid changed (`Prefer: return=minimal`)."""

    class Meta:
        ordered = True

    plan_id = fields.String()
    status = fields.String()
    feasible = fields.Boolean()
    violations_total = fields.Integer()
    warnings_total = fields.Integer()
    grid = fields.Nested(PlanGridOut)
    violations_added = fields.List(fields.Nested(ViolationOut))
    violations_removed = fields.List(fields.Nested(ViolationOut))
    warnings_added = fields.List(fields.Nested(ViolationOut))
    warnings_removed = fields.List(fields.Nested(ViolationOut))


class PlanQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(("draft", "submitted", "approved", "published")))
    scope_grid_id = fields.UUID(metadata={"description": "the plans of one township (or grid subtree)"})


class PlanGridEdit(Schema):
    deputy_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(max=10))


class CoverageQuery(Schema):
    township_id = fields.UUID(metadata={"description": "one township; the whole county when absent"})
    max_load = fields.Integer(load_default=1, validate=validate.Range(1, 10))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class AssignmentOut(Schema):
    id = fields.String()
    grid_id = fields.String()
    grid_code = fields.String()
    grid_name = fields.String()
    deputy_id = fields.String()
    deputy_name = fields.String()
    plan_id = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)


class AssignmentQuery(PageArgs):
    grid_id = fields.UUID()
    deputy_id = fields.UUID()
    current = fields.Boolean(metadata={"description": "true: only live assignments; false: only ended ones"})
