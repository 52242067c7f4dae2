"""Roster HTTP API, version 1."""
from __future__ import annotations

from flask import Response, render_template, request
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, grid_scope, public, require_grid, requires
from wangge_common.http import runtime

from . import domain, handlers, notice
from . import stations as station_rules
from wangge_common.schemas import page_of

from .schemas import (ContactOut, DeputyEnd, DeputyIn, DeputyOut, DeputyPatch, DeputyQuery, GridIn, GridOut,
                      GridPatch, GridQuery, NoticeOut, NoticeQuery, StationIn, StationNetworkOut, StationOut,
                      StationPatch, StationQuery)

grids = Blueprint("grids", __name__, url_prefix="/v1/grids", description="Grids (网格): the three-level tree")
deputies = Blueprint("deputies", __name__, url_prefix="/v1/deputies",
                     description="Deputies (人大代表) and party delegates (党代表)")
stations = Blueprint("stations", __name__, url_prefix="/v1/stations",
                     description="Liaison stations (代表联络站), \"1+4+N\": main, township and area stations")
internal = Blueprint("internal", __name__, url_prefix="/v1/internal",
                     description="Service-to-service reads (scope contacts:read)")


def _in_scope(*grid_ids, what: str = "grid") -> None:
    """A person limited to grids (township staff) changes the roster of their own grids only (403 otherwise)."""
    if grid_scope() is None:
        return
    named = [str(g) for g in grid_ids if g]
    if not named:
        require_grid(None, what)
    for grid_id in named:
        require_grid(grid_id, what)


def _deputy_in_scope(deputy_id: str, changes: dict | None = None) -> None:
    if grid_scope() is None:
        return
    with runtime().db.reads() as session:
        deputy = handlers.get_deputy(session, deputy_id)
    if not ({deputy.home_grid_id, deputy.work_grid_id} & set(grid_scope())):
        require_grid(None, "deputy")
    moved = [changes[k] for k in ("home_grid_id", "work_grid_id") if (changes or {}).get(k)]
    if moved:
        _in_scope(*moved, what="deputy's grid")


@grids.route("")
class Grids(MethodView):
    @requires("roster:read")
    @grids.arguments(GridQuery, location="query")
    @grids.response(200, page_of(GridOut))
    def get(self, query):
        """List grids, by level or parent."""
        with runtime().db.reads() as session:
            return handlers.list_grids(session, **query)

    @requires("roster:admin")
    @grids.arguments(GridIn, example={"code": "SS-01-02-03", "name": "韶山村第三村民小组", "level": 3,
                                      "parent_id": "6f1c2d4e-0000-4000-8000-000000000000",
                                      "kind": "rural_village", "households": 260, "population": 830,
                                      "difficulty": 2, "leader": "毛建国", "workers": ["李小芳"]})
    @grids.response(201, GridOut)
    def post(self, data):
        """Create a grid; emits grid.created. A person limited to grids creates grids under their own."""
        _in_scope(data.get("parent_id"), what="parent grid")
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.create_grid(uow, data)


@grids.route("/<uuid:grid_id>")
class GridById(MethodView):
    @requires("roster:read")
    @grids.response(200, GridOut)
    def get(self, grid_id):
        """One grid."""
        with runtime().db.reads() as session:
            return handlers.get_grid(session, str(grid_id))

    @requires("roster:admin")
    @grids.arguments(GridPatch(partial=True), example={"households": 280, "leader": "毛建国"})
    @grids.response(200, GridOut)
    def patch(self, changes, grid_id):
        """Change a grid; a new parent is checked (no cycles, one level down); emits grid.updated."""
        _in_scope(grid_id, *([changes["parent_id"]] if changes.get("parent_id") else []))
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.update_grid(uow, str(grid_id), changes)


@grids.route("/<uuid:grid_id>/notice")
class GridNotice(MethodView):
    @public
    @grids.arguments(NoticeQuery, location="query")
    @grids.response(200, NoticeOut)
    @grids.doc(security=[], responses={"200": {"content": {"application/json": {"schema": NoticeOut},
                                                           "text/html": {"schema": {"type": "string"}}}}})
    def get(self, query, grid_id):
        """The grid's public notice (公示): deputies, their chosen contact number, pledge, station and reception
        days; a printable Chinese page (text/html) or JSON. Public: it is posted in the grid."""
        settings = runtime().state.settings
        with runtime().db.reads() as session:
            data = notice.notice(session, str(grid_id), notice_days=settings.notice_days,
                                 supervision_phone=settings.supervision_phone)
        fmt = query.get("format") or ("html" if request.accept_mimetypes.best_match(
            ["application/json", "text/html"]) == "text/html" else "json")
        if fmt == "html":
            return Response(render_template("notice.html", n=data), mimetype="text/html")
        return data


