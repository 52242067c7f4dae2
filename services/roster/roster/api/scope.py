"""Data scope: a person limited to grids (township staff) changes the roster of their own grids only."""
from __future__ import annotations

from wangge_common.auth import caller, grid_scope, own_deputy, require_grid
from wangge_common.errors import NotFound
from wangge_common.http import runtime

from ..queries.deputies import get_deputy
from ..queries.duties import deputy_grids
from ..queries.stations import get_station


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


def deputy_of_grids(session, deputy_id: str, what: str = "deputy") -> None:
    """A person limited to grids (a deputy, township staff) acts for the deputies who live, work or serve in those
    grids only; a deputy's token that names its deputy acts for that deputy alone, unless it also carries
    roster:admin (403 otherwise)."""
    mine = own_deputy()
    if mine is not None and str(deputy_id) != mine and not has_scope("roster:admin"):
        require_grid(None, what)  # 403: another deputy's duties are not this person's to record or read
    if grid_scope() is None:
        return
    if not (deputy_grids(session, get_deputy(session, deputy_id)) & set(grid_scope())):
        require_grid(None, what)


def has_scope(scope: str) -> bool:
    who = caller()
    return who is not None and scope in who.scopes


def place_in_scope(session, grid_id: str | None, station_id: str | None, what: str = "reception") -> None:
    """A reception at a grid is in scope with its grid; at a station, with the station's township or a grid the
    station serves (a community's 联络点 belongs to no township by tier, but serves the township's grids)."""
    if grid_scope() is None:
        return
    if grid_id:
        require_grid(grid_id, what)
        return
    try:
        station = get_station(session, station_id) if station_id else None
    except NotFound:
        station = None  # an unknown station is no place of theirs: 403, as for another township's
    places = [station.township_id, *(station.grid_ids or ())] if station is not None else []
    require_grid(next((p for p in places if p and p in set(grid_scope())), None), what)
