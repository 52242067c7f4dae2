"""Grids (网格) and their public notice (公示)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wangge_common.paging import PageArgs

from .. import domain
from .fields import ExternalId, Name, not_blank


class GridCentre(Schema):
    """A grid's centre (WGS84), optional: a located request (Open311 lat/long) is placed in the nearest one."""

    latitude = fields.Float(allow_none=True, validate=validate.Range(-90, 90),
                            metadata={"description": "the grid's centre, WGS84 latitude (with longitude)"})
    longitude = fields.Float(allow_none=True, validate=validate.Range(-180, 180),
                             metadata={"description": "the grid's centre, WGS84 longitude (with latitude)"})

    @validates_schema
    def _both_coordinates(self, data, **kwargs):
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if ("latitude" in data) != ("longitude" in data) or (latitude is None) != (longitude is None):
            lacking = "latitude" if "latitude" not in data or latitude is None else "longitude"
            raise ValidationError("give latitude and longitude together", lacking)


class GridIn(GridCentre):
    code = fields.String(required=True, validate=[validate.Length(1, 40), not_blank],
                         metadata={"example": "SS-01-02-03"})
    external_id = ExternalId()
    name = Name(100, required=True, metadata={"example": "韶山村第三村民小组"})
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
    constituency = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100),
                                 metadata={"description": "original constituency (原选区) the grid lies in; the "
                                                          "planner prefers deputies elected there"})


class GridPatch(GridCentre):
    """Any subset of a grid's fields; a new parent or level is checked against the tree."""

    code = fields.String(validate=[validate.Length(1, 40), not_blank])
    external_id = ExternalId()
    name = Name(100)
    level = fields.Integer(validate=validate.Range(1, 3))
    parent_id = fields.UUID(allow_none=True)
    kind = fields.String(validate=validate.OneOf(domain.GRID_KINDS))
    households = fields.Integer(validate=validate.Range(0, 1_000_000))
    population = fields.Integer(validate=validate.Range(0, 10_000_000))
    difficulty = fields.Integer(validate=validate.Range(1, 5))
    leader = fields.String(allow_none=True, validate=validate.Length(1, 50))
    workers = fields.List(fields.String(validate=validate.Length(1, 50)), validate=validate.Length(max=50))
    constituency = fields.String(allow_none=True, validate=validate.Length(1, 100))


class GridOut(Schema):
    id = fields.String()
    code = fields.String()
    external_id = fields.String(allow_none=True)
    name = fields.String()
    level = fields.Integer()
    parent_id = fields.String(allow_none=True)
    kind = fields.String()
    households = fields.Integer()
    population = fields.Integer()
    difficulty = fields.Integer()
    leader = fields.String(allow_none=True)
    workers = fields.List(fields.String())
    constituency = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    flags = fields.Method("_flags", metadata={"description": "e.g. households_outside_range:300-500 (allowed, shown)"})

    def _flags(self, grid) -> list[str]:
        return domain.household_flags(grid.kind, grid.level, grid.households)


class GridQuery(PageArgs):
    under = fields.UUID(metadata={"description": "only those in this grid's subtree (a township's roster)"})
    q = fields.String(validate=validate.Length(1, 50), metadata={"description": "search: name, code or external id"})
    level = fields.Integer(validate=validate.Range(1, 3))
    parent_id = fields.UUID()


class NoticeQuery(Schema):
    format = fields.String(validate=validate.OneOf(("html", "json")),
                           metadata={"description": "html (printable page) or json; by Accept header when absent"})


class NoticeOut(Schema):
    grid = fields.Dict(metadata={"example": {"code": "SS-01-02-03", "full_name": "韶山乡韶山村第三村民小组",
                                             "leader": "毛建国", "workers": ["李小芳"]}})
    deputies = fields.List(fields.Dict(), metadata={"example": [{"name": "李红梅", "level_zh": "乡镇人大代表",
                                                                 "position": "村党支部书记", "phone": "0731-55681234",
                                                                 "phone_source": "station",
                                                                 "pledge": "认真倾听群众呼声。"}]})
    station = fields.Dict(allow_none=True)
    reception_rules = fields.List(fields.Dict())
    upcoming_receptions = fields.List(fields.Dict())
    notice_period = fields.Dict(allow_none=True, metadata={
        "description": "公示期: from the latest publication of the grid's assignments, WANGGE_ROSTER_NOTICE_DAYS days",
        "example": {"from": "2026-12-01", "to": "2026-12-08"}})
    supervision_phone = fields.String(allow_none=True, metadata={
        "description": "监督电话: the township station's number, else WANGGE_ROSTER_SUPERVISION_PHONE"})
    issuer = fields.String()
    date = fields.String(metadata={"example": "2026-11-22"})
