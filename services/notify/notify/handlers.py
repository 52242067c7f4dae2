"""Notify: handlers of the events it consumes. Each creates deliveries (state pending) in the consumer's
transaction; the sender job sends them. Inbox messages are delivered by being written, so they start as sent."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import delete, select

from wangge_common import contracts
from wangge_common.db import utcnow
from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from . import domain
from .models import (BoardResult, CaseContact, Delivery, Grid, GridDeputy, HeldEvent, Reception, Recipient, Station,
                     Template, WebhookSubscription)

log = logging.getLogger(__name__)
PERSONAL_CHANNELS = ("inbox", "sms")
OFFICE_CHANNELS = ("inbox", "email")


def current_template(session, key: str) -> tuple[str, int]:
    """The body and version in use for `key`: the latest saved version, else the built-in one (version 0)."""
    saved = session.scalars(select(Template).where(Template.key == key)
                            .order_by(Template.version.desc()).limit(1)).first()
    return (saved.body, saved.version) if saved else (domain.DEFAULTS[key].body, 0)


def sent_event_data(delivery: Delivery) -> dict:
    return {"notification_id": delivery.id, "case_id": delivery.case_id, "recipient_ref": delivery.recipient_ref,
            "audience": delivery.audience, "channel": delivery.channel, "template": delivery.template,
            "cause_event_id": delivery.cause_event_id}


def render_current(session, key: str, variables: dict) -> tuple[str, int]:
    """The text and template version of a message. A saved version that passed its check on the sample values but
    fails on this event's (e.g. `{{ summary[5] }}` and a shorter summary), or renders nothing, falls back to the
    built-in text: one admin's template must neither dead-letter the event (and every other message it causes) nor
    send a blank message."""
    body, version = current_template(session, key)
    try:
        text = domain.render(body, variables)
        if text or version == 0:
            return text, version
        problem = "it renders an empty message"
    except domain.TemplateError as exc:
        if version == 0:
            raise
        problem = str(exc)
    log.error("template %s version %d failed on an event (%s); the built-in text is used", key, version, problem)
    return domain.render(domain.DEFAULTS[key].body, variables), 0


def meaning_of(uow: UnitOfWork, event: Event) -> str | None:
    """The event's meaning key (domain.meaning_key), with the case's round of handling as notify knows it."""
    contact = uow.session.get(CaseContact, event.data["case_id"]) if event.data.get("case_id") else None
    return domain.meaning_key(event.type, event.data, reopen_count=(contact.reopen_count or 0) if contact else 0)


def already_told(uow: UnitOfWork, event: Event, meaning: str | None, recipient: str, channel: str) -> bool:
    """A delivery of this event, or of another event meaning the same (a resend under a new id), exists; the unique
    keys uq_delivery_once and uq_delivery_meaning hold the same rule against a concurrent writer."""
    where = (Delivery.recipient_ref == recipient, Delivery.channel == channel)
    if uow.session.scalar(select(Delivery.id).where(Delivery.cause_event_id == event.id, *where)) is not None:
        return True
    return meaning is not None and uow.session.scalar(
        select(Delivery.id).where(Delivery.meaning_key == meaning, *where)) is not None


def deliver(uow: UnitOfWork, event: Event, *, audience: str, recipients: list[str], channels: tuple[str, ...],
            key: str, variables: dict, case_id: str | None, urgent: bool = False,
            not_before: tuple[datetime, str] | None = None) -> int:
    """Create one delivery per (event, recipient, channel) unless it exists, or one of the same meaning (a resend
    under a new event id); returns how many were created.
    `not_before` (moment, reason) holds the non-inbox channels until then."""
    text, version = render_current(uow.session, key, variables)
    meaning = meaning_of(uow, event)
    created = 0
    for recipient in dict.fromkeys(r for r in recipients if r):
        for channel in channels:
            if already_told(uow, event, meaning, recipient, channel):
                continue
            delivery = Delivery(id=str(uuid.uuid4()), cause_event_id=event.id, meaning_key=meaning,
                                event_type=event.type,
                                case_id=case_id, audience=audience, recipient_ref=recipient, channel=channel,
                                template=key, template_version=version, subject="【网格通知】" + domain.DEFAULTS[key].title,
                                body=text, urgent=urgent, state="pending", attempts=0, next_attempt_at=utcnow(),
                                variables=variables if channel == "sms" else None)
            if channel == "inbox":
                delivery.state, delivery.attempts, delivery.sent_at = "sent", 1, utcnow()
            elif not_before is not None:
                delivery.next_attempt_at, delivery.held_reason = not_before
            uow.session.add(delivery)
            uow.session.flush()
            if channel == "inbox":
                uow.emit("notification.sent", delivery.id, new_subject=True, data=sent_event_data(delivery))
            created += 1
    return created


def _to_offices(uow, event, *, audience: str, department: dict | None, key: str, variables: dict, case_id: str):
    """A department (by code) or the township congress staff: their inbox and every active mailbox kept here."""
    query = select(Recipient).where(Recipient.audience == audience, Recipient.active.is_(True))
    if department is not None:
        query = query.where(Recipient.department_code == department["code"])
        inbox_ref = f"dept:{department['code']}"[:64]
    else:
        inbox_ref = "staff"
    deliver(uow, event, audience=audience, recipients=[inbox_ref], channels=("inbox",), key=key,
            variables=variables, case_id=case_id)
    mailboxes = [f"recipient:{r.id}" for r in uow.session.scalars(query)]
    deliver(uow, event, audience=audience, recipients=mailboxes, channels=("email",), key=key,
            variables=variables, case_id=case_id)


def _webhooks(uow: UnitOfWork, event: Event) -> None:
    """One signed delivery of the event to every active subscription that wants its type (a resend of the same
    meaning under a new id included: an integrator cannot tell it from news by its id)."""
    meaning = None
    for subscription in uow.session.scalars(select(WebhookSubscription)
                                            .where(WebhookSubscription.status == "active")):
        if not domain.matches(subscription.event_types, event.type):
            continue
        meaning = meaning or meaning_of(uow, event)
        ref = f"webhook:{subscription.id}"
        if already_told(uow, event, meaning, ref, "webhook"):
            continue
        uow.session.add(Delivery(
            id=str(uuid.uuid4()), cause_event_id=event.id, meaning_key=meaning, event_type=event.type,
            case_id=event.data.get("case_id"), audience="integrator", recipient_ref=ref, channel="webhook",
            template=event.type[:80], template_version=0, subject=None, body="", payload=event.to_json(),
            subscription_id=subscription.id, state="pending", attempts=0, next_attempt_at=utcnow()))
        uow.session.flush()


# --- cases.v1 ---------------------------------------------------------------------------------------------------
def _case_vars(contact: CaseContact, **extra) -> dict:
    return {"tracking_code": contact.tracking_code, **extra}


def _reporter(uow, event, contact, key, variables, channels=PERSONAL_CHANNELS):
    if contact.reporter_ref:  # anonymous reports have nobody to tell
        deliver(uow, event, audience="reporter", recipients=[contact.reporter_ref], channels=channels, key=key,
                variables=variables, case_id=contact.case_id, urgent=contact.urgent)


def _deputies(uow, event, contact, key, variables, deputy_ids=None):
    deliver(uow, event, audience="deputy", recipients=list(deputy_ids or contact.deputy_ids or []),
            channels=PERSONAL_CHANNELS, key=key, variables=variables, case_id=contact.case_id)


def on_case_registered(uow: UnitOfWork, event: Event) -> None:
    data = event.data
    received_by = data["received_by"]
    if received_by["kind"] == "deputy":
        deputies = [received_by["id"]]
    else:  # until routing names the first receiver (case.triaged): the grid's deputies, told nothing yet
        deputies = list(uow.session.scalars(select(GridDeputy.deputy_id).where(GridDeputy.grid_id == data["grid_id"])
                                            .order_by(GridDeputy.deputy_id)))
    contact = uow.session.get(CaseContact, data["case_id"]) or CaseContact(case_id=data["case_id"])
    contact.reporter_ref, contact.tracking_code, contact.grid_id = data["reporter_ref"], data["tracking_code"], data["grid_id"]
    contact.category, contact.topic, contact.urgent = data["category"], data["topic"], data["urgency"] == "urgent"
    contact.excerpt, contact.deputy_ids = domain.excerpt(data["content"]), deputies
    uow.session.add(contact)
    uow.session.flush()
    _reporter(uow, event, contact, "case.registered/reporter", _case_vars(contact))
    if received_by["kind"] == "deputy":  # the deputy who took it is the first receiver (首问责任人)
        _new_case_to_deputy(uow, event, contact)
    # Events of this case that overtook its registration (different partitions or producers) apply now, in order.
    held = uow.session.scalars(select(HeldEvent).where(HeldEvent.case_id == contact.case_id)
                               .order_by(HeldEvent.received_at, HeldEvent.event_id)).all()
    for row in held:
        earlier = Event.from_json(row.payload)
        CASE_HANDLERS.get(earlier.type, _nothing)(uow, earlier, contact)
    uow.session.execute(delete(HeldEvent).where(HeldEvent.case_id == contact.case_id))


def _new_case_to_deputy(uow, event, contact) -> None:
    grid = uow.session.get(Grid, contact.grid_id)
    _deputies(uow, event, contact, "case.registered/deputy", _case_vars(
        contact, grid_name=grid.name if grid else "本网格", urgent=contact.urgent, content_excerpt=contact.excerpt))


def on_case_triaged(uow, event, contact):
    """Routing names the first receiver (首问责任人, 谁接待、谁答复): the new-case message, and every later deputy
    message of the case (the answer to pass on, overdue, return visit), go to that deputy only, not to every deputy
    of the grid. An event from before routing named one (no field) leaves the grid's deputies."""
    if "first_receiver_deputy_id" in event.data:
        first = event.data["first_receiver_deputy_id"]
        contact.deputy_ids = [first] if first else []
    told = uow.session.scalar(select(Delivery.id).where(Delivery.case_id == contact.case_id,
                                                        Delivery.template == "case.registered/deputy").limit(1))
    if told is None:
        _new_case_to_deputy(uow, event, contact)
    department = event.data["department"]
    if department:
        _reporter(uow, event, contact, "case.triaged/reporter", _case_vars(contact, department=department["name"]),
                  channels=("inbox",))
    else:
        _reporter(uow, event, contact, "case.triaged.manual/reporter", _case_vars(contact), channels=("inbox",))


