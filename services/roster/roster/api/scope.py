"""Data scope: a person limited to grids (township staff) changes the roster of their own grids only."""
from __future__ import annotations

from wangge_common.auth import grid_scope, require_grid
from wangge_common.http import runtime

from ..queries.deputies import get_deputy


def in_scope(*grid_ids, what: str = "grid") -> None:
    """A person limited to grids (township staff) changes the roster of their own grids only (403 otherwise)."""
    if grid_scope() is None:
        return
    named = [str(g) for g in grid_ids if g]
    if not named:
        require_grid(None, what)
    for grid_id in named:
        require_grid(grid_id, what)


def deputy_in_scope(deputy_id: str, changes: dict | None = None) -> None:
    if grid_scope() is None:
        return
    with runtime().db.reads() as session:
        deputy = get_deputy(session, deputy_id)
    if not ({deputy.home_grid_id, deputy.work_grid_id} & set(grid_scope())):
        require_grid(None, "deputy")
    moved = [changes[k] for k in ("home_grid_id", "work_grid_id") if (changes or {}).get(k)]
    if moved:
        in_scope(*moved, what="deputy's grid")
