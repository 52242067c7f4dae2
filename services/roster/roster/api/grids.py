"""Grids (网格) and their public notice (公示), version 1."""
from __future__ import annotations

from flask import Response, render_template, request
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, public, requires
from wangge_common.http import runtime
from wangge_common.paging import page_of

from ..commands import grids as commands
from ..queries import grids as queries
from ..queries import notice
from ..schemas.grids import GridIn, GridOut, GridPatch, GridQuery, NoticeOut, NoticeQuery
from .scope import in_scope


grids = Blueprint("grids", __name__, url_prefix="/v1/grids", description="Grids (网格): the three-level tree")


@grids.route("")
class Grids(MethodView):
    @requires("roster:read")
    @grids.arguments(GridQuery, location="query")
    @grids.response(200, page_of(GridOut))
    def get(self, query):
        """List grids, by level or parent."""
        with runtime().db.reads() as session:
            return queries.list_grids(session, **query)

    @requires("roster:admin")
    @grids.arguments(GridIn, example={"code": "SS-01-02-03", "name": "韶山村第三村民小组", "level": 3,
                                      "parent_id": "6f1c2d4e-0000-4000-8000-000000000000",
                                      "kind": "rural_village", "households": 260, "population": 830,
                                      "difficulty": 2, "leader": "毛建国", "workers": ["李小芳"]})
    @grids.response(201, GridOut)
    def post(self, data):
        """Create a grid; emits grid.created. A person limited to grids creates grids under their own."""
        in_scope(data.get("parent_id"), what="parent grid")
        with runtime().unit_of_work(actor=actor()) as uow:
            return commands.create_grid(uow, data)


@grids.route("/<uuid:grid_id>")
class GridById(MethodView):
    @requires("roster:read")
    @grids.response(200, GridOut)
    def get(self, grid_id):
        """One grid."""
        with runtime().db.reads() as session:
            return queries.get_grid(session, str(grid_id))

    @requires("roster:admin")
    @grids.arguments(GridPatch(partial=True), example={"households": 280, "leader": "毛建国"})
    @grids.response(200, GridOut)
    def patch(self, changes, grid_id):
        """Change a grid; a new parent is checked (no cycles, one level down); emits grid.updated."""
        in_scope(grid_id, *([changes["parent_id"]] if changes.get("parent_id") else []))
        with runtime().unit_of_work(actor=actor()) as uow:
            return commands.update_grid(uow, str(grid_id), changes)


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
