"""Request and response shapes of the routing API."""
from marshmallow import Schema, fields, validate

from wangge_common.schemas import PageArgs


class WorkOrderOut(Schema):
    id = fields.String()
    case_id = fields.String()
    department_code = fields.String()
    department_name = fields.String()
    state = fields.String()
    rule_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class WorkOrderQuery(PageArgs):
    case_id = fields.UUID()
    department = fields.String(validate=validate.Length(1, 40))
    state = fields.String(validate=validate.OneOf(("dispatched", "signed", "in_progress", "answered", "returned")))
