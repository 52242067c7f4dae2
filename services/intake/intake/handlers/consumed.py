"""Handlers of the events intake consumes: roster's grids, and the case lifecycle for tracking."""
from __future__ import annotations

from datetime import datetime

from wangge_common import contracts
from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import Case, CaseEntry, KnownGrid


# --- events consumed --------------------------------------------------------------------------------
def on_grid_changed(uow: UnitOfWork, event: Event) -> None:
    """Keep the read copy of grids that case registration checks against."""
    data = event.data
    grid = uow.session.get(KnownGrid, data["grid_id"]) or KnownGrid(grid_id=data["grid_id"])
    grid.code, grid.name, grid.level, grid.parent_id = data["code"], data["name"], data["level"], data["parent_id"]
    uow.session.add(grid)


def on_case_event(uow: UnitOfWork, event: Event) -> None:
    """Follow a case's lifecycle on cases.v1 (routing owns it) for the resident's tracking view."""
    if not event.type.startswith("case.") or event.source == f"/wangge/{uow.runtime.service}":
        return  # intake's own events: already applied when they were written
    state = event.data.get("state")
    case = uow.session.get(Case, event.data.get("case_id") or event.subject)
    if case is None or state is None:
        return  # a case registered elsewhere, or an event that is not a state change
    at = event.time if isinstance(event.time, datetime) else datetime.fromisoformat(str(event.time))
    step = domain.step_of(state)
    uow.session.add(CaseEntry(case_id=case.id, event_id=event.id, event_type=event.type, state=state, step=step,
                              reason=(event.data.get("reason") or "")[:500] or None, actor=event.actor or "unknown",
                              at=at))
    if case.state_changed_at is None or at >= case.state_changed_at:
        case.status, case.step, case.state_changed_at = state, step, at


HANDLERS = {"grid.created": on_grid_changed, "grid.updated": on_grid_changed,
            **{event_type: on_case_event for event_type, _ in contracts.registry() if event_type.startswith("case.")}}
