"""Micro livelihood projects (民生微实事): the steps of a project.

Each step is an event on cases.v1 keyed by the project id: `project.proposed`, `project.reviewed` (the township
congress), `project.funding_decided` (the city), `project.progressed`, `project.completed` (the result, publicised on
the grid's board; notify tells the linked cases' reporters and sends each a one-time rating link) and
`project.rated`. A project's history is kept step by step (project_steps), never rewritten.
"""
from __future__ import annotations

import secrets
import uuid

from sqlalchemy import func, select

from wangge_common import clock
from wangge_common.db import utcnow
from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from ..domain import projects as rules
from ..models import Deputy, Grid, GridDeputy, Project, ProjectCase, ProjectRating, RoutedCase, ProjectStep
from ..queries.projects import case_ids_of, get, rating_by_token, rating_serializer
from .evaluation import Gone

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from a poster


def _ancestors(session, grid_id: str) -> list[str]:
    """The grid and the grids above it, nearest first (roster's three levels)."""
    chain, seen = [], set()
    current = grid_id
    while current and current not in seen:
        seen.add(current)
        chain.append(current)
        current = session.scalar(select(Grid.parent_id).where(Grid.grid_id == current))
    return chain


def _township(session, grid_id: str) -> str | None:
    for gid in _ancestors(session, grid_id):
        if session.scalar(select(Grid.level).where(Grid.grid_id == gid)) == 1:
            return gid
    return None


def _step(uow: UnitOfWork, project: Project, action: str, note: str | None = None, percent: int | None = None):
    uow.session.add(ProjectStep(id=str(uuid.uuid4()), project_id=project.project_id, action=action, actor=uow.actor,
                                note=note, percent=percent))


def _move(project: Project, action: str) -> None:
    try:
        project.state = rules.next_state(project.state, action)
    except rules.StepRefused as exc:
        raise Conflict(str(exc)) from None
    project.updated_at = utcnow()


def propose(uow: UnitOfWork, data: dict) -> Project:
    """A deputy proposes a project for a grid from cases collected there; emits project.proposed."""
    session = uow.session
    grid_id, deputy_id = str(data["grid_id"]), str(data["deputy_id"])
    problems = []
    if session.get(Grid, grid_id) is None:
        problems.append(("grid_id", "no such grid"))
    deputy = session.get(Deputy, deputy_id)
    if deputy is None or deputy.status != "serving":
        problems.append(("deputy_id", "no serving deputy with this id"))
    elif grid_id and not session.scalar(select(func.count()).select_from(GridDeputy).where(
            GridDeputy.deputy_id == deputy_id, GridDeputy.grid_id.in_(_ancestors(session, grid_id)))):
        problems.append(("deputy_id", "the deputy does not serve this grid or a grid above it"))
    case_ids = list(dict.fromkeys(str(c) for c in data["case_ids"]))
    chains: dict[str, list[str]] = {}  # a grid's walk up the tree, once per grid however many of its cases

    def above(case_grid: str) -> list[str]:
        if case_grid not in chains:
            chains[case_grid] = _ancestors(session, case_grid)
        return chains[case_grid]
    for i, case_id in enumerate(case_ids):
        case = session.get(RoutedCase, case_id)
        if case is None:
            problems.append((f"case_ids.{i}", "no such case"))
        elif grid_id not in above(case.grid_id):
            problems.append((f"case_ids.{i}", "the case is not in the project's grid or a grid under it"))
        elif session.scalar(select(Project.code).join(ProjectCase, ProjectCase.project_id == Project.project_id)
                            .where(ProjectCase.case_id == case_id, Project.state != "refused")):
            problems.append((f"case_ids.{i}", "the case already belongs to another project"))
    if problems:
        raise Invalid(problems)
    project = Project(project_id=str(uuid.uuid4()), code=_new_code(session), grid_id=grid_id,
                      township_id=_township(session, grid_id), deputy_id=deputy_id, title=data["title"].strip(),
                      description=data["description"].strip(), budget_yuan=data["budget_yuan"], state="proposed",
                      percent=0)
    session.add(project)
    session.add_all(ProjectCase(project_id=project.project_id, case_id=c) for c in case_ids)
    _step(uow, project, "propose", data.get("note"))
    session.flush()
    uow.emit("project.proposed", project.project_id, {
        "project_id": project.project_id, "code": project.code, "grid_id": grid_id,
        "township_id": project.township_id, "deputy_id": deputy_id, "title": project.title,
        "budget_yuan": project.budget_yuan, "case_ids": case_ids}, new_subject=True)
    return project