def on_case_assigned(uow, event, contact):
    names = "、".join(dict.fromkeys(o["department"]["name"] for o in event.data["work_orders"])) or "有关部门"
    _reporter(uow, event, contact, "case.assigned/reporter", _case_vars(contact, departments=names))


def on_case_answered(uow, event, contact):
    """谁接待、谁答复: the department's answer goes to the first-receiving deputy, who passes it on; the resident hears
    it through that reply (case.replied), or directly when the reply is overdue (case.reply_overdue)."""
    data = event.data
    department = (data["department"] or {}).get("name") or "承办单位"
    contact.answer_summary, contact.department_name = data["summary"], department
    if data.get("on_the_spot"):
        return  # the deputy answered the resident in person; the reply that follows carries it
    _deputies(uow, event, contact, "case.answered/deputy",
              _case_vars(contact, summary=data["summary"], department=department))
    if data.get("forward_via"):  # a county matter the township congress forwarded: it is told the answer
        _to_offices(uow, event, audience="congress_staff", department=None, key="case.answered/congress_staff",
                    variables=_case_vars(contact, summary=data["summary"], department=department),
                    case_id=contact.case_id)


def _answer_to_reporter(uow, event, contact) -> None:
    if contact.answer_summary:
        _reporter(uow, event, contact, "case.answered/reporter", _case_vars(
            contact, summary=contact.answer_summary, department=contact.department_name or "承办单位"))


