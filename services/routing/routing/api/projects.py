"""Micro livelihood projects (民生微实事), version 1: propose, review, fund, progress, complete; residents rate."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, grid_scope, public, require_grid, requires
from wangge_common.http import runtime
from wangge_common.paging import page_of, paged, paginate

from ..commands import projects as commands
from ..queries import projects
from ..schemas.projects import (CompleteIn, DecisionIn, FundingIn, ProgressIn, ProjectIn, ProjectOut,
                                ProjectQuery, RatingIn, RatingLinkOut)
from .common import link_secret as _secret

blp = Blueprint("projects", __name__, url_prefix="/v1/projects",
                description="Micro livelihood projects (民生微实事): a deputy proposes one from the cases they "
                            "collected; the township congress reviews; the city funds; progress; the result is "
                            "publicised and the linked cases' reporters rate it")
ratings = Blueprint("project-ratings", __name__, url_prefix="/v1/project-ratings",
                    description="Residents rate a completed micro livelihood project through their one-time link "
                                "(public; the token is the credential)")
def _in_scope(session, project) -> None:
    if grid_scope() is not None:
        require_grid(project.grid_id, "project")


def _show(project_id: str) -> dict:
    with runtime().db.sessions() as session:
        return projects.out(session, projects.get(session, project_id))


@blp.route("")
class Projects(MethodView):
    @requires("cases:read")
    @blp.arguments(ProjectQuery, location="query")
    @blp.response(200, page_of(ProjectOut))
    def get(self, query):
        """Projects, newest first; a person limited to grids sees their grids' projects only."""
        grids = grid_scope()
        if query.get("grid_id"):
            require_grid(query["grid_id"])
        with runtime().db.reads() as session:
            select_ = projects.list_projects(session, state=query.get("state"),
                                             grid_ids=[str(query["grid_id"])] if query.get("grid_id")
                                             else (sorted(grids) if grids is not None else None),
                                             township_id=query.get("township_id"), deputy_id=query.get("deputy_id"))
            return paginate(session, select_, **paged(query), each=lambda p: projects.out(session, p))

    @requires("cases:write")
    @blp.arguments(ProjectIn, example={"grid_id": "9a000000-0000-4000-8000-000000000003",
                                       "deputy_id": "0b7e3a9c-0000-4000-8000-000000000007",
                                       "title": "第一村民小组路灯安装", "description": "组道安装太阳能路灯 12 盏",
                                       "budget_yuan": 48000, "case_ids": ["c0000000-0000-4000-8000-000000000001"]})
    @blp.response(201, ProjectOut)
    def post(self, data):
        """A deputy proposes a project from cases they collected; emits project.proposed."""
        require_grid(data["grid_id"], "project's grid") if grid_scope() is not None else None
        with runtime().unit_of_work(actor=actor()) as uow:
            project_id = commands.propose(uow, data).project_id
        return _show(project_id)


@blp.route("/<uuid:project_id>")
class OneProject(MethodView):
    @requires("cases:read")
    @blp.response(200, ProjectOut)
    def get(self, project_id):
        """A project with its history, ratings and linked cases."""
        with runtime().db.reads() as session:
            project = projects.get(session, str(project_id))
            _in_scope(session, project)
            return projects.out(session, project)


def _step(name: str, schema, scope: str, command, doc: str, *, secret: bool = False):
    class Step(MethodView):
        @requires(scope)
        @blp.arguments(schema)
        @blp.response(200, ProjectOut)
        @blp.alt_response(409, description="the project is not in a state where this step can be taken")
        def post(self, data, project_id):
            with runtime().unit_of_work(actor=actor()) as uow:
                _in_scope(uow.session, projects.get(uow.session, str(project_id)))
                args = (uow, str(project_id), data) + ((_secret(),) if secret else ())
                command(*args)
            return _show(str(project_id))

    Step.post.__doc__ = doc
    Step.__name__ = f"Project{name.title().replace('-', '')}"
    blp.route(f"/<uuid:project_id>/{name}")(Step)


_step("review", DecisionIn, "cases:supervise", commands.review,
      "The township congress approves the project for funding or refuses it; emits project.reviewed.")
_step("funding", FundingIn, "projects:fund", commands.decide_funding,
      "The city funds the project (at most its budget) or refuses; emits project.funding_decided.")
_step("progress", ProgressIn, "cases:supervise", commands.progress,
      "Record implementation progress (percent below 100 and a public note); emits project.progressed.")
_step("complete", CompleteIn, "cases:supervise", commands.complete,
      "Record the result: publicised on the grid's board, and each linked case's reporter is sent a one-time "
      "rating link; emits project.completed.", secret=True)


def _rating_link(token: str) -> dict:
    from wangge_common.db import utcnow

    with runtime().db.sessions() as session:
        found = projects.rating_by_token(session, token, _secret())
        project = projects.get(session, found.project_id)
        status = "used" if found.used_at else "expired" if utcnow() >= found.expires_at else "open"
        return {"project": projects.out(session, project, public=True), "status": status, "rating": found.rating}


@ratings.route("/<string:token>")
class ProjectRatingByToken(MethodView):
    @public
    @ratings.response(200, RatingLinkOut)
    @ratings.alt_response(404, description="the link is not valid")
    def get(self, token):
        """The project the link is about (no personal data) and whether it can still be rated."""
        return _rating_link(token)

    @public
    @ratings.arguments(RatingIn, example={"rating": "satisfied"})
    @ratings.response(200, RatingLinkOut)
    @ratings.alt_response(404, description="the link is not valid")
    @ratings.alt_response(409, description="the link was already used")
    @ratings.alt_response(410, description="the link has expired")
    def post(self, data, token):
        """Rate the completed project once: satisfied, basically_satisfied or unsatisfied."""
        with runtime().unit_of_work(actor="resident:project-rating-link") as uow:
            commands.rate(uow, token, data["rating"], _secret())
        return _rating_link(token)
