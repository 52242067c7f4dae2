"""Reads of micro livelihood projects (民生微实事): one project with its history and ratings, lists, link tokens."""
from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from wangge_common.errors import NotFound

from ..domain import projects as rules
from ..models import Deputy, Grid, Project, ProjectCase, ProjectRating, ProjectStep


def rating_serializer(secret: str) -> URLSafeSerializer:
    """Signs and reads the one-time project rating link tokens."""
    return URLSafeSerializer(secret, salt="wangge.project-rating")


def get(session, project_id: str, *, lock: bool = False) -> Project:
    query = select(Project).where(Project.project_id == project_id)
    found = session.scalars(query.with_for_update() if lock else query).first()
    if found is None:
        raise NotFound(f"no project {project_id}")
    return found


def by_code(session, code: str) -> Project:
    found = session.scalars(select(Project).where(Project.code == code.strip().upper())).first()
    if found is None:
        raise NotFound(f"no project {code}")
    return found


def rating_by_token(session, token: str, secret: str, *, lock: bool = False) -> ProjectRating:
    try:
        payload = rating_serializer(secret).loads(token)
    except BadSignature:
        raise NotFound("this rating link is not valid") from None
    query = select(ProjectRating).where(ProjectRating.id == str(payload.get("r")))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(query).first()
    if found is None:
        raise NotFound("this rating link is not valid")
    return found


def case_ids_of(session, project_id: str) -> list[str]:
    return list(session.scalars(select(ProjectCase.case_id).where(ProjectCase.project_id == project_id)
                                .order_by(ProjectCase.case_id)))


def out(session, project: Project, *, public: bool = False) -> dict:
    """A project as its page shows it; `public` leaves out what only staff see (the linked cases)."""
    grid = session.get(Grid, project.grid_id)
    deputy = session.get(Deputy, project.deputy_id)
    ratings = [r for (r,) in session.execute(select(ProjectRating.rating).where(
        ProjectRating.project_id == project.project_id, ProjectRating.rating.is_not(None)))]
    steps = session.scalars(select(ProjectStep).where(ProjectStep.project_id == project.project_id)
                            .order_by(ProjectStep.at, ProjectStep.id)).all()
    body = {"project_id": project.project_id, "code": project.code, "grid_id": project.grid_id,
            "grid_name": grid.name if grid else None, "township_id": project.township_id,
            "deputy_id": project.deputy_id, "deputy_name": deputy.name if deputy else None, "title": project.title,
            "description": project.description, "budget_yuan": project.budget_yuan,
            "funded_yuan": project.funded_yuan, "state": project.state, "percent": project.percent,
            "result": project.result, "proposed_at": project.proposed_at, "completed_at": project.completed_at,
            "ratings": rules.rating_summary(ratings),
            "steps": [{"action": s.action, "note": s.note, "percent": s.percent, "at": s.at,
                       **({} if public else {"actor": s.actor})} for s in steps]}
    if not public:
        body["case_ids"] = case_ids_of(session, project.project_id)
    return body


def list_projects(session, *, state=None, grid_ids=None, township_id=None, deputy_id=None):
    query = select(Project).order_by(Project.proposed_at.desc(), Project.project_id)
    if state:
        query = query.where(Project.state == state)
    if grid_ids is not None:
        query = query.where(Project.grid_id.in_(grid_ids))
    if township_id:
        query = query.where(Project.township_id == str(township_id))
    if deputy_id:
        query = query.where(Project.deputy_id == str(deputy_id))
    return query
