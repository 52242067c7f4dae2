"""Channel adapters: SMS over an HTTP gateway, e-mail over SMTP, signed webhooks, and contact look-ups.

Each send carries the delivery id as its idempotency key (SMS, webhook) or Message-ID (e-mail), so a crash
between sending and recording the send is absorbed by the receiver when the sender tries again.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

import requests

from . import domain, egress
from .domain import Permanent, Retry  # noqa: F401 - the senders catch them here, the providers raise them
from .settings import NotifySettings


def _get(url: str, *, token: str | None, timeout: float) -> requests.Response:
    try:
        return requests.get(url, headers={"Authorization": f"Bearer {token}"} if token else {}, timeout=timeout)
    except requests.RequestException as exc:
        raise Retry(f"GET {url} failed: {type(exc).__name__}") from exc


def fetch_contact(settings, config: NotifySettings, audience: str, ref: str) -> dict:
    """{"name", "phone", "email"} from intake (reporters) or roster (deputies), asked at send time."""
    if audience == "reporter":
        url = f"{settings.service_urls['intake'].rstrip('/')}/v1/internal/reporters/{ref}/contact"
    elif audience == "deputy":
        url = f"{settings.service_urls['roster'].rstrip('/')}/v1/internal/deputies/{ref}/contact"
    else:
        raise Permanent(f"no contact source for audience {audience}")
    response = _get(url, token=settings.service_key, timeout=config.http_timeout_s)
    if response.status_code == 404:
        raise Permanent(f"{audience} {ref} is not known to the contact source")
    if response.status_code == 410:  # the person was erased (crypto-shredding at intake): never retried
        raise Permanent(f"{audience} {ref} was erased; there is nobody to reach")
    if response.status_code != 200:
        raise Retry(f"contact look-up answered {response.status_code}")
    return response.json()


def send_sms(config: NotifySettings, *, phone: str, text: str, delivery_id: str) -> None:
    """POST {to, text, idempotency_key} to the gateway; 4xx is a rejection, 5xx or no answer a retry."""
    if not config.sms_url:
        raise Retry("no SMS gateway configured (WANGGE_NOTIFY_SMS_URL)")
    headers = {"Idempotency-Key": delivery_id}
    if config.sms_token:
        headers["Authorization"] = f"Bearer {config.sms_token}"
    try:
        response = requests.post(config.sms_url, json={"to": phone, "text": text, "idempotency_key": delivery_id},
                                 headers=headers, timeout=config.http_timeout_s)
    except requests.RequestException as exc:
        raise Retry(f"SMS gateway unreachable: {type(exc).__name__}") from exc
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        raise Permanent(f"SMS gateway rejected the message: {response.status_code} {response.text[:200]}")
    if response.status_code >= 300:
        raise Retry(f"SMS gateway answered {response.status_code}")


def message_id(delivery_id: str) -> str:
    return f"<{delivery_id}@notify.wangge>"


def send_email(config: NotifySettings, *, to: str, subject: str, text: str, delivery_id: str) -> None:
    if not config.smtp_host:
        raise Retry("no SMTP server configured (WANGGE_NOTIFY_SMTP_HOST)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config.smtp_from, to, subject
    message["Message-ID"], message["Date"] = message_id(delivery_id), formatdate(localtime=False)
    message.set_content(text, charset="utf-8")
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.http_timeout_s) as smtp:
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise Permanent(f"mail server refused {to}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise Retry(f"SMTP failed: {type(exc).__name__}: {exc}") from exc


def send_webhook(config: NotifySettings, *, url: str, secret: str, payload: str, event_type: str,
                 delivery_id: str) -> None:
    """POST the event JSON, signed: X-Wangge-Signature: sha256=HMAC(secret, raw body)."""
    body = payload.encode()
    headers = {"Content-Type": "application/cloudevents+json; charset=utf-8",
               "X-Wangge-Signature": domain.sign(secret, body), "X-Wangge-Delivery": delivery_id,
               "X-Wangge-Event": event_type, "Idempotency-Key": delivery_id}
    try:
        with egress.session(config.webhook_allowed_networks) as session:
            response = session.post(url, data=body, headers=headers, timeout=config.http_timeout_s,
                                    allow_redirects=False)
    except egress.RefusedAddress as exc:
        raise Retry(f"webhook refused: {exc}") from exc
    except requests.RequestException as exc:
        raise Retry(f"webhook unreachable: {type(exc).__name__}") from exc
    if 300 <= response.status_code < 400:
        raise Retry(f"webhook answered {response.status_code} (redirects are not followed)")
    if not 200 <= response.status_code < 300:
        raise Retry(f"webhook answered {response.status_code}")
