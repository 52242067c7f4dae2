"""The settings people change through the API: template versions, mailboxes (recipients), webhook subscriptions.
Each change is a `notify_settings.changed` event in its transaction, which reporting's audit log keeps."""
from __future__ import annotations

import secrets
import uuid

from sqlalchemy import func, select

from wangge_common import redaction
from wangge_common.crypto import FieldCipher
from wangge_common.db import utcnow
from wangge_common.errors import Invalid, NotFound

from .. import domain
from ..models import Recipient, Template, WebhookSubscription
from ..queries import describe_template, get_webhook, webhook_view


def announce(uow, kind: str, action: str, item: str, values: dict, *, version: int | None = None,
             reason: str | None = None) -> None:
    """A change of notify's settings as `notify_settings.changed`, in the change's transaction: reporting's audit log
    keeps it with its actor. Never a webhook's secret; a mailbox's address is masked."""
    uow.emit("notify_settings.changed", f"{kind}:{item}", data={
        "kind": kind, "action": action, "item": str(item)[:80], "version": version, "values": values,
        "reason": reason[:500] if reason else None})


def _recipient_values(recipient: Recipient) -> dict:
    return {"audience": recipient.audience, "department_code": recipient.department_code, "name": recipient.name,
            "email": redaction.redact(recipient.email or ""), "active": recipient.active}


def _webhook_values(subscription: WebhookSubscription) -> dict:
    return {"name": subscription.name, "url": subscription.url, "event_types": list(subscription.event_types),
            "status": subscription.status}


def save_template(uow, key: str, *, body: str, reason: str | None) -> dict:
    """A new version of a template, checked by rendering it against the event's variables first."""
    session, actor = uow.session, uow.actor
    if key not in domain.DEFAULTS:
        raise NotFound(f"no template {key!r}; known: {', '.join(sorted(domain.DEFAULTS))}")
    try:
        domain.check_template(key, body)
    except domain.TemplateError as exc:
        raise Invalid([("body", str(exc))]) from exc
    latest = session.scalar(select(func.max(Template.version)).where(Template.key == key)) or 0
    session.add(Template(key=key, version=latest + 1, body=body, reason=reason, created_by=actor))
    session.flush()
    announce(uow, "template", "updated", key, {"body": body}, version=latest + 1, reason=reason)
    return describe_template(session, key)


def add_recipient(uow, data: dict) -> Recipient:
    if data["audience"] == "department" and not data.get("department_code"):
        raise Invalid([("department_code", "required for a department's mailbox")])
    if data["audience"] == "congress_staff" and data.get("department_code"):
        raise Invalid([("department_code", "only a department's mailbox has one")])
    recipient = Recipient(id=str(uuid.uuid4()), active=True, **data)
    uow.session.add(recipient)
    uow.session.flush()
    announce(uow, "recipient", "created", recipient.id, _recipient_values(recipient))
    return recipient


def change_recipient(uow, recipient_id: str, changes: dict) -> Recipient:
    recipient = uow.session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(f"no recipient {recipient_id}")
    for name, value in changes.items():
        setattr(recipient, name, value)
    announce(uow, "recipient", "updated", recipient.id, _recipient_values(recipient))
    return recipient


def add_webhook(uow, cipher: FieldCipher, data: dict) -> dict:
    secret = data.pop("secret", None) or secrets.token_urlsafe(32)
    subscription = WebhookSubscription(id=str(uuid.uuid4()), secret_encrypted=cipher.encrypt(secret),
                                       status="active", consecutive_failures=0, created_at=utcnow(), **data)
    uow.session.add(subscription)
    uow.session.flush()
    announce(uow, "webhook", "created", subscription.id, _webhook_values(subscription))
    return {**webhook_view(subscription), "secret": secret}


def change_webhook(uow, webhook_id: str, changes: dict) -> dict:
    subscription = get_webhook(uow.session, webhook_id)
    status = changes.pop("status", None)
    for name, value in changes.items():
        setattr(subscription, name, value)
    if status == "active" and subscription.status != "active":
        subscription.status, subscription.consecutive_failures = "active", 0
        subscription.disabled_reason = subscription.disabled_at = None
    elif status == "disabled" and subscription.status != "disabled":
        subscription.status, subscription.disabled_at, subscription.disabled_reason = (
            "disabled", utcnow(), "disabled by an operator")
    announce(uow, "webhook", "updated", subscription.id, _webhook_values(subscription))
    return webhook_view(subscription)
