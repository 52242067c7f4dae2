"""Response shapes of the notify API."""
from marshmallow import Schema, fields, validate

from wangge_common.schemas import PageArgs


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


class NotificationQuery(PageArgs):
    recipient = fields.String(validate=validate.Length(1, 64))
    case_id = fields.UUID()
