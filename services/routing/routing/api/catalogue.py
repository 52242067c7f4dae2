"""The dispatch catalogue (派单目录) and the deadline rules (办理时限): versioned lines, edited by routing's admins."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import requires
from wangge_common.http import runtime

from .. import queries
from ..commands import catalogue
from ..schemas.catalogue import (CatalogueQuery, DeadlineRuleIn, DeadlineRuleOut, DispatchRuleIn, DispatchRuleOut,
                                 RetireQuery)
from .common import unit_of_work

rules = Blueprint("dispatch_rules", __name__, url_prefix="/v1/dispatch-rules",
                  description="The dispatch catalogue (派单目录): department × category/topic × level, versioned")
deadlines = Blueprint("deadline_rules", __name__, url_prefix="/v1/deadline-rules",
                      description="Deadlines (办理时限) by category, topic and urgency, versioned")


def _versioned(blp: Blueprint, kind: str, schema_in, schema_out, what: str):
    """List / add / revise / retire / history endpoints of a versioned rule table."""

    class Lines(MethodView):
        @requires("cases:read")
        @blp.arguments(CatalogueQuery, location="query")
        @blp.response(200, schema_out(many=True))
        def get(self, query):
            with runtime().db.sessions() as session:
                return queries.list_lines(session, kind, **query)

        @requires("routing:admin")
        @blp.arguments(schema_in, example=schema_in.Meta.example)
        @blp.response(201, schema_out)
        def post(self, data):
            with unit_of_work() as uow:
                line = catalogue.create_line(uow, kind, data)
            runtime().state.catalogue.forget()
            return line

    class Line(MethodView):
        @requires("cases:read")
        @blp.response(200, schema_out)
        def get(self, line_id):
            with runtime().db.sessions() as session:
                return queries.get_line(session, kind, line_id)

        @requires("routing:admin")
        @blp.arguments(schema_in, example=schema_in.Meta.example)
        @blp.response(200, schema_out)
        @blp.alt_response(409, description="the line is a retired version")
        def put(self, data, line_id):
            with unit_of_work() as uow:
                line = catalogue.revise_line(uow, kind, line_id, data)
            runtime().state.catalogue.forget()
            return line

        @requires("routing:admin")
        @blp.arguments(RetireQuery, location="query")
        @blp.response(200, schema_out)
        @blp.alt_response(409, description="the line is already retired")
        def delete(self, query, line_id):
            with unit_of_work() as uow:
                line = catalogue.retire_line(uow, kind, line_id, query["reason"])
            runtime().state.catalogue.forget()
            return line

    class History(MethodView):
        @requires("cases:read")
        @blp.response(200, schema_out(many=True))
        def get(self, line_id):
            with runtime().db.sessions() as session:
                return queries.line_history(session, kind, line_id)

    Lines.get.__doc__ = f"The active {what} (include_retired=true: every version)."
    Lines.post.__doc__ = f"Add a {what} line."
    Line.get.__doc__ = f"One {what} line (any version)."
    Line.put.__doc__ = f"Revise a {what} line: the old version is retired and kept; answers the new version."
    Line.delete.__doc__ = f"Retire a {what} line (kept in the history) with a reason."
    History.get.__doc__ = f"Every version of a {what} line, oldest first."
    blp.route("")(Lines)
    blp.route("/<int:line_id>")(Line)
    blp.route("/<int:line_id>/history")(History)


_versioned(rules, "dispatch", DispatchRuleIn, DispatchRuleOut, "dispatch catalogue (派单目录)")


_versioned(deadlines, "deadline", DeadlineRuleIn, DeadlineRuleOut, "deadline rules (办理时限)")
