"""Deliveries a consumed event causes: one per (event, recipient, channel), never two of the same meaning, created
(state pending) in the consumer's transaction; the sender job sends them. Inbox messages are delivered by being
written, so they start as sent."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select

from wangge_common.db import utcnow
from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import CaseContact, Delivery, Recipient, WebhookSubscription
from ..queries import current_template

log = logging.getLogger(__name__)
PERSONAL_CHANNELS = ("inbox", "sms")
OFFICE_CHANNELS = ("inbox", "email")


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


def to_reporter(uow, event, contact, key, variables, channels=PERSONAL_CHANNELS):
    """The resident who reported the case, unless anonymous."""
    if contact.reporter_ref:  # anonymous reports have nobody to tell
        deliver(uow, event, audience="reporter", recipients=[contact.reporter_ref], channels=channels, key=key,
                variables=variables, case_id=contact.case_id, urgent=contact.urgent)


def to_deputies(uow, event, contact, key, variables, deputy_ids=None):
    """The case's deputies (the first receiver once routing named one), or the ones given."""
    deliver(uow, event, audience="deputy", recipients=list(deputy_ids or contact.deputy_ids or []),
            channels=PERSONAL_CHANNELS, key=key, variables=variables, case_id=contact.case_id)


def to_offices(uow, event, *, audience: str, department: dict | None, key: str, variables: dict, case_id: str):
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


def to_webhooks(uow: UnitOfWork, event: Event) -> None:
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
