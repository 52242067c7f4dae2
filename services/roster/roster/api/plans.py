"""Assignment plans (派驻方案) and the coverage report, version 1."""
from __future__ import annotations

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, grid_scope, require_grid, requires
from wangge_common.http import runtime
from wangge_common.paging import page_of

from ..commands import plan_edits
from ..commands import plans as commands
from ..queries import plans as queries
from ..schemas.plans import (AssignmentOut, AssignmentQuery, CoverageQuery, PlanGridChangeOut, PlanGridEdit, PlanIn,
                             PlanOut, PlanQuery)


blp = Blueprint("assignment-plans", __name__, url_prefix="/v1",
                description="Assignment plans (派驻方案): draft → approved → published; coverage report")


def require_plan_scope(session, plan_id: str) -> None:
    """A person limited to grids acts only on plans of a scope inside them (403 otherwise)."""
    if grid_scope() is not None:
        require_grid(queries.get_plan(session, plan_id).scope_grid_id, "plan's scope")


@blp.route("/assignment-plans")
class Plans(MethodView):
    @requires("roster:read")
    @blp.arguments(PlanQuery, location="query")
    @blp.response(200, page_of(PlanOut))
    def get(self, query):
        """List plans, newest first (without their grids)."""
        with runtime().db.reads() as session:
            return queries.list_plans(session, **query)

    @requires("roster:admin")
    @blp.arguments(PlanIn, example={"scope_grid_id": "6f1c2d4e-0000-4000-8000-000000000000",
                                     "rules": {"min_per_grid": 1, "max_per_grid": 3, "max_load": 1}})
    @blp.response(201, PlanOut)
    def post(self, data):
        """Compute a draft plan for a township or the county; when a hard rule cannot be met, `feasible` is
        false and `violations` names each failing grid or deputy and why."""
        if grid_scope() is not None:  # a township's person plans their own township only
            require_grid(data.get("scope_grid_id"), "plan's scope")
        with runtime().unit_of_work(actor=actor()) as uow:
            plan = commands.create_plan(uow, data)
            return queries.plan_view(uow.session, plan)


@blp.route("/assignment-plans/<uuid:plan_id>")
class PlanById(MethodView):
    @requires("roster:read")
    @blp.response(200, PlanOut)
    def get(self, plan_id):
        """One plan with every grid and its deputies."""
        with runtime().db.reads() as session:
            return queries.plan_view(session, queries.get_plan(session, str(plan_id)))


@blp.route("/assignment-plans/<uuid:plan_id>/grids/<uuid:grid_id>")
class PlanGrid(MethodView):
    @requires("roster:admin")
    @blp.arguments(PlanGridEdit, example={"deputy_ids": ["d0000000-0000-4000-8000-000000000007"]})
    @blp.response(200, PlanOut)
    @blp.doc(parameters=[{"in": "header", "name": "Prefer", "required": False, "schema": {"type": "string"},
                          "description": "`return=minimal`: answer only what changed (PlanGridChangeOut)"}],
             responses={"200": {"content": {"application/json": {"schema": {"oneOf": [
                 PlanOut, PlanGridChangeOut]}}}}})
    def put(self, data, plan_id, grid_id):
        """Set the deputies of one grid in a draft by hand; the rules that grid and the deputies who joined or
        left it can break are checked again (the plan's other violations stay). The answer is the whole plan, or
        with `Prefer: return=minimal` only what changed: the grid, and the violations and warnings added and
        removed (`Preference-Applied: return=minimal`)."""
        minimal = "return=minimal" in request.headers.get("Prefer", "").replace(" ", "")
        with runtime().unit_of_work(actor=actor()) as uow:
            require_plan_scope(uow.session, str(plan_id))
            plan, change = plan_edits.edit_plan_grid(uow, str(plan_id), str(grid_id), data["deputy_ids"])
            if not minimal:
                return queries.plan_view(uow.session, plan)
        response = jsonify(PlanGridChangeOut().dump(change))
        response.headers["Preference-Applied"] = "return=minimal"
        return response


@blp.route("/assignment-plans/<uuid:plan_id>/submit")
class PlanSubmission(MethodView):
    @requires("roster:admin")
    @blp.response(200, PlanOut)
    def post(self, plan_id):
        """Submit a draft that meets every hard rule for approval; the submitter is recorded and the plan is no
        longer edited by hand."""
        with runtime().unit_of_work(actor=actor()) as uow:
            require_plan_scope(uow.session, str(plan_id))
            return queries.plan_view(uow.session, commands.submit_plan(uow, str(plan_id)), with_grids=False)


@blp.route("/assignment-plans/<uuid:plan_id>/approve")
class PlanApproval(MethodView):
    @requires("roster:approve")
    @blp.response(200, PlanOut)
    def post(self, plan_id):
        """Approve a draft or submitted plan that meets every hard rule; the approver is recorded (emits
        assignment_plan.approved). A person who drafted or submitted the plan cannot approve it (403)."""
        with runtime().unit_of_work(actor=actor()) as uow:
            require_plan_scope(uow.session, str(plan_id))
            return queries.plan_view(uow.session, commands.approve_plan(uow, str(plan_id)), with_grids=False)


@blp.route("/assignment-plans/<uuid:plan_id>/publish")
class PlanPublication(MethodView):
    @requires("roster:approve")
    @blp.response(200, PlanOut)
    def post(self, plan_id):
        """Publish an approved plan: assignment.published for every grid, assignment.ended for each leaver."""
        with runtime().unit_of_work(actor=actor()) as uow:
            require_plan_scope(uow.session, str(plan_id))
            return queries.plan_view(uow.session, commands.publish_plan(uow, str(plan_id)), with_grids=False)


@blp.route("/coverage")
class Coverage(MethodView):
    @requires("roster:read")
    @blp.arguments(CoverageQuery, location="query")
    @blp.response(200, description="JSON by township; `format=csv` gives one line per finding")
    @blp.doc(responses={"200": {"content": {"application/json": {"schema": {"type": "object"}},
                                            "text/csv": {"schema": {"type": "string"}}}}})
    def get(self, query):
        """Coverage of the published assignments: grids without a deputy or a township-level deputy, deputies
        without a grid or over load, per township."""
        fmt = query.pop("format")
        with runtime().db.reads() as session:
            report = queries.coverage(session, township_id=str(query["township_id"]) if query.get("township_id")
                                    else None, max_load=query["max_load"])
        if fmt == "csv":
            return Response(queries.coverage_csv(report), mimetype="text/csv",
                            headers={"Content-Disposition": 'attachment; filename="coverage.csv"'})
        return report


@blp.route("/assignments")
class Assignments(MethodView):
    @requires("roster:read")
    @blp.arguments(AssignmentQuery, location="query")
    @blp.response(200, page_of(AssignmentOut))
    def get(self, query):
        """Who serves (and served) where: live and ended assignments, by grid or deputy, newest first."""
        with runtime().db.reads() as session:
            return queries.list_assignments(session, **query)
