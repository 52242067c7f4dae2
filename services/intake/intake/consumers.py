"""The events intake consumes: roster's grids, deputies and assignments, routing's catalogue, and the case and
work-order lifecycle (cases.v1) for tracking. One entry per event type in HANDLERS, written out by hand: a type
with no entry is counted and skipped by the consumer."""
from __future__ import annotations

from sqlalchemy import delete

from wangge_common import clock
from wangge_common.db import utcnow
from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from . import domain
from .queries import reality
from .models import Case, CaseEntry, CaseOrder, KnownDeputy, KnownGrid, KnownGridDeputy, KnownTopic


# --- events consumed --------------------------------------------------------------------------------
def on_grid_changed(uow: UnitOfWork, event: Event) -> None:
    """Keep the read copy of grids that case registration checks against."""
    data = event.data
    reality.forget(uow.runtime)  # a village's grids may have changed
    grid = uow.session.get(KnownGrid, data["grid_id"]) or KnownGrid(grid_id=data["grid_id"])
    grid.code, grid.name, grid.level, grid.parent_id = data["code"], data["name"], data["level"], data["parent_id"]
    grid.latitude, grid.longitude = data.get("latitude"), data.get("longitude")  # optional in grid.*.v1
    uow.session.add(grid)


def on_case_state_changed(uow: UnitOfWork, event: Event) -> Case | None:
    """Follow a case's lifecycle on cases.v1 (routing owns it) for the resident's tracking view; the case, or
    None when the event changes nothing intake keeps."""
    if event.source == f"/wangge/{uow.runtime.service}":
        return None  # intake's own events: already applied when they were written
    state = event.data.get("state")
    case = uow.session.get(Case, event.data.get("case_id") or event.subject)
    if case is None or state is None:
        return None  # a case registered elsewhere, or an event that is not a state change
    at = clock.parse_time(event.time)
    step = domain.step_of(state)
    uow.session.add(CaseEntry(case_id=case.id, event_id=event.id, event_type=event.type, state=state, step=step,
                              reason=(event.data.get("reason") or "")[:500] or None, actor=event.actor or "unknown",
                              at=at))
    case.updated_at = utcnow()  # its history grew: the change feed shows it again
    if case.state_changed_at is None or at >= case.state_changed_at:
        case.status, case.step, case.state_changed_at = state, step, at
    return case


def on_case_answered(uow: UnitOfWork, event: Event) -> None:
    """What was done, for the tracking page and Open311, then the state change."""
    case = on_case_state_changed(uow, event)
    if case is not None:
        case.answer_summary = event.data.get("summary")
        case.answered_by = (event.data.get("department") or {}).get("name")


def on_case_triaged(uow: UnitOfWork, event: Event) -> None:
    """Routing decided the case's first receiver (首问责任, routing's rule alone): intake shows it on the case."""
    case = uow.session.get(Case, event.data["case_id"])
    if case is not None and "first_receiver_deputy_id" in event.data:
        case.first_receiver_id = event.data["first_receiver_deputy_id"]
        case.updated_at = utcnow()  # the change feed shows it again
    on_case_state_changed(uow, event)


def on_deputy_changed(uow: UnitOfWork, event: Event) -> None:
    """Keep the read copy of deputies a receiving deputy is checked against (no name, no contact)."""
    data = event.data
    deputy = uow.session.get(KnownDeputy, data["deputy_id"]) or KnownDeputy(deputy_id=data["deputy_id"])
    deputy.level, deputy.status = data["level"], data["status"]
    deputy.home_grid_id, deputy.work_grid_id = data.get("home_grid_id"), data.get("work_grid_id")
    uow.session.add(deputy)


def on_deputy_left(uow: UnitOfWork, event: Event) -> None:
    """A deputy whose term ended, or who was removed as entered by mistake, receives no more matters."""
    deputy = uow.session.get(KnownDeputy, event.data["deputy_id"])
    if deputy is not None:
        deputy.status = "ended" if event.type == "deputy.ended" else "removed"


