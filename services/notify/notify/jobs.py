"""Notify's scheduled work (the `Periodic` entries of its spec): the sender claims due deliveries with a lease,
sends them and records the outcome; reception reminders go out the day before.

A sender that dies after claiming leaves a lease that expires; one that dies after sending but before recording
sends again with the same idempotency key / Message-ID, which the receiver uses to drop the copy.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from wangge_common import clock

from . import channels, domain, smsproviders
from .settings import NotifySettings
from .commands.deliveries import deliver, sent_event_data
from .models import Delivery, Grid, Reception, Recipient, WebhookSubscription

log = logging.getLogger(__name__)
DUE_STATES = ("pending", "failed")
ACTOR = "service:notify"


def claim(runtime, now: datetime, config: NotifySettings) -> list[str]:
    """Take a lease on up to batch_size due deliveries; only one sender gets each."""
    lease = now + timedelta(seconds=config.lease_s)
    with runtime.db.transaction() as session:
        ids = session.scalars(select(Delivery.id).where(
            Delivery.state.in_(DUE_STATES), Delivery.next_attempt_at <= now,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(config.batch_size)).all()
        claimed = []
        for delivery_id in ids:
            taken = session.execute(update(Delivery).where(
                Delivery.id == delivery_id, Delivery.state.in_(DUE_STATES),
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)).values(lease_until=lease))
            if taken.rowcount == 1:
                claimed.append(delivery_id)
    return claimed


def _hold(runtime, delivery_id: str, until: datetime, reason: str) -> None:
    with runtime.db.transaction() as session:
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(
            next_attempt_at=until, held_reason=reason, lease_until=None))


def _capped(delivery: Delivery) -> bool:
    """Quiet hours and the daily cap apply to residents' non-urgent SMS."""
    return delivery.channel == "sms" and delivery.audience == "reporter" and not delivery.urgent


def _quiet_hours_hold(delivery: Delivery, now: datetime, config: NotifySettings):
    if _capped(delivery) and config.quiet_hours and config.quiet_hours.contains(now):
        return config.quiet_hours.next_end(now), "quiet_hours"
    return None


def _daily_cap_hold(runtime, contact_key: str, now: datetime, config: NotifySettings):
    """(until, reason) when this person had their non-urgent SMS for today. Counted by the number's keyed hash, not
    by reporter_ref: intake mints a reference per case, and the cap is per resident."""
    day_start, day_end = domain.local_day_bounds(now)
    with runtime.db.sessions() as session:
        sent_today = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.contact_key == contact_key, Delivery.channel == "sms", Delivery.state == "sent",
            Delivery.urgent.is_(False), Delivery.sent_at >= day_start, Delivery.sent_at < day_end))
    if sent_today >= config.sms_daily_cap:
        return domain.next_day_morning(now, config.quiet_hours), "daily_cap"
    return None


def _phone(runtime, config: NotifySettings, delivery: Delivery) -> str:
    """The recipient's mobile number, asked of intake or roster at send time (never kept)."""
    contact = channels.fetch_contact(runtime.settings, config, delivery.audience, delivery.recipient_ref)
    if not contact.get("phone"):
        raise channels.Permanent("the recipient has no mobile phone number on file")
    return contact["phone"]


def _transmit(runtime, config: NotifySettings, delivery: Delivery, target, phone: str | None) -> None:
    """Send one delivery on its channel; raises channels.Retry or channels.Permanent. No transaction is open."""
    if delivery.channel == "sms":
        if config.sms_account is not None:  # Aliyun or Tencent Cloud: an approved template and its values
            smsproviders.send(config.sms_account, phone=phone, template_key=delivery.template,
                              variables=delivery.variables, delivery_id=delivery.id, timeout=config.http_timeout_s)
        else:
            channels.send_sms(config, phone=phone, text=delivery.body, delivery_id=delivery.id)
    elif delivery.channel == "email":
        if target is None or not target.active:
            raise channels.Permanent("the mailbox was removed")
        channels.send_email(config, to=target.email, subject=delivery.subject or "网格通知", text=delivery.body,
                            delivery_id=delivery.id)
    elif delivery.channel == "webhook":
        if target is None or target.status != "active":
            raise channels.Permanent("the webhook subscription is disabled")
        channels.send_webhook(config, url=target.url,
                              secret=runtime.state.cipher.decrypt(target.secret_encrypted),
                              payload=delivery.payload, event_type=delivery.event_type, delivery_id=delivery.id)
    else:
        raise channels.Permanent(f"channel {delivery.channel} is not sent by the sender")


def _failure_data(delivery: Delivery, error: str) -> dict:
    return {**sent_event_data(delivery), "attempts": delivery.attempts, "error": error[:1000]}


