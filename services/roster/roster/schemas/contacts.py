"""Contact households (双联系) and their meetings."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .. import domain


class ContactLinkIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(domain.CONTACT_KINDS),
                         metadata={"description": "wealth_leader 致富带头人, household_in_difficulty 困难群众, "
                                                  "respected_figure 乡贤"})
    household = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "王秀英户"})
    grid_id = fields.UUID(load_default=None, allow_none=True)
    linked_on = fields.Date(load_default=None, allow_none=True)


class ContactLinkOut(Schema):
    id = fields.String()
    deputy_id = fields.String()
    kind = fields.String()
    kind_zh = fields.String()
    household = fields.String()
    grid_id = fields.String(allow_none=True)
    linked_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    meetings_this_year = fields.Integer()


class ContactUnlinkIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "户主迁出本村"})
    ended_on = fields.Date(required=True)


class MeetingIn(Schema):
    met_on = fields.Date(required=True, metadata={"example": "2026-06-15"})
    summary = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 2000))


class MeetingQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))


class MeetingOut(Schema):
    id = fields.String()
    link_id = fields.String()
    deputy_id = fields.String()
    met_on = fields.Date()
    summary = fields.String(allow_none=True)


class ContactReportQuery(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))
    township_id = fields.UUID()


class ContactListQuery(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))


class ContactReportOut(Schema):
    year = fields.Integer()
    as_of = fields.Date(metadata={"description": "links counted are those in force on this day: the year's end, or "
                                                "today for the current year"})
    deputies_checked = fields.Integer()
    deputies_short = fields.Integer()
    deputies = fields.List(fields.Dict(), metadata={"example": [
        {"name": "李红梅", "links": 2, "kinds_missing": ["respected_figure"], "meetings": 1}]})
