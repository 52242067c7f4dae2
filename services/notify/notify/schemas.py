"""Response shapes of the notify API."""
from marshmallow import Schema, fields, validate


class NotificationOut(Schema):
    id = fields.String()
    case_id = fields.String(allow_none=True)
    recipient_ref = fields.String()
    audience = fields.String()
    channel = fields.String()
    template = fields.String()
    body = fields.String()
    state = fields.String()
    created_at = fields.DateTime()


class NotificationQuery(Schema):
    recipient = fields.String(validate=validate.Length(1, 64))
    case_id = fields.UUID()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