def on_assignment_published(uow: UnitOfWork, event: Event) -> None:
    """One event per grid with its full list of deputies: it replaces the grid's list."""
    data = event.data
    uow.session.execute(delete(KnownGridDeputy).where(KnownGridDeputy.grid_id == data["grid_id"]))
    uow.session.add_all([KnownGridDeputy(grid_id=data["grid_id"], deputy_id=d["deputy_id"], kind=d["kind"])
                         for d in data["deputies"]])


def on_assignment_ended(uow: UnitOfWork, event: Event) -> None:
    uow.session.execute(delete(KnownGridDeputy).where(KnownGridDeputy.grid_id == event.data["grid_id"],
                                                      KnownGridDeputy.deputy_id == event.data["deputy_id"]))


def on_catalogue_changed(uow: UnitOfWork, event: Event) -> None:
    """Routing's dispatch catalogue changed: its full list of topics replaces the read copy (deadline rules and
    holidays change no topic and carry no list)."""
    if event.data.get("topics") is None:
        return
    reality.forget(uow.runtime)
    uow.session.execute(delete(KnownTopic))
    uow.session.add_all([KnownTopic(topic=t) for t in sorted(set(event.data["topics"]))])


def on_work_order_event(uow: UnitOfWork, event: Event) -> None:
    """Keep the read copy of a case's work orders: the department answering for it and its deadline."""
    data = event.data
    case = uow.session.get(Case, data["case_id"])
    if case is None:
        return  # a case registered elsewhere
    at = clock.parse_time(event.time)
    order = uow.session.get(CaseOrder, data["work_order_id"])
    if order is None:
        order = CaseOrder(work_order_id=data["work_order_id"], case_id=case.id, changed_at=at)
        uow.session.add(order)
    elif at < order.changed_at:
        return  # an older event than the one applied: the order's state stays the newer one
    order.department_code, order.department_name = data["department"]["code"], data["department"]["name"]
    order.state, order.changed_at = data["state"], at
    order.role = data.get("role") or order.role
    if data.get("due_at") and not (event.type == "work_order.extension_decided" and not data.get("approved")):
        order.due_at = clock.parse_time(data["due_at"])
    case.updated_at = utcnow()




# The lifecycle events routing emits all change a case's state the same way; intake's own (registered,
# supplemented, withdrawn, related_*) come back on cases.v1 and are skipped by their source.
HANDLERS = {
    "grid.created": on_grid_changed, "grid.updated": on_grid_changed,
    "deputy.registered": on_deputy_changed, "deputy.updated": on_deputy_changed,
    "deputy.ended": on_deputy_left, "deputy.removed": on_deputy_left,
    "assignment.published": on_assignment_published, "assignment.ended": on_assignment_ended,
    "catalogue.changed": on_catalogue_changed,
    "case.answered": on_case_answered,
    "case.assigned": on_case_state_changed,
    "case.closed": on_case_state_changed,
    "case.escalated": on_case_state_changed,
    "case.evaluated": on_case_state_changed,
    "case.evaluation_requested": on_case_state_changed,
    "case.registered": on_case_state_changed,
    "case.related_confirmed": on_case_state_changed,
    "case.related_linked": on_case_state_changed,
    "case.related_undone": on_case_state_changed,
    "case.reopened": on_case_state_changed,
    "case.replied": on_case_state_changed,
    "case.reply_overdue": on_case_state_changed,
    "case.return_visit_due": on_case_state_changed,
    "case.returned": on_case_state_changed,
    "case.signed": on_case_state_changed,
    "case.started": on_case_state_changed,
    "case.supplemented": on_case_state_changed,
    "case.triaged": on_case_triaged,
    "case.withdrawn": on_case_state_changed,
    "work_order.answered": on_work_order_event,
    "work_order.cancelled": on_work_order_event,
    "work_order.dispatched": on_work_order_event,
    "work_order.due_soon": on_work_order_event,
    "work_order.extension_decided": on_work_order_event,
    "work_order.extension_requested": on_work_order_event,
    "work_order.forward_overdue": on_work_order_event,
    "work_order.forwarded": on_work_order_event,
    "work_order.overdue": on_work_order_event,
    "work_order.returned": on_work_order_event,
    "work_order.signed": on_work_order_event,
    "work_order.signing_overdue": on_work_order_event,
    "work_order.started": on_work_order_event,
}