@deputies.route("")
class Deputies(MethodView):
    @requires("roster:read")
    @deputies.arguments(DeputyQuery, location="query")
    @deputies.response(200, page_of(DeputyOut))
    def get(self, query):
        """List deputies, by level, status or grid."""
        with runtime().db.reads() as session:
            return handlers.list_deputies(session, **query)

    @requires("roster:admin")
    @deputies.arguments(DeputyIn, example={"name": "李红梅", "gender": "female", "level": "township",
                                           "mobile": "13812345678", "position": "韶山村党支部书记",
                                           "home_grid_id": "9a000000-0000-4000-8000-000000000003",
                                           "constituency": "韶山乡第三选区",
                                           "specialities": ["agriculture"], "capability": 4,
                                           "pledge": "认真倾听群众呼声，及时反映群众诉求。", "term_start": "2021-12-01",
                                           "term_end": "2026-11-30"})
    @deputies.response(201, DeputyOut)
    def post(self, data):
        """Register a deputy; emits deputy.registered. The same person twice (the same external id, ID number or
        mobile) is refused with 409 naming the deputy on the roster (`errors[].existing_id`)."""
        if grid_scope() is not None:
            _in_scope(data.get("home_grid_id") or data.get("work_grid_id"), what="deputy's grid")
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.register_deputy(uow, data)


@deputies.route("/<uuid:deputy_id>")
class DeputyById(MethodView):
    @requires("roster:read")
    @deputies.response(200, DeputyOut)
    def get(self, deputy_id):
        """One deputy; the mobile number is shown masked."""
        with runtime().db.reads() as session:
            return handlers.get_deputy(session, str(deputy_id))

    @requires("roster:admin")
    @deputies.arguments(DeputyPatch(partial=True), example={"office_phone": "0731-55681234",
                                                            "phone_display": "office"})
    @deputies.response(200, DeputyOut)
    def patch(self, changes, deputy_id):
        """Change a deputy; emits deputy.updated."""
        _deputy_in_scope(str(deputy_id), changes)
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.update_deputy(uow, str(deputy_id), changes)

    @requires("roster:admin")
    @deputies.response(204)
    def delete(self, deputy_id):
        """Remove a deputy entered by mistake; 409 once the deputy has any history (end the term instead)."""
        with runtime().unit_of_work(actor=actor()) as uow:
            handlers.delete_deputy(uow, str(deputy_id))


@deputies.route("/<uuid:deputy_id>/end")
class DeputyEndTerm(MethodView):
    @requires("roster:admin")
    @deputies.arguments(DeputyEnd, example={"reason": "任期届满", "ended_on": "2026-11-30"})
    @deputies.response(200, DeputyOut)
    def post(self, data, deputy_id):
        """End a deputy's term; every live assignment ends too (assignment.ended), then deputy.ended."""
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.end_deputy(uow, str(deputy_id), **data)


@internal.route("/deputies/<uuid:deputy_id>/contact")
class DeputyContact(MethodView):
    @requires("contacts:read")
    @internal.response(200, ContactOut)
    def get(self, deputy_id):
        """A deputy's contact in clear text, for notify to reach them (never shown publicly)."""
        rt = runtime()
        with rt.db.reads() as session:
            return handlers.deputy_contact(session, rt, str(deputy_id))


@stations.route("")
class Stations(MethodView):
    @requires("roster:read")
    @stations.arguments(StationQuery, location="query")
    @stations.response(200, page_of(StationOut))
    def get(self, query):
        """List liaison stations, by tier or by a grid they serve."""
        with runtime().db.reads() as session:
            return handlers.list_stations(session, **query)

    @requires("roster:admin")
    @stations.arguments(StationIn, example={"name": "清溪镇人大代表联络站", "tier": "township",
                                             "address": "清溪镇政府一楼", "opening_hours": "周一至周五 8:30-17:30",
                                             "grid_ids": ["6f1c2d4e-0000-4000-8000-000000000000"]})
    @stations.response(201, StationOut)
    def post(self, data):
        """Open a liaison station; emits station.created."""
        if grid_scope() is not None:
            _in_scope(*data.get("grid_ids", []), what="station's grid")
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.create_station(uow, data)


@stations.route("/network")
class StationNetwork(MethodView):
    @requires("roster:read")
    @stations.response(200, StationNetworkOut)
    def get(self):
        """The county's "1+4+N" checked: the main station, each township's station, the area stations, and every
        gap (`findings`: no main station, a township without its station, an area station serving no grid)."""
        with runtime().db.reads() as session:
            return station_rules.network(session)


@stations.route("/<uuid:station_id>")
class StationById(MethodView):
    @requires("roster:read")
    @stations.response(200, StationOut)
    def get(self, station_id):
        """One liaison station."""
        with runtime().db.reads() as session:
            return handlers.get_station(session, str(station_id))

    @requires("roster:admin")
    @stations.arguments(StationPatch(partial=True), example={"opening_hours": "周一至周六 8:30-17:30"})
    @stations.response(200, StationOut)
    def patch(self, changes, station_id):
        """Change a station (address, hours, grids served); emits station.updated."""
        if grid_scope() is not None:
            with runtime().db.reads() as session:
                served = handlers.get_station(session, str(station_id)).grid_ids
            _in_scope(*served, *changes.get("grid_ids", []), what="station's grid")
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.update_station(uow, str(station_id), changes)
