"""Liaison stations (代表联络站), "1+4+N"."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from wangge_common.paging import PageArgs

from .. import domain
from .fields import ExternalId, Name, check_office_phone


class StationIn(Schema):
    name = Name(100, required=True, metadata={"example": "清溪镇人大代表联络站"})
    external_id = ExternalId()
    tier = fields.String(required=True, validate=validate.OneOf(domain.STATION_TIERS),
                         metadata={"description": "1+4+N: main 总站, township 镇站, area 片区站"})
    address = fields.String(required=True, validate=validate.Length(1, 200), metadata={"example": "清溪镇政府一楼"})
    opening_hours = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                                  metadata={"example": "周一至周五 8:30-17:30"})
    phone = fields.String(load_default=None, allow_none=True, validate=check_office_phone,
                          metadata={"example": "0731-55681234", "description": "the station's public number"})
    grid_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=5000))


class StationPatch(Schema):
    name = Name(100)
    external_id = ExternalId()
    tier = fields.String(validate=validate.OneOf(domain.STATION_TIERS))
    address = fields.String(validate=validate.Length(1, 200))
    opening_hours = fields.String(allow_none=True, validate=validate.Length(1, 200))
    phone = fields.String(allow_none=True, validate=check_office_phone)
    grid_ids = fields.List(fields.UUID(), validate=validate.Length(max=5000))


class StationOut(Schema):
    id = fields.String()
    external_id = fields.String(allow_none=True)
    name = fields.String()
    tier = fields.String()
    address = fields.String()
    opening_hours = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    grid_ids = fields.List(fields.String())
    township_id = fields.String(allow_none=True, metadata={"description": "the township of a township station"})


class StationFindingOut(Schema):
    rule = fields.String(metadata={"example": "township_without_station"})
    reason = fields.String()
    grid_id = fields.String()
    grid_code = fields.String()
    station_id = fields.String()


class StationNetworkOut(Schema):
    """"1+4+N" as it stands: one main station, one per township, N area stations."""

    formula = fields.String(metadata={"example": "1+4+12", "description": "main + township stations + area stations"})
    complete = fields.Boolean(metadata={"description": "true when nothing is missing"})
    main_station_id = fields.String(allow_none=True)
    township_stations = fields.Integer()
    area_stations = fields.Integer()
    townships = fields.List(fields.Dict(), metadata={"description": "each township and its station (null if none)"})
    findings = fields.List(fields.Nested(StationFindingOut))


class StationQuery(PageArgs):
    under = fields.UUID(metadata={"description": "only those in this grid's subtree (a township's roster)"})
    q = fields.String(validate=validate.Length(1, 50), metadata={"description": "search: name, code or external id"})
    grid_id = fields.UUID(metadata={"description": "stations serving this grid"})
    tier = fields.String(validate=validate.OneOf(domain.STATION_TIERS))
