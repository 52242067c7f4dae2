"""Routing's read copies of roster's grids, deputies and assignments (roster.v1)."""
from __future__ import annotations

from sqlalchemy import bindparam, delete, select

from wangge_common.outbox import UnitOfWork

from ..models import Deputy, Grid, GridDeputy

# A Core statement on the table (no ORM entities: cheaper to run), built once.
_grid_deputies = GridDeputy.__table__.c
_GRID_DEPUTIES = (select(_grid_deputies.deputy_id, _grid_deputies.level)
                  .where(_grid_deputies.grid_id == bindparam("grid_id")).order_by(_grid_deputies.deputy_id))
_GRID_CACHE = "routing.grid_deputies"  # session.info key: grid id -> its deputies, read in this transaction


def grid_deputies(session, grid_id: str) -> list[tuple[str, str]]:
    """(deputy id, level) of the grid's deputies, from the read copy."""
    # Per transaction: a batch of records often brings several cases of one grid; roster events clear it.
    cached = session.info.setdefault(_GRID_CACHE, {})
    rows = cached.get(grid_id)
    if rows is None:
        rows = cached[grid_id] = [tuple(row) for row in session.connection().execute(_GRID_DEPUTIES,
                                                                                      {"grid_id": grid_id})]
    return rows


def save_grid(uow: UnitOfWork, data: dict) -> None:
    grid = uow.session.get(Grid, data["grid_id"]) or Grid(grid_id=data["grid_id"])
    grid.code, grid.name, grid.level, grid.parent_id = data["code"], data["name"], data["level"], data["parent_id"]
    uow.session.add(grid)


def save_deputy(uow: UnitOfWork, data: dict) -> None:
    deputy = uow.session.get(Deputy, data["deputy_id"]) or Deputy(deputy_id=data["deputy_id"])
    deputy.name, deputy.level, deputy.status = data["name"], data["level"], data["status"]
    uow.session.add(deputy)


def replace_grid_deputies(uow: UnitOfWork, data: dict) -> None:
    """One event per grid with the full deputy list: replace the grid's list."""
    uow.session.info.pop(_GRID_CACHE, None)
    uow.session.execute(delete(GridDeputy).where(GridDeputy.grid_id == data["grid_id"]))
    uow.session.add_all([GridDeputy(grid_id=data["grid_id"], deputy_id=d["deputy_id"], kind=d["kind"],
                                    level=d["level"]) for d in data["deputies"]])


def end_assignment(uow: UnitOfWork, data: dict) -> None:
    uow.session.info.pop(_GRID_CACHE, None)
    uow.session.execute(delete(GridDeputy).where(GridDeputy.grid_id == data["grid_id"],
                                                 GridDeputy.deputy_id == data["deputy_id"]))
