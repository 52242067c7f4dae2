"""Notify: handlers of the events it consumes, and its queries."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from . import domain
from .models import CaseContact, Notification


def _send_inbox(uow: UnitOfWork, event: Event, *, case_id: str, recipient: str, template: str, body: str) -> None:
    """Store one inbox message for the recipient and announce it; at most once per event, recipient, channel."""
    exists = uow.session.scalar(select(Notification.id).where(
        Notification.cause_event_id == event.id, Notification.recipient_ref == recipient, Notification.channel == "inbox"))
    if exists:
        return
    note = Notification(id=str(uuid.uuid4()), cause_event_id=event.id, case_id=case_id, recipient_ref=recipient,
                        audience="reporter", channel="inbox", template=template, body=body, state="sent")
    uow.session.add(note)
    uow.session.flush()
    uow.emit("notification.sent", note.id, new_subject=True, data={
        "notification_id": note.id, "case_id": case_id, "recipient_ref": recipient, "audience": "reporter",
        "channel": "inbox", "template": template, "cause_event_id": event.id})


def on_case_registered(uow: UnitOfWork, event: Event) -> None:
    data = event.data
    contact = uow.session.get(CaseContact, data["case_id"]) or CaseContact(case_id=data["case_id"])
    contact.reporter_ref, contact.tracking_code = data["reporter_ref"], data["tracking_code"]
    uow.session.add(contact)
    if data["reporter_ref"]:
        template = "case.registered/reporter"
        _send_inbox(uow, event, case_id=data["case_id"], recipient=data["reporter_ref"], template=template,
                    body=domain.render(template, tracking_code=data["tracking_code"]))


def on_case_triaged(uow: UnitOfWork, event: Event) -> None:
    data = event.data
    contact = uow.session.get(CaseContact, data["case_id"])
    if contact is None or not contact.reporter_ref:
        return  # anonymous, or registered before notify kept contacts: nobody to tell
    if data["department"]:
        template = "case.triaged/reporter"
        body = domain.render(template, tracking_code=contact.tracking_code, department=data["department"]["name"])
    else:
        template = "case.triaged.manual/reporter"
        body = domain.render(template, tracking_code=contact.tracking_code)
    _send_inbox(uow, event, case_id=data["case_id"], recipient=contact.reporter_ref, template=template, body=body)


def list_notifications(session, *, recipient=None, case_id=None, page=1, page_size=100) -> list[Notification]:
    query = select(Notification)
    if recipient:
        query = query.where(Notification.recipient_ref == recipient)
    if case_id:
        query = query.where(Notification.case_id == str(case_id))
    return session.scalars(query.order_by(Notification.created_at, Notification.id)
                           .limit(page_size).offset((page - 1) * page_size)).all()


HANDLERS = {"case.registered": on_case_registered, "case.triaged": on_case_triaged}