def on_case_replied(uow, event, contact):
    """The first receiver passed the answer on: the resident also gets it in writing (an interim reply before the
    answer sends nothing)."""
    if event.data.get("state") == "resolved":
        _answer_to_reporter(uow, event, contact)


def on_case_evaluation_requested(uow, event, contact):
    state = uow.runtime.state
    token = state.cipher.decrypt(event.data["token_encrypted"])
    expires = datetime.fromisoformat(event.data["expires_at"].replace("Z", "+00:00"))
    _reporter(uow, event, contact, "case.evaluation_requested/reporter", _case_vars(
        contact, rating_link=f"{state.settings.public_url}/rate/{token}", expires_on=domain.local_time(expires)))


def on_case_reopened(uow, event, contact):
    contact.reopen_count = max(contact.reopen_count or 0, event.data["reopen_count"])
    _reporter(uow, event, contact, "case.reopened/reporter",
              _case_vars(contact, reopen_count=event.data["reopen_count"]))


def on_case_reply_overdue(uow, event, contact):
    """The reply is overdue: the deputy is flagged, and an answer not passed on in time reaches the resident
    directly (the fallback of 谁接待、谁答复)."""
    if event.data.get("state") == "answered":
        _answer_to_reporter(uow, event, contact)
    due = datetime.fromisoformat(event.data["due_at"].replace("Z", "+00:00"))
    deputy = event.data["deputy_id"]
    _deputies(uow, event, contact, "case.reply_overdue/deputy", _case_vars(contact, due_at=domain.local_time(due)),
              deputy_ids=[deputy] if deputy else None)


