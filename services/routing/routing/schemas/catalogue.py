"""The dispatch catalogue (派单目录), deadline rules (办理时限) and the holiday calendar."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .. import domain
from .common import CATEGORIES, Reason


class DispatchRuleIn(Schema):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 60),
                          metadata={"description": "null: every topic of the category"})
    level = fields.String(required=True, validate=validate.OneOf(domain.LEVELS))
    department_code = fields.String(required=True, validate=validate.Length(1, 40))
    department_name = fields.String(required=True, validate=validate.Length(1, 100))
    priority = fields.Integer(load_default=100, validate=validate.Range(0, 10000))
    reason = Reason

    class Meta:
        example = {"category": "request", "topic": "bridge", "level": "county", "department_code": "county-transport",
                   "department_name": "县交通运输局", "priority": 20, "reason": "桥梁归县交通运输局管养"}


class VersionFields(Schema):
    id = fields.Integer()
    lineage_id = fields.Integer(metadata={"description": "the same for every version of one line"})
    version = fields.Integer()
    active = fields.Boolean()
    changed_by = fields.String(allow_none=True)
    change_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    retired_at = fields.DateTime(allow_none=True)


class DispatchRuleOut(VersionFields):
    category = fields.String()
    topic = fields.String(allow_none=True)
    level = fields.String()
    department_code = fields.String()
    department_name = fields.String()
    priority = fields.Integer()


class DeadlineRuleIn(Schema):
    category = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CATEGORIES))
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("high",)), metadata={
        "description": "high: the rule is for special groups' cases only, and beats every rule without it"})
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 60))
    urgency = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("normal", "urgent")))
    amount = fields.Integer(required=True, validate=validate.Range(1, 1000))
    unit = fields.String(required=True, validate=validate.OneOf(domain.UNITS))
    reason = Reason

    class Meta:
        example = {"category": None, "topic": "safety", "urgency": "urgent", "amount": 2, "unit": "hours",
                   "reason": "紧急安全隐患2小时内处置"}


class DeadlineRuleOut(VersionFields):
    category = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    topic = fields.String(allow_none=True)
    urgency = fields.String(allow_none=True)
    amount = fields.Integer()
    unit = fields.String()


class CatalogueQuery(Schema):
    include_retired = fields.Boolean(load_default=False)


class RetireQuery(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class HolidayIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("holiday", "workday")),
                         metadata={"description": "holiday: no work that day; workday: a weekend working day (调休)"})
    name = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "国庆节"})
    reason = fields.String(load_default=None, validate=validate.Length(1, 500),
                           metadata={"example": "县政府通知：2027年春节假期调整"})


class HolidayOut(Schema):
    day = fields.Date()
    kind = fields.String(metadata={"description": "holiday, workday (调休), or weekday: a local entry saying the "
                                                  "day counts by its weekday although the seed lists it"})
    name = fields.String(metadata={"example": "国庆节"})
    source = fields.String(metadata={"description": "local (entered here; refreshes never change it), "
                                                    "chinese-calendar (the State Council's arrangement), statutory "
                                                    "(provisional: the law's days for a year the package lacks)"})
    reason = fields.String(allow_none=True)
    changed_by = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class HolidayChangeOut(Schema):
    id = fields.Integer()
    day = fields.Date()
    kind = fields.String(metadata={"description": "holiday, workday, weekday, or removed"})
    name = fields.String(allow_none=True)
    source = fields.String()
    actor = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.DateTime()


class HolidayRemoval(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(1, 500))


class HolidayRefreshOut(Schema):
    changed = fields.Integer(metadata={"description": "days added, changed or removed by the refresh"})
    years = fields.List(fields.Integer())


class HolidayQuery(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))
