"""Roster commands: each validates against the stored roster, writes, and emits its event in one unit of work."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from wangge_common.errors import Conflict, Invalid, NotFound
from wangge_common.outbox import UnitOfWork

from . import domain
from .models import Deputy, Grid


def grid_event(grid: Grid) -> dict:
    return {"grid_id": grid.id, "code": grid.code, "name": grid.name, "level": grid.level,
            "parent_id": grid.parent_id, "kind": grid.kind, "households": grid.households,
            "population": grid.population, "difficulty": grid.difficulty, "leader": grid.leader}


def deputy_event(deputy: Deputy) -> dict:
    return {"deputy_id": deputy.id, "kind": deputy.kind, "name": deputy.name, "gender": deputy.gender,
            "level": deputy.level, "position": deputy.position, "constituency": deputy.constituency,
            "home_grid_id": deputy.home_grid_id, "work_grid_id": deputy.work_grid_id,
            "specialities": list(deputy.specialities or []), "capability": deputy.capability, "status": deputy.status}


def create_grid(uow: UnitOfWork, data: dict) -> Grid:
    """Add a grid to the tree (网格设立) and emit grid.created."""
    session = uow.session
    parent_id = str(data["parent_id"]) if data.get("parent_id") else None
    parent_level = None
    if parent_id:
        parent = session.get(Grid, parent_id)
        if parent is None:
            raise Invalid([("parent_id", f"no grid {parent_id}")])
        parent_level = parent.level
    problem = domain.check_grid_placement(data["level"], parent_level)
    if problem:
        raise Invalid([("parent_id" if data["level"] > 1 or parent_id else "level", problem)])
    if session.scalar(select(Grid.id).where(Grid.code == data["code"])):
        raise Conflict(f"a grid with code {data['code']!r} exists")
    grid = Grid(id=str(uuid.uuid4()), **{**data, "parent_id": parent_id})
    session.add(grid)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent request took the code between the check and the insert
        raise Conflict(f"a grid with code {data['code']!r} exists") from None
    uow.emit("grid.created", grid.id, grid_event(grid), new_subject=True)
    return grid


def get_grid(session, grid_id: str) -> Grid:
    grid = session.get(Grid, grid_id)
    if grid is None:
        raise NotFound(f"no grid {grid_id}")
    return grid


def list_grids(session, *, level=None, parent_id=None, page=1, page_size=100) -> dict:
    query = select(Grid)
    if level is not None:
        query = query.where(Grid.level == level)
    if parent_id is not None:
        query = query.where(Grid.parent_id == str(parent_id))
    return _page(session, query.order_by(Grid.code), page, page_size)


def _check_grid_refs(session, data: dict) -> None:
    errors = []
    for name in ("home_grid_id", "work_grid_id"):
        if data.get(name) is not None:
            data[name] = str(data[name])
            if session.get(Grid, data[name]) is None:
                errors.append((name, f"no grid {data[name]}"))
    if errors:
        raise Invalid(errors)


def register_deputy(uow: UnitOfWork, data: dict) -> Deputy:
    """Add a deputy or party delegate to the roster and emit deputy.registered."""
    _check_grid_refs(uow.session, data)
    deputy = Deputy(id=str(uuid.uuid4()), **data)
    uow.session.add(deputy)
    uow.session.flush()
    uow.emit("deputy.registered", deputy.id, deputy_event(deputy), new_subject=True)
    return deputy


def update_deputy(uow: UnitOfWork, deputy_id: str, changes: dict) -> Deputy:
    """Change a deputy's fields; the event carries the whole new state."""
    deputy = get_deputy(uow.session, deputy_id)
    _check_grid_refs(uow.session, changes)
    display = changes.get("phone_display", deputy.phone_display)
    office = changes.get("office_phone", deputy.office_phone)
    if display == "office" and not office:
        raise Invalid([("office_phone", "is required when phone_display is 'office'")])
    start, end = changes.get("term_start", deputy.term_start), changes.get("term_end", deputy.term_end)
    if start and end and end < start:
        raise Invalid([("term_end", f"must not be before term_start ({start.isoformat()})")])
    for name, value in changes.items():
        setattr(deputy, name, value)
    uow.session.flush()
    uow.emit("deputy.updated", deputy.id, deputy_event(deputy))
    return deputy


def get_deputy(session, deputy_id: str) -> Deputy:
    deputy = session.get(Deputy, deputy_id)
    if deputy is None:
        raise NotFound(f"no deputy {deputy_id}")
    return deputy


def list_deputies(session, *, level=None, status=None, grid_id=None, page=1, page_size=100) -> dict:
    query = select(Deputy)
    if level:
        query = query.where(Deputy.level == level)
    if status:
        query = query.where(Deputy.status == status)
    if grid_id:
        query = query.where((Deputy.home_grid_id == str(grid_id)) | (Deputy.work_grid_id == str(grid_id)))
    return _page(session, query.order_by(Deputy.name, Deputy.id), page, page_size)


def _page(session, query, page: int, page_size: int) -> dict:
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": items, "total": total, "page": page, "page_size": page_size}
