"""Deputies (人大代表) and party delegates (党代表)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wangge_common.paging import PageArgs

from .. import domain
from .fields import PHONE_DISPLAY_DOC, ExternalId, Name, check_id_number, check_mobile, check_office_phone


class DeputyFields(Schema):
    kind = fields.String(validate=validate.OneOf(domain.DEPUTY_KINDS),
                         metadata={"description": "npc_deputy 人大代表, party_delegate 党代表"})
    name = Name(50)
    external_id = ExternalId()
    id_number = fields.String(allow_none=True, validate=check_id_number, metadata={
        "description": "身份证号 (optional): stored encrypted; finds the same person registered twice"})
    gender = fields.String(validate=validate.OneOf(("female", "male")))
    level = fields.String(validate=validate.OneOf(domain.LEVELS))
    position = fields.String(allow_none=True, validate=validate.Length(1, 100), metadata={"description": "职务"})
    mobile = fields.String(validate=check_mobile)
    office_phone = fields.String(allow_none=True, validate=check_office_phone)
    email = fields.Email(allow_none=True, validate=validate.Length(max=120))
    phone_display = fields.String(validate=validate.OneOf(domain.PHONE_DISPLAYS),
                                  metadata={"description": PHONE_DISPLAY_DOC})
    constituency = fields.String(allow_none=True, validate=validate.Length(1, 100), metadata={"description": "原选区"})
    home_grid_id = fields.UUID(allow_none=True)
    work_grid_id = fields.UUID(allow_none=True)
    specialities = fields.List(fields.String(validate=validate.Length(1, 40)), validate=validate.Length(max=20))
    capability = fields.Integer(validate=validate.Range(1, 5),
                                metadata={"description": "1 … 5, how capable and well regarded"})
    pledge = fields.String(allow_none=True, validate=validate.Length(1, 2000), metadata={"description": "履职承诺"})
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(domain.STATUSES))

    @validates_schema
    def _term_in_order(self, data, **_):
        if data.get("term_start") and data.get("term_end") and data["term_end"] < data["term_start"]:
            raise ValidationError("must not be before term_start", field_name="term_end")


class DeputyIn(DeputyFields):
    name = Name(50, required=True, metadata={"example": "李红梅"})
    gender = fields.String(required=True, validate=validate.OneOf(("female", "male")))
    level = fields.String(required=True, validate=validate.OneOf(domain.LEVELS))
    mobile = fields.String(required=True, validate=check_mobile, metadata={"example": "13812345678"})
    kind = fields.String(load_default="npc_deputy", validate=validate.OneOf(domain.DEPUTY_KINDS))
    phone_display = fields.String(load_default="station", validate=validate.OneOf(domain.PHONE_DISPLAYS),
                                  metadata={"description": PHONE_DISPLAY_DOC})
    specialities = fields.List(fields.String(validate=validate.Length(1, 40)), load_default=list,
                               validate=validate.Length(max=20))
    capability = fields.Integer(load_default=3, validate=validate.Range(1, 5))
    status = fields.String(load_default="serving", validate=validate.OneOf(("serving", "suspended")),
                           metadata={"description": "a term ends through POST /v1/deputies/{id}/end"})

    @validates_schema
    def _office_number_for_office_display(self, data, **_):
        # A patch is checked in the handler, against the office number already on file.
        if data.get("phone_display") == "office" and not data.get("office_phone"):
            raise ValidationError("is required when phone_display is 'office'", field_name="office_phone")


class DeputyPatch(DeputyFields):
    """Any subset of a deputy's fields; a change of status (suspension, resumption) says why."""

    reason = fields.String(validate=validate.Length(1, 500), metadata={
        "description": "why: required when the status changes (e.g. 暂停执行代表职务), carried by deputy.updated"})


class DeputyOut(Schema):
    id = fields.String()
    external_id = fields.String(allow_none=True)
    id_number_masked = fields.String(allow_none=True, metadata={"example": "4303**********1234"})
    kind = fields.String()
    name = fields.String()
    gender = fields.String()
    level = fields.String()
    position = fields.String(allow_none=True)
    mobile_masked = fields.String(metadata={"example": "138****5678"})
    office_phone = fields.String(allow_none=True)
    public_phone = fields.Method("_public_phone", metadata={
        "description": "the deputy's own public number (office) when they agreed to publish it; null: the notice "
                       "prints their station's number"})
    phone_display = fields.String()
    constituency = fields.String(allow_none=True)
    home_grid_id = fields.String(allow_none=True)
    work_grid_id = fields.String(allow_none=True)
    specialities = fields.List(fields.String())
    capability = fields.Integer()
    pledge = fields.String(allow_none=True)
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    status = fields.String()
    end_reason = fields.String(allow_none=True)

    def _public_phone(self, deputy) -> str | None:
        return domain.public_phone(deputy.office_phone, deputy.phone_display)


class DeputyQuery(PageArgs):
    under = fields.UUID(metadata={"description": "only those in this grid's subtree (a township's roster)"})
    q = fields.String(validate=validate.Length(1, 50), metadata={"description": "search: name, code or external id"})
    level = fields.String(validate=validate.OneOf(domain.LEVELS))
    kind = fields.String(validate=validate.OneOf(domain.DEPUTY_KINDS), metadata={"description": "e.g. party_delegate"})
    status = fields.String(validate=validate.OneOf(domain.STATUSES))
    grid_id = fields.UUID(metadata={"description": "deputies who live or work in this grid"})


class DeputyEnd(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "任期届满"})
    ended_on = fields.Date(required=True, metadata={"example": "2026-11-30"})


class ContactOut(Schema):
    name = fields.String(metadata={"example": "李红梅"})
    phone = fields.String(allow_none=True, metadata={"example": "13812345678"})
    email = fields.String(allow_none=True)
