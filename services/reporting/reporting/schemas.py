"""Request and response shapes of the reporting API."""
import json

from marshmallow import Schema, fields, validate


class AuditEntryOut(Schema):
    seq = fields.Integer()
    event_id = fields.String()
    topic = fields.String()
    partition = fields.Integer()
    offset = fields.Integer()
    event_type = fields.String()
    source = fields.String()
    subject = fields.String()
    event_time = fields.String()
    prev_hash = fields.String()
    hash = fields.String()
    event = fields.Method("_event")

    def _event(self, entry) -> dict:
        return json.loads(entry.payload)


class AuditQuery(Schema):
    subject = fields.String(validate=validate.Length(1, 200))
    type = fields.String(data_key="type", validate=validate.Length(1, 100))
    after_seq = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class VerifyOut(Schema):
    valid = fields.Boolean()
    entries = fields.Integer()
    first_bad = fields.Dict(allow_none=True)


class KpiOut(Schema):
    cases_total = fields.Integer()
    cases_by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
