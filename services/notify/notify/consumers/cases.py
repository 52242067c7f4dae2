"""Consumers of case and work-order events (cases.v1): the messages each tells whom. Every event goes to the
webhook subscriptions that want it first; one that overtakes its case's registration is then held
(wangge_common.held, over the held_events table) and applied when the registration comes."""
from __future__ import annotations

from sqlalchemy import delete, select

from wangge_common import clock, held
from wangge_common.db import utcnow
from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..commands.deliveries import to_deputies, to_offices, to_reporter, to_webhooks
from ..models import BoardResult, CaseContact, Delivery, Grid, GridDeputy, HeldEvent


class _HeldEvents:
    """wangge_common.held's store over notify's held_events table; a case is known once its registration came
    (its CaseContact row)."""

    def __init__(self, session):
        self.session = session

    def case(self, case_id: str) -> CaseContact | None:
        return self.session.get(CaseContact, case_id)

    def keep(self, item: held.Held) -> None:
        if self.session.get(HeldEvent, item.event_id) is None:
            self.session.add(HeldEvent(event_id=item.event_id, case_id=item.case_id, payload=item.payload,
                                       received_at=item.arrival))

    def held_for(self, case_id: str) -> list[held.Held]:
        rows = self.session.scalars(select(HeldEvent).where(HeldEvent.case_id == case_id)).all()
        return [_held(row) for row in rows]

    def forget(self, item: held.Held) -> None:
        self.session.execute(delete(HeldEvent).where(HeldEvent.event_id == item.event_id))


def _held(row: HeldEvent) -> held.Held:
    event = Event.from_json(row.payload)
    return held.Held(event_id=row.event_id, case_id=row.case_id, event_type=event.type, time=event.time,
                     arrival=row.received_at, payload=row.payload)


def _known_case(uow: UnitOfWork, event: Event) -> CaseContact | None:
    """Webhooks first (they never wait); then the case as notify knows it, or None when its registration has not
    come yet: the event is held until it does."""
    to_webhooks(uow, event)
    return held.case_or_hold(_HeldEvents(uow.session), event.data["case_id"],
                             keep=lambda: held.Held.of(event, arrival=utcnow()))


def _local(moment: str) -> str:
    """A wire time as people read it in a message (2026年11月22日 17:00, China time)."""
    return domain.local_time(clock.parse_time(moment))


def _case_vars(contact: CaseContact, **extra) -> dict:
    return {"tracking_code": contact.tracking_code, **extra}


def on_case_registered(uow: UnitOfWork, event: Event) -> None:
    to_webhooks(uow, event)
    data = event.data
    received_by = data["received_by"]
    if received_by["kind"] == "deputy":
        deputies = [received_by["id"]]
    else:  # until routing names the first receiver (case.triaged): the grid's deputies, told nothing yet
        deputies = list(uow.session.scalars(select(GridDeputy.deputy_id).where(GridDeputy.grid_id == data["grid_id"])
                                            .order_by(GridDeputy.deputy_id)))
    contact = uow.session.get(CaseContact, data["case_id"]) or CaseContact(case_id=data["case_id"])
    contact.reporter_ref, contact.tracking_code = data["reporter_ref"], data["tracking_code"]
    contact.grid_id = data["grid_id"]
    contact.category, contact.topic, contact.urgent = data["category"], data["topic"], data["urgency"] == "urgent"
    contact.excerpt, contact.deputy_ids = domain.excerpt(data["content"]), deputies
    uow.session.add(contact)
    uow.session.flush()
    to_reporter(uow, event, contact, "case.registered/reporter", _case_vars(contact))
    if received_by["kind"] == "deputy":  # the deputy who took it is the first receiver (首问责任人)
        _new_case_to_deputy(uow, event, contact)
    # Events of this case that overtook its registration (different partitions or producers) apply now, in the
    # order they happened; each goes through notify's handler of its type (consumers.HANDLERS, the spec's table),
    # which now finds the case.
    handlers = uow.runtime.spec.handlers
    held.release(_HeldEvents(uow.session), contact.case_id,
                 lambda item: handlers[item.event_type](uow, Event.from_json(item.payload)))


def _new_case_to_deputy(uow, event, contact) -> None:
    grid = uow.session.get(Grid, contact.grid_id)
    to_deputies(uow, event, contact, "case.registered/deputy", _case_vars(
          contact, grid_name=grid.name if grid else "本网格", urgent=contact.urgent, content_excerpt=contact.excerpt))


def on_case_triaged(uow: UnitOfWork, event: Event) -> None:
    """Routing names the first receiver (首问责任人, 谁接待、谁答复): the new-case message, and every later deputy
    message of the case (the answer to pass on, overdue, return visit), go to that deputy only, not to every deputy
    of the grid. An event from before routing named one (no field) leaves the grid's deputies."""
    if (contact := _known_case(uow, event)) is None:
        return
    if "first_receiver_deputy_id" in event.data:
        first = event.data["first_receiver_deputy_id"]
        contact.deputy_ids = [first] if first else []
    told = uow.session.scalar(select(Delivery.id).where(Delivery.case_id == contact.case_id,
                                                        Delivery.template == "case.registered/deputy").limit(1))
    if told is None:
        _new_case_to_deputy(uow, event, contact)
    department = event.data["department"]
    if department:
        to_reporter(uow, event, contact, "case.triaged/reporter", _case_vars(contact, department=department["name"]),
                    channels=("inbox",))
    else:
        to_reporter(uow, event, contact, "case.triaged.manual/reporter", _case_vars(contact), channels=("inbox",))