def _new_code(session) -> str:
    while True:
        code = "MS" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if session.scalar(select(Project.project_id).where(Project.code == code)) is None:
            return code


def review(uow: UnitOfWork, project_id: str, data: dict) -> Project:
    """The township congress approves the project for funding, or refuses it with a reason; emits
    project.reviewed."""
    project = get(uow.session, project_id, lock=True)
    _move(project, "approve" if data["decision"] == "approved" else "refuse")
    _step(uow, project, f"review:{data['decision']}", data["reason"])
    uow.emit("project.reviewed", project.project_id, {"project_id": project.project_id,
                                                      "decision": data["decision"], "reason": data["reason"]})
    return project


def decide_funding(uow: UnitOfWork, project_id: str, data: dict) -> Project:
    """The city funds the project (at most its budget) or refuses; emits project.funding_decided."""
    project = get(uow.session, project_id, lock=True)
    amount = data.get("amount_yuan")
    if data["decision"] == "funded":
        if amount is None:
            raise Invalid([("amount_yuan", "required when the project is funded")])
        problems = rules.funding_problems(project.budget_yuan, amount)
        if problems:
            raise Invalid(problems)
        _move(project, "fund")
        project.funded_yuan = amount
    else:
        _move(project, "refuse_funding")
        amount = None
    _step(uow, project, f"funding:{data['decision']}", data["reason"])
    uow.emit("project.funding_decided", project.project_id, {
        "project_id": project.project_id, "decision": data["decision"], "amount_yuan": amount,
        "reason": data["reason"]})
    return project


def progress(uow: UnitOfWork, project_id: str, data: dict) -> Project:
    """Implementation progress (percent and a public note); emits project.progressed."""
    project = get(uow.session, project_id, lock=True)
    problems = rules.progress_problems(project.percent, data["percent"])
    if problems:
        raise Invalid(problems)
    _move(project, "progress")
    project.percent = data["percent"]
    _step(uow, project, "progress", data["note"], data["percent"])
    uow.emit("project.progressed", project.project_id, {"project_id": project.project_id,
                                                        "percent": data["percent"], "note": data["note"]})
    return project


def complete(uow: UnitOfWork, project_id: str, data: dict, secret: str) -> Project:
    """The result: publicised on the grid's board; each linked case's reporter gets a one-time rating link (sent
    encrypted for notify, as a case's evaluation link is); emits project.completed."""
    session = uow.session
    project = get(session, project_id, lock=True)
    _move(project, "complete")
    now = utcnow()
    project.percent, project.result, project.completed_at = 100, data["result"].strip(), now
    _step(uow, project, "complete", project.result, 100)
    cipher, links = uow.runtime.state.cipher, []
    expires = now + uow.runtime.state.policy.rating_window * 2  # a project's result takes longer to see than an answer
    for case_id in case_ids_of(session, project.project_id):
        rating = ProjectRating(id=str(uuid.uuid4()), project_id=project.project_id, case_id=case_id, issued_at=now,
                               expires_at=expires)
        session.add(rating)
        token = rating_serializer(secret).dumps({"r": rating.id})
        links.append({"case_id": case_id, "token_encrypted": cipher.encrypt(token)})
    uow.emit("project.completed", project.project_id, {
        "project_id": project.project_id, "code": project.code, "grid_id": project.grid_id, "title": project.title,
        "result": project.result, "funded_yuan": project.funded_yuan, "case_ids": [l["case_id"] for l in links],
        "rating_links": links, "expires_at": clock.wire_time(expires)})
    return project


def rate(uow: UnitOfWork, token: str, rating: str, secret: str) -> ProjectRating:
    """A reporter rates the completed project once; emits project.rated."""
    found = rating_by_token(uow.session, token, secret, lock=True)
    if found.used_at is not None:
        raise Conflict("this rating link was already used", errors=[{"field": "token", "reason": "used"}])
    if utcnow() >= found.expires_at:
        raise Gone("this rating link has expired")
    found.used_at, found.rating = utcnow(), rating
    uow.emit("project.rated", found.project_id, {"project_id": found.project_id, "case_id": found.case_id,
                                                 "rating": rating})
    return found


