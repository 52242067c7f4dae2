"""What routing's schemas share: the states, categories and ratings, the reason field, departments."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


CASE_STATES = ("registered", "triaged", "assigned", "signed", "in_progress", "answered", "resolved", "evaluated",
               "closed", "returned", "reopened", "escalated", "withdrawn")
ORDER_STATES = ("dispatched", "signed", "in_progress", "answered", "returned", "cancelled")
CATEGORIES = ("request", "enquiry", "complaint", "suggestion")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
Reason = fields.String(required=True, validate=validate.Length(1, 500),
                       metadata={"description": "why: kept with the event and in the case history"})


def reason(default: str):
    return fields.String(load_default=default, validate=validate.Length(1, 500),
                         metadata={"description": "why: kept with the event and in the case history"})


class Department(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 40), metadata={"example": "town-construction"})
    name = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "镇村镇建设办"})


class DepartmentRole(Department):
    role = fields.String(validate=validate.OneOf(("lead", "member")),
                         metadata={"description": "joint mediation only: one lead, the others members"})


PRIORITY_FILTER = dict(validate=validate.OneOf(("normal", "high", "urgent")),
                       metadata={"description": "high: special groups (低保, 残疾, 孤寡老人, 留守儿童); urgent; normal"})
