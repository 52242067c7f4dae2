"""Request and response shapes of the intake API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from . import domain

MOBILE_OR_LANDLINE = validate.Regexp(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
                                     error="must be a mobile number (13812345678) or a landline (0731-55681234)")
ID_NUMBER = validate.Regexp(r"^\d{17}[\dX]$", error="must be an 18-character resident ID number")


class Reporter(Schema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 50))
    phone = fields.String(required=True, validate=MOBILE_OR_LANDLINE, metadata={"example": "13812345678"})
    id_number = fields.String(load_default=None, allow_none=True, validate=ID_NUMBER)


class ReceivedBy(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(domain.RECEIVER_KINDS))
    id = fields.String(required=True, validate=validate.Length(1, 64),
                       metadata={"description": "deputy id, call-taker id or system name"})


class ExternalRef(Schema):
    system = fields.String(required=True, validate=validate.Length(1, 40), metadata={"example": "zongzhi-shaoshan"})
    id = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "ZZ-2026-000123"})


class CaseIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(domain.CHANNELS))
    grid_id = fields.UUID(required=True)
    category = fields.String(required=True, validate=validate.OneOf(domain.CATEGORIES),
                             metadata={"description": "request 求决, enquiry 咨询, complaint 投诉, suggestion 建议"})
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 60))
    content = fields.String(required=True, validate=validate.Length(5, 5000),
                            metadata={"example": "村口路灯坏了三天，晚上出行不便。"})
    urgency = fields.String(load_default="normal", validate=validate.OneOf(domain.URGENCIES))
    special_groups = fields.List(fields.String(validate=validate.OneOf(domain.SPECIAL_GROUPS)), load_default=list)
    reporter = fields.Nested(Reporter, load_default=None, allow_none=True,
                             metadata={"description": "null for an anonymous report"})
    received_by = fields.Nested(ReceivedBy, required=True)
    received_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                       metadata={"description": "when the matter was taken in; default now"})
    external_ref = fields.Nested(ExternalRef, load_default=None, allow_none=True)

    @validates_schema
    def _groups_unique(self, data, **_):
        groups = data.get("special_groups") or []
        if len(set(groups)) != len(groups):
            raise ValidationError("lists a group twice", field_name="special_groups")


class CaseOut(Schema):
    id = fields.String()
    tracking_code = fields.String()
    status = fields.String()
    channel = fields.String()
    grid_id = fields.String()
    category = fields.String()
    topic = fields.String(allow_none=True)
    content = fields.String()
    urgency = fields.String()
    special_groups = fields.List(fields.String())
    anonymous = fields.Method("_anonymous")
    reporter_phone_masked = fields.String(allow_none=True)
    received_by = fields.Method("_received_by")
    received_at = fields.DateTime()
    external_ref = fields.Method("_external_ref")

    def _anonymous(self, case) -> bool:
        return case.reporter_ref is None

    def _received_by(self, case) -> dict:
        return {"kind": case.received_by_kind, "id": case.received_by_id}

    def _external_ref(self, case):
        return {"system": case.external_system, "id": case.external_id} if case.external_system else None