def on_case_return_visit_due(uow, event, contact):
    """No rating through the link in time: the first-receiving deputy visits the resident (回访)."""
    due = datetime.fromisoformat(event.data["due_at"].replace("Z", "+00:00"))
    _deputies(uow, event, contact, "case.return_visit_due/deputy", _case_vars(
        contact, due_at=domain.local_time(due), round=event.data["round"]))


def _local(moment: str) -> str:
    return domain.local_time(datetime.fromisoformat(moment.replace("Z", "+00:00")))


def on_work_order_overdue(uow, event, contact):
    """Overdue (逾期): the department itself, the township congress staff who supervise, and the deputies."""
    department = event.data["department"]
    variables = _case_vars(contact, department=department["name"], due_at=_local(event.data["due_at"]))
    _deputies(uow, event, contact, "work_order.overdue/deputy", variables)
    _to_offices(uow, event, audience="department", department=department, key="work_order.overdue/department",
                variables=variables, case_id=contact.case_id)
    _to_offices(uow, event, audience="congress_staff", department=None, key="work_order.overdue/congress_staff",
                variables=variables, case_id=contact.case_id)


def on_work_order_signing_overdue(uow, event, contact):
    """签收时限 passed: the department, and the township congress staff who supervise."""
    department = event.data["department"]
    variables = _case_vars(contact, department=department["name"], sign_due_at=_local(event.data["sign_due_at"]),
                           due_at=_local(event.data["due_at"]))
    _to_offices(uow, event, audience="department", department=department,
                key="work_order.signing_overdue/department", variables=variables, case_id=contact.case_id)
    _to_offices(uow, event, audience="congress_staff", department=None,
                key="work_order.signing_overdue/congress_staff", variables=variables, case_id=contact.case_id)


def on_work_order_returned(uow, event, contact):
    """退单: the township congress staff re-route the matter."""
    _to_offices(uow, event, audience="congress_staff", department=None, key="work_order.returned/congress_staff",
                variables=_case_vars(contact, department=event.data["department"]["name"],
                                     reason=event.data["reason"]), case_id=contact.case_id)


def on_work_order_extension_requested(uow, event, contact):
    _to_offices(uow, event, audience="congress_staff", department=None,
                key="work_order.extension_requested/congress_staff",
                variables=_case_vars(contact, department=event.data["department"]["name"],
                                     requested_due_at=_local(event.data["requested_due_at"]),
                                     reason=event.data["reason"]), case_id=contact.case_id)


def on_work_order_extension_decided(uow, event, contact):
    data = event.data
    _to_offices(uow, event, audience="department", department=data["department"],
                key="work_order.extension_decided/department",
                variables=_case_vars(contact, department=data["department"]["name"],
                                     decision="已批准" if data["approved"] else "未获批准",
                                     due_at=_local(data["due_at"]), reason=data["reason"]),
                case_id=contact.case_id)


