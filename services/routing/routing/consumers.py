"""Routing's consumers: one function per event type it takes from cases.v1 and roster.v1, and the table of them."""
from __future__ import annotations

from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from .commands import registration, roster

# ---- cases.v1 (from intake) -------------------------------------------------------------------------------------

def on_case_registered(uow: UnitOfWork, event: Event) -> None:
    registration.register_case(uow, event.data)


def on_case_withdrawn(uow: UnitOfWork, event: Event) -> None:
    registration.withdraw_case(uow, event.data)


def on_case_supplemented(uow: UnitOfWork, event: Event) -> None:
    registration.record_supplement(uow, event)


# ---- roster.v1: routing's read copies ----------------------------------------------------------------------------

def on_grid_created(uow: UnitOfWork, event: Event) -> None:
    roster.save_grid(uow, event.data)


def on_grid_updated(uow: UnitOfWork, event: Event) -> None:
    roster.save_grid(uow, event.data)


def on_deputy_registered(uow: UnitOfWork, event: Event) -> None:
    roster.save_deputy(uow, event.data)


def on_deputy_updated(uow: UnitOfWork, event: Event) -> None:
    roster.save_deputy(uow, event.data)


def on_assignment_published(uow: UnitOfWork, event: Event) -> None:
    roster.replace_grid_deputies(uow, event.data)


def on_assignment_ended(uow: UnitOfWork, event: Event) -> None:
    roster.end_assignment(uow, event.data)


HANDLERS = {
    "case.registered": on_case_registered,
    "case.withdrawn": on_case_withdrawn,
    "case.supplemented": on_case_supplemented,
    "grid.created": on_grid_created,
    "grid.updated": on_grid_updated,
    "deputy.registered": on_deputy_registered,
    "deputy.updated": on_deputy_updated,
    "assignment.published": on_assignment_published,
    "assignment.ended": on_assignment_ended,
}
