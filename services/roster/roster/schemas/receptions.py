"""Reception schedules (接待日) and their days."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from wangge_common.paging import PageArgs

from .fields import HHMM


class ReceptionRuleIn(Schema):
    grid_id = fields.UUID(load_default=None, allow_none=True)
    station_id = fields.UUID(load_default=None, allow_none=True)
    place = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                          metadata={"description": "defaults to the station's or grid's name"})
    pattern = fields.String(required=True, validate=validate.OneOf(("monthly", "weekly")))
    month_days = fields.List(fields.Integer(validate=validate.Range(1, 31)), load_default=list,
                             validate=validate.Length(max=4), metadata={"example": [10, 25]})
    weekday = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 6),
                             metadata={"description": "0 Monday … 6 Sunday (weekly rota)"})
    start_time = fields.String(required=True, validate=HHMM, metadata={"example": "09:00"})
    end_time = fields.String(required=True, validate=HHMM, metadata={"example": "11:00"})
    rota = fields.List(fields.List(fields.UUID(), validate=validate.Length(1, 10)), required=True,
                       validate=validate.Length(1, 52),
                       metadata={"description": "duty teams taking turns, each a list of deputy ids"})
    two_representatives = fields.Boolean(load_default=False,
                                         metadata={"description": "两代表: a party delegate on duty with the deputies"})
    weeks = fields.Integer(load_default=8, validate=validate.Range(1, 53), metadata={"description": "publish ahead"})


class ReceptionRulePatch(Schema):
    """What a schedule uses for the days it generates from now on; published days are changed one by one."""

    place = fields.String(validate=validate.Length(1, 200))
    start_time = fields.String(validate=HHMM)
    end_time = fields.String(validate=HHMM)
    rota = fields.List(fields.List(fields.UUID(), validate=validate.Length(1, 10)), validate=validate.Length(1, 52))
    two_representatives = fields.Boolean()


class GenerateIn(Schema):
    weeks = fields.Integer(load_default=8, validate=validate.Range(1, 53))


class ReceptionDayOut(Schema):
    id = fields.String()
    rule_id = fields.String()
    day = fields.Date()
    grid_id = fields.String(allow_none=True)
    station_id = fields.String(allow_none=True)
    place = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    deputy_ids = fields.List(fields.String())
    status = fields.String(metadata={"description": "scheduled, changed or cancelled"})
    reason = fields.String(allow_none=True)


class SkippedDay(Schema):
    day = fields.Date(allow_none=True, metadata={"description": "null when the month has no such day (30 February)"})
    month = fields.String(metadata={"description": "YYYY-MM, for a day of the month the month does not have"})
    reason = fields.String()


class ReceptionRuleOut(Schema):
    id = fields.String()
    grid_id = fields.String(allow_none=True)
    station_id = fields.String(allow_none=True)
    place = fields.String()
    pattern = fields.String()
    month_days = fields.List(fields.Integer())
    weekday = fields.Integer(allow_none=True)
    start_time = fields.String()
    end_time = fields.String()
    rota = fields.List(fields.List(fields.String()))
    two_representatives = fields.Boolean()
    description = fields.String(metadata={"example": "每月10日、25日 09:00-11:00"})
    published = fields.List(fields.Nested(ReceptionDayOut))
    skipped = fields.List(fields.Nested(SkippedDay))


class ReceptionDayPatch(Schema):
    day = fields.Date()
    start_time = fields.String(validate=HHMM)
    end_time = fields.String(validate=HHMM)
    place = fields.String(validate=validate.Length(1, 200))
    deputy_ids = fields.List(fields.UUID(), validate=validate.Length(1, 10))
    cancel = fields.Boolean(load_default=False)
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "代表参加县人代会"})


class ScheduleQuery(PageArgs):
    grid_id = fields.UUID()
    station_id = fields.UUID()
    under = fields.UUID(metadata={"description": "held in this grid's subtree (a township, say): at one of its "
                                                "grids or at a station serving one"})


class ReceptionDayQuery(ScheduleQuery):
    """Days by the place they are held at, as schedules are found, and by deputy on duty and date."""

    deputy_id = fields.UUID(metadata={"description": "days this deputy is on duty"})
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