def on_work_order_dispatched(uow, event, contact):
    department = event.data["department"]
    if event.data.get("forward_via"):  # a county matter: the township congress receives it and forwards it
        _to_offices(uow, event, audience="congress_staff", department=None,
                    key="work_order.dispatched.forward/congress_staff", case_id=contact.case_id,
                    variables=_case_vars(contact, department=department["name"], content_excerpt=contact.excerpt or "",
                                         forward_due_at=_local(event.data["forward_due_at"])))
        return
    _to_offices(uow, event, audience="department", department=department, key="work_order.dispatched/department",
                variables=_case_vars(contact, department=department["name"], content_excerpt=contact.excerpt or ""),
                case_id=contact.case_id)


def on_work_order_forwarded(uow, event, contact):
    """The township congress forwarded a county matter: now the county department has a new order."""
    data = event.data
    _to_offices(uow, event, audience="department", department=data["department"],
                key="work_order.forwarded/department", case_id=contact.case_id,
                variables=_case_vars(contact, department=data["department"]["name"],
                                     content_excerpt=contact.excerpt or "", sign_due_at=_local(data["sign_due_at"]),
                                     due_at=_local(data["due_at"])))


def on_work_order_forward_overdue(uow, event, contact):
    _to_offices(uow, event, audience="congress_staff", department=None,
                key="work_order.forward_overdue/congress_staff", case_id=contact.case_id,
                variables=_case_vars(contact, department=event.data["department"]["name"],
                                     forward_due_at=_local(event.data["forward_due_at"])))


def on_work_order_due_soon(uow, event, contact):
    department = event.data["department"]
    due = datetime.fromisoformat(event.data["due_at"].replace("Z", "+00:00"))
    _to_offices(uow, event, audience="department", department=department, key="work_order.due_soon/department",
                variables=_case_vars(contact, department=department["name"], due_at=domain.local_time(due)),
                case_id=contact.case_id)


def on_case_escalated(uow, event, contact):
    data = event.data
    step = domain.STEP_LABELS[data["step"]]
    reason = domain.escalation_reason(data["trigger"], data["reason"])
    if data["department"]:
        _to_offices(uow, event, audience="department", department=data["department"], key="case.escalated/department",
                    variables=_case_vars(contact, department=data["department"]["name"], step=step,
                                         reason=reason), case_id=contact.case_id)
    _to_offices(uow, event, audience="congress_staff", department=None, key="case.escalated/congress_staff",
                variables=_case_vars(contact, step=step, trigger=domain.TRIGGER_LABELS[data["trigger"]],
                                     target=data["target"], reason=reason), case_id=contact.case_id)


def on_case_closed(uow, event, contact):
    outcome = event.data["outcome"]
    if outcome != "withdrawn":
        _reporter(uow, event, contact, "case.closed/reporter",
                  _case_vars(contact, outcome=domain.RATINGS.get(outcome, "")), channels=("inbox",))
    if outcome == "not_rated":
        _to_offices(uow, event, audience="congress_staff", department=None, key="case.closed.not_rated/congress_staff",
                    variables=_case_vars(contact), case_id=contact.case_id)
    if outcome != "withdrawn":  # results are publicised on the grid's board (结果公开), without personal data
        result = uow.session.get(BoardResult, contact.case_id) or BoardResult(case_id=contact.case_id)
        result.grid_id, result.tracking_code, result.category = contact.grid_id, contact.tracking_code, contact.category
        result.topic, result.department, result.summary = contact.topic, contact.department_name, contact.answer_summary
        result.outcome = outcome
        result.closed_at = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
        uow.session.add(result)


def _nothing(uow, event, contact):
    """Integrators may subscribe to it; no person needs a message."""


