"""Request and response shapes of household files (一户一档), visits and reception-day records."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wangge_common.schemas import PageArgs

from .. import domain
from .cases import MOBILE_OR_LANDLINE, CaseSummary, SpecialGroups, _no_repeats


class Member(Schema):
    relation = fields.String(required=True, validate=validate.Length(1, 20), metadata={"example": "户主"})
    special_groups = SpecialGroups()


class Contact(Schema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 50))
    phone = fields.String(required=True, validate=MOBILE_OR_LANDLINE)


def _no_phone_or_id(text) -> None:
    if domain.has_phone_or_id(text):
        raise ValidationError("must not hold a phone or ID number: keep contact details in the household file's "
                              "contact (stored encrypted)")


class HouseholdIn(Schema):
    grid_id = fields.UUID(required=True)
    address = fields.String(required=True, validate=validate.Length(2, 200), metadata={"example": "韶山村第一村民小组12号"})
    members = fields.List(fields.Nested(Member), load_default=list, validate=validate.Length(max=30))
    contact = fields.Nested(Contact, load_default=None, allow_none=True)
    notes = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=2000), _no_phone_or_id])


class HouseholdChangeIn(Schema):
    """Only the fields given change; `contact: null` removes the contact."""

    members = fields.List(fields.Nested(Member), validate=validate.Length(max=30))
    contact = fields.Nested(Contact, allow_none=True)
    address = fields.String(validate=validate.Length(2, 200))
    notes = fields.String(allow_none=True, validate=[validate.Length(max=2000), _no_phone_or_id])
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "老人子女外出务工，现独居"})

    @validates_schema
    def _something(self, data, **_):
        if not any(name in data for name in ("members", "contact", "address", "notes")):
            raise ValidationError("change members, contact, address or notes", field_name="members")


class HouseholdChangeOut(Schema):
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields",
                          metadata={"description": "what changed (never the values)"})
    special_groups = fields.List(fields.String(), metadata={"description": "the flags after the change"})
    reason = fields.String()
    actor = fields.String()
    at = fields.DateTime()


class HouseholdOut(Schema):
    id = fields.String()
    grid_id = fields.String()
    address = fields.String(attribute="shown_address", metadata={
        "description": "stored encrypted; after an erasure only its first characters"})
    members = fields.List(fields.Dict())
    special_groups = fields.List(fields.String())
    contact = fields.Method("_contact")
    notes = fields.String(allow_none=True, attribute="shown_notes", metadata={"description": "stored encrypted"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _contact(self, household):
        if household.contact_phone_masked is None and household.contact_name_masked is None:
            return None  # no contact given (an erased one shows its name as 已删除)
        return {"name": household.contact_name_masked, "phone": household.contact_phone_masked}


class VisitSummary(Schema):
    id = fields.String()
    deputy_id = fields.String()
    visited_on = fields.Date()
    kind = fields.String()


class HouseholdFileOut(HouseholdOut):
    """The household file (一户一档) with every case and visit on it."""

    cases = fields.List(fields.Nested(CaseSummary))
    visits = fields.List(fields.Nested(VisitSummary))


class HouseholdQuery(PageArgs):
    grid_id = fields.UUID(load_default=None)
    address = fields.String(load_default=None, metadata={
        "description": "with grid_id (or a person's token): any part of the address; else the whole address. "
                       "Spaces and punctuation are ignored (addresses are stored encrypted)"})


class VisitIn(Schema):
    deputy_id = fields.UUID(required=True)
    grid_id = fields.UUID(required=True)
    visited_on = fields.Date(required=True, metadata={"example": "2026-11-20"})
    kind = fields.String(load_default="door_to_door", validate=validate.OneOf(domain.VISIT_KINDS))
    household_ids = fields.List(fields.UUID(), load_default=list, validate=[validate.Length(max=500), _no_repeats])
    residents_reached = fields.Integer(required=True, validate=validate.Range(0, 10000))
    case_ids = fields.List(fields.UUID(), load_default=list, validate=[validate.Length(max=200), _no_repeats],
                           metadata={"description": "cases registered during the visit"})
    notes = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=4000), _no_phone_or_id],
                          metadata={"description": "the visit log (民情工作日志); no phone or ID numbers here"})


class VisitOut(Schema):
    id = fields.String()
    deputy_id = fields.String()
    grid_id = fields.String()
    visited_on = fields.Date()
    kind = fields.String()
    household_ids = fields.List(fields.String())
    residents_reached = fields.Integer()
    case_ids = fields.List(fields.String())
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()


class VisitQuery(PageArgs):
    deputy_id = fields.UUID(load_default=None)
    grid_id = fields.UUID(load_default=None)
    visited_from = fields.Date(load_default=None, data_key="from")
    visited_to = fields.Date(load_default=None, data_key="to")


class OnDuty(Schema):
    deputy_id = fields.UUID(required=True)
    kind = fields.String(load_default="npc_deputy", validate=validate.OneOf(domain.DEPUTY_KINDS),
                         metadata={"description": "npc_deputy 人大代表 or party_delegate 党代表"})


class ReceptionSessionIn(Schema):
    reception_id = fields.UUID(load_default=None, allow_none=True,
                               metadata={"description": "the scheduled reception (roster's reception.scheduled), if any"})
    grid_id = fields.UUID(load_default=None, allow_none=True)
    station_id = fields.UUID(load_default=None, allow_none=True)
    deputies = fields.List(fields.Nested(OnDuty), required=True, validate=validate.Length(1, 50))
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True)
    residents_received = fields.Integer(required=True, validate=validate.Range(0, 10000))
    case_ids = fields.List(fields.UUID(), load_default=list, validate=[validate.Length(max=500), _no_repeats])
    notes = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=4000), _no_phone_or_id])

    @validates_schema
    def _where(self, data, **_):
        if data.get("grid_id") is None and data.get("station_id") is None:
            raise ValidationError("give the grid, the liaison station, or both", field_name="grid_id")


class ReceptionSessionOut(Schema):
    id = fields.String()
    reception_id = fields.String(allow_none=True)
    grid_id = fields.String(allow_none=True)
    station_id = fields.String(allow_none=True)
    deputies = fields.List(fields.Dict())
    started_at = fields.DateTime()
    ended_at = fields.DateTime()
    minutes = fields.Method("_minutes")
    meets_two_hours = fields.Method("_meets", metadata={"description": "the ≥ 2 hours rule of a reception day"})
    residents_received = fields.Integer()
    case_ids = fields.List(fields.String())
    notes = fields.String(allow_none=True)

    def _minutes(self, s):
        return domain.reception_minutes(s.started_at, s.ended_at)

    def _meets(self, s):
        return domain.reception_minutes(s.started_at, s.ended_at) >= domain.RECEPTION_MINUTES


class ReceptionQuery(PageArgs):
    grid_id = fields.UUID(load_default=None)
    station_id = fields.UUID(load_default=None)
