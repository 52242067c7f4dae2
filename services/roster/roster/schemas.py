"""Request and response shapes of the roster API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wangge_common.schemas import PageArgs

from . import domain


def _mobile(value: str) -> None:
    if not domain.MOBILE.match(value):
        raise ValidationError("must be an 11-digit mainland mobile number starting with 1 (e.g. 13812345678)")


def _office(value: str) -> None:
    if not domain.OFFICE_PHONE.match(value):
        raise ValidationError("must be an area code and number, e.g. 0731-55681234")


class GridIn(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 40), metadata={"example": "SS-01-02-03"})
    name = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "韶山村第三村民小组"})
    level = fields.Integer(required=True, validate=validate.Range(1, 3),
                           metadata={"description": "1 township, 2 village/community, 3 villagers' group/estate"})
    parent_id = fields.UUID(load_default=None, allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(domain.GRID_KINDS))
    households = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000))
    population = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))
    difficulty = fields.Integer(load_default=1, validate=validate.Range(1, 5),
                                metadata={"description": "1 easy … 5 hardest to govern"})
    leader = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 50),
                           metadata={"description": "grid leader (网格长)"})
    workers = fields.List(fields.String(validate=validate.Length(1, 50)), load_default=list,
                          validate=validate.Length(max=50), metadata={"description": "grid workers (网格员)"})


class GridOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    level = fields.Integer()
    parent_id = fields.String(allow_none=True)
    kind = fields.String()
    households = fields.Integer()
    population = fields.Integer()
    difficulty = fields.Integer()
    leader = fields.String(allow_none=True)
    workers = fields.List(fields.String())
    flags = fields.Method("_flags")

    def _flags(self, grid) -> list[str]:
        return domain.household_flags(grid.kind, grid.level, grid.households)


class GridQuery(PageArgs):
    level = fields.Integer(validate=validate.Range(1, 3))
    parent_id = fields.UUID()


class DeputyFields(Schema):
    kind = fields.String(validate=validate.OneOf(domain.DEPUTY_KINDS),
                         metadata={"description": "npc_deputy 人大代表, party_delegate 党代表"})
    name = fields.String(validate=validate.Length(1, 50))
    gender = fields.String(validate=validate.OneOf(("female", "male")))
    level = fields.String(validate=validate.OneOf(domain.LEVELS))
    position = fields.String(allow_none=True, validate=validate.Length(1, 100), metadata={"description": "职务"})
    mobile = fields.String(validate=_mobile)
    office_phone = fields.String(allow_none=True, validate=_office)
    phone_display = fields.String(validate=validate.OneOf(("masked_mobile", "office")),
                                  metadata={"description": "which number the public notice shows"})
    constituency = fields.String(allow_none=True, validate=validate.Length(1, 100), metadata={"description": "原选区"})
    home_grid_id = fields.UUID(allow_none=True)
    work_grid_id = fields.UUID(allow_none=True)
    specialities = fields.List(fields.String(validate=validate.Length(1, 40)), validate=validate.Length(max=20))
    capability = fields.Integer(validate=validate.Range(1, 5), metadata={"description": "1 … 5, how capable and well regarded"})
    pledge = fields.String(allow_none=True, validate=validate.Length(1, 2000), metadata={"description": "履职承诺"})
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(domain.STATUSES))

    @validates_schema
    def _office_number_for_office_display(self, data, **_):
        if data.get("phone_display") == "office" and not data.get("office_phone"):
            raise ValidationError("is required when phone_display is 'office'", field_name="office_phone")
        if data.get("term_start") and data.get("term_end") and data["term_end"] < data["term_start"]:
            raise ValidationError("must not be before term_start", field_name="term_end")


class DeputyIn(DeputyFields):
    name = fields.String(required=True, validate=validate.Length(1, 50), metadata={"example": "李红梅"})
    gender = fields.String(required=True, validate=validate.OneOf(("female", "male")))
    level = fields.String(required=True, validate=validate.OneOf(domain.LEVELS))
    mobile = fields.String(required=True, validate=_mobile, metadata={"example": "13812345678"})
    kind = fields.String(load_default="npc_deputy", validate=validate.OneOf(domain.DEPUTY_KINDS))
    phone_display = fields.String(load_default="masked_mobile", validate=validate.OneOf(("masked_mobile", "office")))
    specialities = fields.List(fields.String(validate=validate.Length(1, 40)), load_default=list,
                               validate=validate.Length(max=20))
    capability = fields.Integer(load_default=3, validate=validate.Range(1, 5))
    status = fields.String(load_default="serving", validate=validate.OneOf(domain.STATUSES))


class DeputyPatch(DeputyFields):
    """Any subset of a deputy's fields."""


class DeputyOut(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    gender = fields.String()
    level = fields.String()
    position = fields.String(allow_none=True)
    mobile_masked = fields.Method("_masked")
    office_phone = fields.String(allow_none=True)
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

    def _masked(self, deputy) -> str:
        return domain.mask_mobile(deputy.mobile)


class DeputyQuery(PageArgs):
    level = fields.String(validate=validate.OneOf(domain.LEVELS))
    status = fields.String(validate=validate.OneOf(domain.STATUSES))
    grid_id = fields.UUID(metadata={"description": "deputies who live or work in this grid"})