CASE_HANDLERS = {
    "case.triaged": on_case_triaged, "case.assigned": on_case_assigned, "case.answered": on_case_answered,
    "case.replied": on_case_replied,
    "case.evaluation_requested": on_case_evaluation_requested, "case.reopened": on_case_reopened,
    "case.reply_overdue": on_case_reply_overdue, "case.return_visit_due": on_case_return_visit_due,
    "case.escalated": on_case_escalated, "case.closed": on_case_closed,
    "work_order.overdue": on_work_order_overdue, "work_order.dispatched": on_work_order_dispatched,
    "work_order.due_soon": on_work_order_due_soon, "work_order.returned": on_work_order_returned,
    "work_order.signing_overdue": on_work_order_signing_overdue,
    "work_order.forwarded": on_work_order_forwarded, "work_order.forward_overdue": on_work_order_forward_overdue,
    "work_order.extension_requested": on_work_order_extension_requested,
    "work_order.extension_decided": on_work_order_extension_decided,
}


def on_case_event(uow: UnitOfWork, event: Event) -> None:
    """Any case or work-order event after registration; held when it overtook the registration."""
    contact = uow.session.get(CaseContact, event.data["case_id"])
    if contact is None:
        if uow.session.get(HeldEvent, event.id) is None:
            uow.session.add(HeldEvent(event_id=event.id, case_id=event.data["case_id"], payload=event.to_json()))
        return
    CASE_HANDLERS.get(event.type, _nothing)(uow, event, contact)


# --- roster.v1 --------------------------------------------------------------------------------------------------
def on_grid(uow, event):
    data = event.data
    grid = uow.session.get(Grid, data["grid_id"]) or Grid(id=data["grid_id"])
    grid.code, grid.name, grid.parent_id = data["code"], data["name"], data.get("parent_id")
    uow.session.add(grid)


def on_assignment_published(uow, event):
    data = event.data
    uow.session.execute(delete(GridDeputy).where(GridDeputy.grid_id == data["grid_id"]))
    for deputy in {d["deputy_id"]: d for d in data["deputies"]}.values():
        uow.session.add(GridDeputy(grid_id=data["grid_id"], deputy_id=deputy["deputy_id"], level=deputy["level"]))


def on_assignment_ended(uow, event):
    uow.session.execute(delete(GridDeputy).where(GridDeputy.grid_id == event.data["grid_id"],
                                                 GridDeputy.deputy_id == event.data["deputy_id"]))


def on_reception(uow, event):
    data = event.data
    published_at = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
    reception = uow.session.get(Reception, data["reception_id"])
    if reception is not None and reception.published_at > published_at:
        return  # an older version arriving late changes nothing
    reception = reception or Reception(id=data["reception_id"])
    reception.grid_id, reception.station_id, reception.place = data["grid_id"], data["station_id"], data["place"]
    reception.starts_at = datetime.fromisoformat(data["starts_at"].replace("Z", "+00:00"))
    reception.ends_at = datetime.fromisoformat(data["ends_at"].replace("Z", "+00:00"))
    reception.deputy_ids = [d["deputy_id"] for d in data["deputies"]]
    reception.status, reception.reason, reception.published_at = data["status"], data["reason"], published_at
    uow.session.add(reception)


def on_station(uow, event):
    data = event.data
    station = uow.session.get(Station, data["station_id"]) or Station(id=data["station_id"])
    station.name, station.address, station.grid_ids = data["name"], data["address"], list(data["grid_ids"])
    uow.session.add(station)


ROSTER_HANDLERS = {
    "grid.created": on_grid, "grid.updated": on_grid, "assignment.published": on_assignment_published,
    "assignment.ended": on_assignment_ended, "reception.scheduled": on_reception, "reception.changed": on_reception,
    "station.created": on_station, "station.updated": on_station,
}


def _with_webhooks(handler):
    def handle(uow: UnitOfWork, event: Event) -> None:
        _webhooks(uow, event)
        if handler is not None:
            handler(uow, event)
    handle.__name__ = getattr(handler, "__name__", "webhooks_only")
    return handle


def _all_handlers() -> dict:
    handlers = {}
    for (event_type, _version), found in contracts.registry().items():
        if found.topic == "cases.v1":
            handlers[event_type] = _with_webhooks(
                on_case_registered if event_type == "case.registered"
                else on_case_event if "case_id" in found.schema.get("required", []) else None)
        elif found.topic == "roster.v1":
            handlers[event_type] = _with_webhooks(ROSTER_HANDLERS.get(event_type))
    return handlers


HANDLERS = _all_handlers()