def on_case_assigned(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    names = "、".join(dict.fromkeys(o["department"]["name"] for o in event.data["work_orders"])) or "有关部门"
    to_reporter(uow, event, contact, "case.assigned/reporter", _case_vars(contact, departments=names))


def on_case_answered(uow: UnitOfWork, event: Event) -> None:
    """谁接待、谁答复: the department's answer goes to the first-receiving deputy, who passes it on; the resident hears
    it through that reply (case.replied), or directly when the reply is overdue (case.reply_overdue)."""
    if (contact := _known_case(uow, event)) is None:
        return
    data = event.data
    department = (data["department"] or {}).get("name") or "承办单位"
    contact.answer_summary, contact.department_name = data["summary"], department
    if data.get("on_the_spot"):
        return  # the deputy answered the resident in person; the reply that follows carries it
    to_deputies(uow, event, contact, "case.answered/deputy",
                _case_vars(contact, summary=data["summary"], department=department))
    if data.get("forward_via"):  # a county matter the township congress forwarded: it is told the answer
        to_offices(uow, event, audience="congress_staff", department=None, key="case.answered/congress_staff",
                   variables=_case_vars(contact, summary=data["summary"], department=department),
                   case_id=contact.case_id)


def _answer_to_reporter(uow, event, contact) -> None:
    if contact.answer_summary:
        to_reporter(uow, event, contact, "case.answered/reporter", _case_vars(
              contact, summary=contact.answer_summary, department=contact.department_name or "承办单位"))


def on_case_replied(uow: UnitOfWork, event: Event) -> None:
    """The first receiver passed the answer on: the resident also gets it in writing (an interim reply before the
    answer sends nothing)."""
    if (contact := _known_case(uow, event)) is None:
        return
    if event.data.get("state") == "resolved":
        _answer_to_reporter(uow, event, contact)


def on_case_evaluation_requested(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    state = uow.runtime.state
    token = state.cipher.decrypt(event.data["token_encrypted"])
    to_reporter(uow, event, contact, "case.evaluation_requested/reporter", _case_vars(
        contact, rating_link=f"{state.settings.public_url}/rate/{token}", expires_on=_local(event.data["expires_at"])))


def on_case_reopened(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    contact.reopen_count = max(contact.reopen_count or 0, event.data["reopen_count"])
    to_reporter(uow, event, contact, "case.reopened/reporter",
                _case_vars(contact, reopen_count=event.data["reopen_count"]))


def on_case_reply_overdue(uow: UnitOfWork, event: Event) -> None:
    """The reply is overdue: the deputy is flagged, and an answer not passed on in time reaches the resident
    directly (the fallback of 谁接待、谁答复)."""
    if (contact := _known_case(uow, event)) is None:
        return
    if event.data.get("state") == "answered":
        _answer_to_reporter(uow, event, contact)
    deputy = event.data["deputy_id"]
    to_deputies(uow, event, contact, "case.reply_overdue/deputy",
                _case_vars(contact, due_at=_local(event.data["due_at"])), deputy_ids=[deputy] if deputy else None)


def on_case_return_visit_due(uow: UnitOfWork, event: Event) -> None:
    """No rating through the link in time: the first-receiving deputy visits the resident (回访)."""
    if (contact := _known_case(uow, event)) is None:
        return
    to_deputies(uow, event, contact, "case.return_visit_due/deputy", _case_vars(
          contact, due_at=_local(event.data["due_at"]), round=event.data["round"]))


def on_work_order_overdue(uow: UnitOfWork, event: Event) -> None:
    """Overdue (逾期): the department itself, the township congress staff who supervise, and the deputies."""
    if (contact := _known_case(uow, event)) is None:
        return
    department = event.data["department"]
    variables = _case_vars(contact, department=department["name"], due_at=_local(event.data["due_at"]))
    to_deputies(uow, event, contact, "work_order.overdue/deputy", variables)
    to_offices(uow, event, audience="department", department=department, key="work_order.overdue/department",
               variables=variables, case_id=contact.case_id)
    to_offices(uow, event, audience="congress_staff", department=None, key="work_order.overdue/congress_staff",
               variables=variables, case_id=contact.case_id)


def on_work_order_signing_overdue(uow: UnitOfWork, event: Event) -> None:
    """签收时限 passed: the department, and the township congress staff who supervise."""
    if (contact := _known_case(uow, event)) is None:
        return
    department = event.data["department"]
    variables = _case_vars(contact, department=department["name"], sign_due_at=_local(event.data["sign_due_at"]),
                           due_at=_local(event.data["due_at"]))
    to_offices(uow, event, audience="department", department=department,
               key="work_order.signing_overdue/department", variables=variables, case_id=contact.case_id)
    to_offices(uow, event, audience="congress_staff", department=None,
               key="work_order.signing_overdue/congress_staff", variables=variables, case_id=contact.case_id)


def on_work_order_returned(uow: UnitOfWork, event: Event) -> None:
    """退单: the township congress staff re-route the matter."""
    if (contact := _known_case(uow, event)) is None:
        return
    to_offices(uow, event, audience="congress_staff", department=None, key="work_order.returned/congress_staff",
               variables=_case_vars(contact, department=event.data["department"]["name"],
                                    reason=event.data["reason"]), case_id=contact.case_id)


def on_work_order_extension_requested(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    to_offices(uow, event, audience="congress_staff", department=None,
               key="work_order.extension_requested/congress_staff",
               variables=_case_vars(contact, department=event.data["department"]["name"],
                                    requested_due_at=_local(event.data["requested_due_at"]),
                                    reason=event.data["reason"]), case_id=contact.case_id)


def on_work_order_extension_decided(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    data = event.data
    to_offices(uow, event, audience="department", department=data["department"],
               key="work_order.extension_decided/department",
               variables=_case_vars(contact, department=data["department"]["name"],
                                    decision="已批准" if data["approved"] else "未获批准",
                                    due_at=_local(data["due_at"]), reason=data["reason"]),
               case_id=contact.case_id)


def on_work_order_dispatched(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    department = event.data["department"]
    if event.data.get("forward_via"):  # a county matter: the township congress receives it and forwards it
        to_offices(uow, event, audience="congress_staff", department=None,
                   key="work_order.dispatched.forward/congress_staff", case_id=contact.case_id,
                   variables=_case_vars(contact, department=department["name"], content_excerpt=contact.excerpt or "",
                                        forward_due_at=_local(event.data["forward_due_at"])))
        return
    to_offices(uow, event, audience="department", department=department, key="work_order.dispatched/department",
               variables=_case_vars(contact, department=department["name"], content_excerpt=contact.excerpt or ""),
               case_id=contact.case_id)


def on_work_order_forwarded(uow: UnitOfWork, event: Event) -> None:
    """The township congress forwarded a county matter: now the county department has a new order."""
    if (contact := _known_case(uow, event)) is None:
        return
    data = event.data
    to_offices(uow, event, audience="department", department=data["department"],
               key="work_order.forwarded/department", case_id=contact.case_id,
               variables=_case_vars(contact, department=data["department"]["name"],
                                    content_excerpt=contact.excerpt or "", sign_due_at=_local(data["sign_due_at"]),
                                    due_at=_local(data["due_at"])))


def on_work_order_forward_overdue(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    to_offices(uow, event, audience="congress_staff", department=None,
               key="work_order.forward_overdue/congress_staff", case_id=contact.case_id,
               variables=_case_vars(contact, department=event.data["department"]["name"],
                                    forward_due_at=_local(event.data["forward_due_at"])))


def on_work_order_due_soon(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    department = event.data["department"]
    to_offices(uow, event, audience="department", department=department, key="work_order.due_soon/department",
               variables=_case_vars(contact, department=department["name"], due_at=_local(event.data["due_at"])),
               case_id=contact.case_id)


def on_case_escalated(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    data = event.data
    step = domain.STEP_LABELS[data["step"]]
    reason = domain.escalation_reason(data["trigger"], data["reason"])
    if data["department"]:
        to_offices(uow, event, audience="department", department=data["department"], key="case.escalated/department",
                   variables=_case_vars(contact, department=data["department"]["name"], step=step,
                                        reason=reason), case_id=contact.case_id)
    to_offices(uow, event, audience="congress_staff", department=None, key="case.escalated/congress_staff",
               variables=_case_vars(contact, step=step, trigger=domain.TRIGGER_LABELS[data["trigger"]],
                                    target=data["target"], reason=reason), case_id=contact.case_id)


def on_case_closed(uow: UnitOfWork, event: Event) -> None:
    if (contact := _known_case(uow, event)) is None:
        return
    outcome = event.data["outcome"]
    if outcome != "withdrawn":
        to_reporter(uow, event, contact, "case.closed/reporter",
                    _case_vars(contact, outcome=domain.RATINGS.get(outcome, "")), channels=("inbox",))
    if outcome == "not_rated":
        to_offices(uow, event, audience="congress_staff", department=None, key="case.closed.not_rated/congress_staff",
                   variables=_case_vars(contact), case_id=contact.case_id)
    if outcome != "withdrawn":  # results are publicised on the grid's board (结果公开), without personal data
        result = uow.session.get(BoardResult, contact.case_id) or BoardResult(case_id=contact.case_id)
        result.grid_id, result.tracking_code, result.category = contact.grid_id, contact.tracking_code, contact.category
        result.topic, result.department, result.summary = contact.topic, contact.department_name, contact.answer_summary
        result.outcome = outcome
        result.closed_at = clock.parse_time(event.time)
        uow.session.add(result)
