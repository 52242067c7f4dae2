"""Liaison stations (代表联络站), "1+4+N", version 1."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, grid_scope, requires
from wangge_common.http import runtime
from wangge_common.paging import page_of

from ..commands import stations as commands
from ..queries import stations as queries
from ..schemas.stations import StationIn, StationNetworkOut, StationOut, StationPatch, StationQuery
from .scope import in_scope


stations = Blueprint("stations", __name__, url_prefix="/v1/stations",
                     description="Liaison stations (代表联络站), \"1+4+N\": main, township and area stations")


@stations.route("")
class Stations(MethodView):
    @requires("roster:read")
    @stations.arguments(StationQuery, location="query")
    @stations.response(200, page_of(StationOut))
    def get(self, query):
        """List liaison stations, by tier or by a grid they serve."""
        with runtime().db.reads() as session:
            return queries.list_stations(session, **query)

    @requires("roster:admin")
    @stations.arguments(StationIn, example={"name": "清溪镇人大代表联络站", "tier": "township",
                                             "address": "清溪镇政府一楼", "opening_hours": "周一至周五 8:30-17:30",
                                             "grid_ids": ["6f1c2d4e-0000-4000-8000-000000000000"]})
    @stations.response(201, StationOut)
    def post(self, data):
        """Open a liaison station; emits station.created."""
        if grid_scope() is not None:
            in_scope(*data.get("grid_ids", []), what="station's grid")
        with runtime().unit_of_work(actor=actor()) as uow:
            return commands.create_station(uow, data)


@stations.route("/network")
class StationNetwork(MethodView):
    @requires("roster:read")
    @stations.response(200, StationNetworkOut)
    def get(self):
        """The county's "1+4+N" checked: the main station, each township's station, the area stations, and every
        gap (`findings`: no main station, a township without its station, an area station serving no grid)."""
        with runtime().db.reads() as session:
            return queries.network(session)


@stations.route("/<uuid:station_id>")
class StationById(MethodView):
    @requires("roster:read")
    @stations.response(200, StationOut)
    def get(self, station_id):
        """One liaison station."""
        with runtime().db.reads() as session:
            return queries.get_station(session, str(station_id))

    @requires("roster:admin")
    @stations.arguments(StationPatch(partial=True), example={"opening_hours": "周一至周六 8:30-17:30"})
    @stations.response(200, StationOut)
    def patch(self, changes, station_id):
        """Change a station (address, hours, grids served); emits station.updated."""
        if grid_scope() is not None:
            with runtime().db.reads() as session:
                served = queries.get_station(session, str(station_id)).grid_ids
            in_scope(*served, *changes.get("grid_ids", []), what="station's grid")
        with runtime().unit_of_work(actor=actor()) as uow:
            return commands.update_station(uow, str(station_id), changes)
