"""Reads of the grid tree (网格)."""
from __future__ import annotations

from sqlalchemy import select

from wangge_common.errors import NotFound
from wangge_common.paging import paginate

from ..models import Grid


def get_grid(session, grid_id: str) -> Grid:
    grid = session.get(Grid, grid_id)
    if grid is None:
        raise NotFound(f"no grid {grid_id}")
    return grid


def subtree_ids(session, root_id) -> set[str]:
    """A grid and every grid under it (one read of the tree's edges)."""
    children: dict = {}
    for grid_id, parent_id in session.execute(select(Grid.id, Grid.parent_id)):
        children.setdefault(parent_id, []).append(grid_id)
    found, stack = set(), [str(root_id)]
    while stack:
        grid_id = stack.pop()
        found.add(grid_id)
        stack += children.get(grid_id, [])
    return found


def contains_pattern(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its % and _ taken literally (with escape="\\")."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_grids(session, *, level=None, parent_id=None, under=None, q=None, page=1, page_size=100) -> dict:
    query = select(Grid)
    if under is not None:
        query = query.where(Grid.id.in_(subtree_ids(session, under)))
    if q:
        pattern = contains_pattern(q)
        query = query.where(Grid.name.like(pattern, escape="\\") | Grid.code.like(pattern, escape="\\")
                            | (Grid.external_id == q))
    if level is not None:
        query = query.where(Grid.level == level)
    if parent_id is not None:
        query = query.where(Grid.parent_id == str(parent_id))
    return paginate(session, query.order_by(Grid.code), page, page_size)
