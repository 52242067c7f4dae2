"""Commands on the grid tree (网格): each validates against the stored tree, writes, and emits its event."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import Grid
from ..queries.grids import get_grid
from .identity import check_external_id


def grid_event(grid: Grid) -> dict:
    return {"grid_id": grid.id, "code": grid.code, "name": grid.name, "level": grid.level,
            "parent_id": grid.parent_id, "kind": grid.kind, "households": grid.households,
            "population": grid.population, "difficulty": grid.difficulty, "leader": grid.leader,
            "latitude": grid.latitude, "longitude": grid.longitude}


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
    check_external_id(session, Grid, data.get("external_id"))
    grid = Grid(id=str(uuid.uuid4()), **{**data, "parent_id": parent_id})
    session.add(grid)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent request took the code between the check and the insert
        raise Conflict(f"a grid with code {data['code']!r} exists") from None
    uow.emit("grid.created", grid.id, grid_event(grid), new_subject=True)
    return grid


def update_grid(uow: UnitOfWork, grid_id: str, changes: dict) -> Grid:
    """Change a grid; a new parent is checked against the tree (no cycles, one level down); emits grid.updated."""
    session = uow.session
    grid = get_grid(session, grid_id)
    if "code" in changes and changes["code"] != grid.code and session.scalar(
            select(Grid.id).where(Grid.code == changes["code"])):
        raise Conflict(f"a grid with code {changes['code']!r} exists")
    if "external_id" in changes:
        check_external_id(session, Grid, changes["external_id"], grid.id)
    if "parent_id" in changes or "level" in changes:
        changes["parent_id"] = _check_move(session, grid, changes)
    changes = {name: value for name, value in changes.items() if getattr(grid, name) != value}
    if not changes:
        return grid  # nothing changed: no event (a re-imported export, say)
    for name, value in changes.items():
        setattr(grid, name, value)
    session.flush()
    uow.emit("grid.updated", grid.id, grid_event(grid))
    return grid


def _check_move(session, grid: Grid, changes: dict) -> str | None:
    """A grid's new parent or level checked against the tree: the parent exists, is no descendant of the grid,
    sits one level up, and the grid's children stay one level down; the new parent id."""
    raw_parent = changes.get("parent_id", grid.parent_id)
    parent_id = str(raw_parent) if raw_parent else None
    level = changes.get("level", grid.level)
    parent = session.get(Grid, parent_id) if parent_id else None
    if parent_id and parent is None:
        raise Invalid([("parent_id", f"no grid {parent_id}")])
    ancestor = parent
    while ancestor is not None:  # walking up from the new parent must never reach the grid itself
        if ancestor.id == grid.id:
            raise Invalid([("parent_id", "would make the grid its own ancestor (a cycle in the tree)")])
        ancestor = session.get(Grid, ancestor.parent_id) if ancestor.parent_id else None
    problem = domain.check_grid_placement(level, parent.level if parent else None)
    if problem:
        raise Invalid([("parent_id", problem)])
    child = session.scalar(select(Grid).where(Grid.parent_id == grid.id).limit(1))
    if child is not None and child.level != level + 1:
        raise Invalid([("level", f"the grid has children of level {child.level}; "
                                 f"it must stay level {child.level - 1}")])
    return parent_id