def _record(runtime, config: NotifySettings, delivery_id: str, now: datetime, error: Exception | None,
            contact_key: str | None = None) -> None:
    """Write the outcome of one attempt and its event, in one transaction."""
    with runtime.unit_of_work(actor=ACTOR) as uow:
        delivery = uow.session.get(Delivery, delivery_id)
        if delivery.state in ("sent", "gave_up"):
            return  # a sender whose lease ran out finished late: another one has recorded this delivery already
        delivery.attempts += 1
        delivery.contact_key = contact_key or delivery.contact_key
        delivery.lease_until, delivery.held_reason = None, None
        subscription = (uow.session.get(WebhookSubscription, delivery.subscription_id)
                        if delivery.subscription_id else None)
        if error is None:
            delivery.state, delivery.sent_at, delivery.last_error = "sent", now, None
            if subscription is not None:
                subscription.consecutive_failures = 0
            else:  # notification.sent names a person's audience; integrators' copies are not answers to anyone
                uow.emit("notification.sent", delivery.id, data=sent_event_data(delivery))
            return
        delivery.last_error = str(error)[:2000]
        if subscription is not None and not isinstance(error, channels.Permanent):
            subscription.consecutive_failures += 1
            if subscription.status == "active" and subscription.consecutive_failures >= config.webhook_disable_after:
                subscription.status, subscription.disabled_at = "disabled", now
                subscription.disabled_reason = (f"disabled after {subscription.consecutive_failures} failed "
                                                f"deliveries in a row; last error: {delivery.last_error}")
        if isinstance(error, channels.Permanent) or delivery.attempts >= config.max_attempts:
            delivery.state = "gave_up"
            uow.emit("notification.gave_up", delivery.id, data=_failure_data(delivery, delivery.last_error))
        else:
            delivery.state = "failed"
            delivery.next_attempt_at = now + domain.backoff(delivery.attempts, config.retry_base_s)
            uow.emit("notification.failed", delivery.id, data={
                **_failure_data(delivery, delivery.last_error),
                "next_attempt_at": clock.wire_time(delivery.next_attempt_at)})


def send_one(runtime, config: NotifySettings, delivery_id: str, now: datetime) -> bool:
    """Attempt one claimed delivery; True when it went out."""
    # Read what the attempt needs, then close the session: no transaction (on SQLite, no write lock) stays open
    # while a contact source, gateway, mail server or webhook takes its time to answer.
    with runtime.db.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        target = None
        if delivery.channel == "email":
            target = session.get(Recipient, delivery.recipient_ref.removeprefix("recipient:"))
        elif delivery.channel == "webhook" and delivery.subscription_id:
            target = session.get(WebhookSubscription, delivery.subscription_id)
    hold = _quiet_hours_hold(delivery, now, config)
    phone = contact_key = error = None
    if hold is None:
        try:
            if delivery.channel == "sms":
                phone = _phone(runtime, config, delivery)
                if _capped(delivery):
                    contact_key = domain.contact_key(runtime.state.contact_hash_key, phone)
                    hold = _daily_cap_hold(runtime, contact_key, now, config)
            if hold is None:
                _transmit(runtime, config, delivery, target, phone)
        except (channels.Retry, channels.Permanent) as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - an adapter's surprise is a failed attempt, recorded and retried
            log.exception("sending delivery %s failed unexpectedly", delivery_id)
            error = channels.Retry(f"{type(exc).__name__}: {exc}")
    if hold is not None and error is None:
        _hold(runtime, delivery_id, *hold)
        return False
    _record(runtime, config, delivery_id, now, error, contact_key)
    return error is None


def send_due(runtime, now: datetime, *, max_batches: int = 50) -> int:
    """The periodic job: send due deliveries, a small leased batch at a time; returns how many went out."""
    config = runtime.state.settings
    sent = 0
    for _ in range(max_batches):
        claimed = claim(runtime, now, config)
        if not claimed:
            break
        sent += sum(send_one(runtime, config, delivery_id, now) for delivery_id in claimed)
    return sent


REMINDER_NAMESPACE = uuid.UUID("6f1c3a52-5a0e-4c55-9a57-2d0a6f3b8e41")


class _Cause:
    """The 'event' a reminder answers to: one per reception and start time, so a rerun finds its deliveries."""

    def __init__(self, reception: Reception):
        self.id = str(uuid.uuid5(REMINDER_NAMESPACE, f"{reception.id}/{reception.starts_at.isoformat()}"))
        self.type = "reception.reminder"
        self.data = {}  # its id already names its meaning (uuid5 of reception and start)


def remind_receptions(runtime, now: datetime) -> int:
    """Deputies on duty hear the day before a reception day (接待日) that it is tomorrow; once per start time.

    The job finds tomorrow's receptions from just after midnight: the inbox message is written then, the SMS waits
    for the end of quiet hours, so no deputy's phone rings at 00:05 for a reminder.
    """
    _, today_end = domain.local_day_bounds(now)
    tomorrow_end = today_end + timedelta(days=1)
    quiet = runtime.state.settings.quiet_hours
    not_before = (quiet.next_end(now), "quiet_hours") if quiet and quiet.contains(now) else None
    created = 0
    with runtime.unit_of_work(actor=ACTOR) as uow:
        receptions = uow.session.scalars(select(Reception).where(
            Reception.status != "cancelled", Reception.starts_at >= today_end,
            Reception.starts_at < tomorrow_end)).all()
        for reception in receptions:
            grid = uow.session.get(Grid, reception.grid_id) if reception.grid_id else None
            start, end = clock.local_text(reception.starts_at, "%H:%M"), clock.local_text(reception.ends_at, "%H:%M")
            created += deliver(uow, _Cause(reception), audience="deputy", recipients=reception.deputy_ids,
                               channels=("inbox", "sms"), key="reception.reminder/deputy", case_id=None,
                               not_before=not_before, variables={
                                   "place": reception.place, "starts_at": start, "ends_at": end,
                                   "grid_name": grid.name if grid else ""})
    return created
