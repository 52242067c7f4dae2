"""Set-wise writes of new grids and deputies for imports: a county's 10,000 grids or 13,000 deputies in seconds.

The rows were checked before (`transfer.plan_*`): schemas, codes, the grids a deputy names. Here each batch is
checked against the tree in memory (a grid sits one level below its parent), inserted with one batched INSERT
(the ORM's insertmanyvalues) in a savepoint, and its events go into the outbox with the batch — no query per row.
If the database still refuses the batch (a code taken meanwhile by another request), the savepoint rolls back
and the caller writes the batch row by row, so that the one refused row is named and the others go in.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wangge_common.outbox import UnitOfWork

from .. import domain
from ..importrules import row_error
from ..models import Deputy, Grid
from .deputies import deputy_event, seal_personal
from .grids import grid_event


class BatchRefused(Exception):
    """The database refused the batch as a whole; write it row by row to find the row."""


def grid_levels(session, plan) -> dict:
    """Grid id -> level, for the parents the batch names (read once per import, kept up to date by it)."""
    if plan.levels is None:
        plan.levels = dict(session.execute(select(Grid.id, Grid.level)).all())
    return plan.levels


def create_grids(uow: UnitOfWork, plan, batch: list) -> tuple[list, list]:
    """Create the new grids of `batch` (rows: number, loaded data, None, parent code); (the rows created as
    (row number, grid), row errors)."""
    session, errors, grids, made = uow.session, [], [], []
    levels = grid_levels(session, plan)
    for number, loaded, _, parent_code in batch:
        parent_id = plan.ids.get(parent_code) if parent_code is not None else None
        if parent_code is not None and parent_id is None:  # its parent's row was refused while writing
            errors.append(row_error("grids", number, "parent_code", f"上级网格“{parent_code}”未能导入"))
            continue
        problem = domain.check_grid_placement(loaded["level"], levels.get(parent_id) if parent_id else None)
        if problem:
            field = "parent_id" if loaded["level"] > 1 or parent_id else "level"
            errors.append(row_error("grids", number, field, problem))
            continue
        grid = Grid(id=str(uuid.uuid4()), **{**loaded, "parent_id": parent_id})
        grids.append(grid)
        made.append((number, grid))
        plan.ids[grid.code] = grid.id  # the batch's own children find it
        levels[grid.id] = grid.level
    _insert(session, grids, lambda: [plan.ids.pop(g.code, None) for g in grids])
    for grid in grids:
        uow.emit("grid.created", grid.id, grid_event(grid), new_subject=True)
    return made, errors


def register_deputies(uow: UnitOfWork, batch: list) -> list:
    """Register the new deputies of `batch` (rows: number, loaded data, None, how it was matched); their grids
    were resolved from codes and the rows matched against the roster and the file when they were checked. The
    mobile and ID number are sealed as one registration seals them. Returns (row number, deputy) of each."""
    deputies, made = [], []
    for number, loaded, _, _ in batch:
        data = dict(loaded)
        for name in ("home_grid_id", "work_grid_id"):
            if data.get(name) is not None:
                data[name] = str(data[name])
        seal_personal(uow, data)
        deputies.append(Deputy(id=str(uuid.uuid4()), **data))
        made.append((number, deputies[-1]))
    _insert(uow.session, deputies, lambda: None)
    for deputy in deputies:
        uow.emit("deputy.registered", deputy.id, deputy_event(deputy), new_subject=True)
    return made


def _insert(session, objects: list, undo) -> None:
    if not objects:
        return
    try:
        with session.begin_nested():  # rolled back, it takes the batch's pending objects with it
            session.add_all(objects)
            session.flush()
    except IntegrityError:
        undo()
        raise BatchRefused() from None
