"""Roster HTTP API, version 1."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, requires
from wangge_common.http import runtime

from . import handlers
from wangge_common.schemas import page_of

from .schemas import DeputyIn, DeputyOut, DeputyPatch, DeputyQuery, GridIn, GridOut, GridQuery

grids = Blueprint("grids", __name__, url_prefix="/v1/grids", description="Grids (网格): the three-level tree")
deputies = Blueprint("deputies", __name__, url_prefix="/v1/deputies",
                     description="Deputies (人大代表) and party delegates (党代表)")


@grids.route("")
class Grids(MethodView):
    @requires("roster:read")
    @grids.arguments(GridQuery, location="query")
    @grids.response(200, page_of(GridOut))
    def get(self, query):
        """List grids, by level or parent."""
        with runtime().db.sessions() as session:
            return handlers.list_grids(session, **query)

    @requires("roster:admin")
    @grids.arguments(GridIn)
    @grids.response(201, GridOut)
    def post(self, data):
        """Create a grid; emits grid.created."""
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.create_grid(uow, data)


@grids.route("/<uuid:grid_id>")
class GridById(MethodView):
    @requires("roster:read")
    @grids.response(200, GridOut)
    def get(self, grid_id):
        """One grid."""
        with runtime().db.sessions() as session:
            return handlers.get_grid(session, str(grid_id))


@deputies.route("")
class Deputies(MethodView):
    @requires("roster:read")
    @deputies.arguments(DeputyQuery, location="query")
    @deputies.response(200, page_of(DeputyOut))
    def get(self, query):
        """List deputies, by level, status or grid."""
        with runtime().db.sessions() as session:
            return handlers.list_deputies(session, **query)

    @requires("roster:admin")
    @deputies.arguments(DeputyIn)
    @deputies.response(201, DeputyOut)
    def post(self, data):
        """Register a deputy; emits deputy.registered."""
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.register_deputy(uow, data)


@deputies.route("/<uuid:deputy_id>")
class DeputyById(MethodView):
    @requires("roster:read")
    @deputies.response(200, DeputyOut)
    def get(self, deputy_id):
        """One deputy; the mobile number is shown masked."""
        with runtime().db.sessions() as session:
            return handlers.get_deputy(session, str(deputy_id))

    @requires("roster:admin")
    @deputies.arguments(DeputyPatch(partial=True))
    @deputies.response(200, DeputyOut)
    def patch(self, changes, deputy_id):
        """Change a deputy; emits deputy.updated."""
        with runtime().unit_of_work(actor=actor()) as uow:
            return handlers.update_deputy(uow, str(deputy_id), changes)
