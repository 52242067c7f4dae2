"""Notify's consumers: one `on_<event>` per consumed event type (case events in `cases`, roster events in
`roster`), and the `HANDLERS` table below, written out by hand. Every event of cases.v1 and roster.v1 goes to the
webhook subscriptions that want it; the ones that concern people also create their messages. A type not in the
table has no handler: the shared consumer counts it and skips it."""
from __future__ import annotations

from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from ..commands.deliveries import to_webhooks
from .cases import (on_case_answered, on_case_assigned, on_case_closed, on_case_escalated,
                    on_case_evaluation_requested, on_case_registered, on_case_reopened, on_case_replied,
                    on_case_reply_overdue, on_case_return_visit_due, on_case_triaged, on_work_order_dispatched,
                    on_work_order_due_soon, on_work_order_extension_decided, on_work_order_extension_requested,
                    on_work_order_forward_overdue, on_work_order_forwarded, on_work_order_overdue,
                    on_work_order_returned, on_work_order_signing_overdue)
from .projects import on_project_completed
from .roster import on_assignment_ended, on_assignment_published, on_grid, on_reception, on_station


def only_to_webhooks(uow: UnitOfWork, event: Event) -> None:
    """Events no person needs a message about: integrators may subscribe to them."""
    to_webhooks(uow, event)


HANDLERS = {
    # cases.v1: messages to people (and webhooks)
    "case.registered": on_case_registered, "case.triaged": on_case_triaged, "case.assigned": on_case_assigned,
    "case.answered": on_case_answered, "case.replied": on_case_replied,
    "case.evaluation_requested": on_case_evaluation_requested, "case.reopened": on_case_reopened,
    "case.reply_overdue": on_case_reply_overdue, "case.return_visit_due": on_case_return_visit_due,
    "case.escalated": on_case_escalated, "case.closed": on_case_closed,
    "work_order.dispatched": on_work_order_dispatched, "work_order.forwarded": on_work_order_forwarded,
    "work_order.forward_overdue": on_work_order_forward_overdue, "work_order.due_soon": on_work_order_due_soon,
    "work_order.overdue": on_work_order_overdue, "work_order.signing_overdue": on_work_order_signing_overdue,
    "work_order.returned": on_work_order_returned,
    "work_order.extension_requested": on_work_order_extension_requested,
    "work_order.extension_decided": on_work_order_extension_decided,
    # cases.v1: webhooks only
    "case.evaluated": only_to_webhooks, "case.related_confirmed": only_to_webhooks,
    "case.related_linked": only_to_webhooks, "case.related_undone": only_to_webhooks,
    "case.returned": only_to_webhooks, "case.signed": only_to_webhooks, "case.started": only_to_webhooks,
    "case.supplemented": only_to_webhooks, "case.withdrawn": only_to_webhooks,
    "work_order.answered": only_to_webhooks, "work_order.cancelled": only_to_webhooks,
    "work_order.signed": only_to_webhooks, "work_order.started": only_to_webhooks,
    "catalogue.changed": only_to_webhooks, "household.changed": only_to_webhooks,
    "reception_session.recorded": only_to_webhooks, "reporter.erased": only_to_webhooks,
    "visit.recorded": only_to_webhooks,
    # cases.v1: micro livelihood projects (民生微实事): the result to the board and to the reporters it answers
    "project.completed": on_project_completed, "project.proposed": only_to_webhooks,
    "project.reviewed": only_to_webhooks, "project.funding_decided": only_to_webhooks,
    "project.progressed": only_to_webhooks, "project.rated": only_to_webhooks,
    # roster.v1: notify's copy of grids, deputies on duty, stations and reception days (and webhooks)
    "grid.created": on_grid, "grid.updated": on_grid, "assignment.published": on_assignment_published,
    "assignment.ended": on_assignment_ended, "reception.scheduled": on_reception, "reception.changed": on_reception,
    "station.created": on_station, "station.updated": on_station,
    # roster.v1: webhooks only
    "assignment_plan.approved": only_to_webhooks, "contact_household.linked": only_to_webhooks,
    "contact_household.unlinked": only_to_webhooks, "contact_meeting.recorded": only_to_webhooks,
    "deputy.registered": only_to_webhooks, "deputy.updated": only_to_webhooks, "deputy.ended": only_to_webhooks,
    "deputy.removed": only_to_webhooks, "duty.recorded": only_to_webhooks, "duty.replied": only_to_webhooks,
    "duty.withdrawn": only_to_webhooks,
}
