"""Notify's commands and queries behind the API: deliveries, templates, recipients, webhooks, the public board."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from wangge_common import redaction
from wangge_common.crypto import FieldCipher
from wangge_common.db import utcnow
from wangge_common.errors import Invalid, NotFound
from wangge_common.paging import changed_since, paginate

from . import domain
from .handlers import current_template
from .models import BoardResult, CaseContact, Delivery, Grid, Reception, Recipient, Station, Template, WebhookSubscription

BOARD_NOTICE_DAYS = 3  # reception schedules are posted at least three days ahead (003)


def _page(session, query, order, page: int, page_size: int) -> dict:
    return paginate(session, query.order_by(*order), page, page_size)


# --- deliveries ---------------------------------------------------------------------------------------------------
def list_notifications(session, *, recipient=None, case_id=None, page=1, page_size=100, updated_since=None,
                       after=None) -> dict:
    """The in-app inbox (站内信): inbox deliveries, oldest first."""
    query = select(Delivery).where(Delivery.channel == "inbox")
    if recipient:
        query = query.where(Delivery.recipient_ref == recipient)
    if case_id:
        query = query.where(Delivery.case_id == str(case_id))
    query = query.order_by(Delivery.created_at, Delivery.id)
    feed = {"updated_since": updated_since, "after": after}
    return paginate(session, changed_since(query, feed, Delivery.updated_at, Delivery.id), page, page_size)


def list_deliveries(session, *, page=1, page_size=100, **filters) -> dict:
    query = select(Delivery)
    columns = {"state": Delivery.state, "channel": Delivery.channel, "audience": Delivery.audience,
               "recipient": Delivery.recipient_ref, "case_id": Delivery.case_id,
               "cause_event_id": Delivery.cause_event_id, "event_type": Delivery.event_type}
    for name, value in filters.items():
        if value is not None:
            query = query.where(columns[name] == str(value))
    return _page(session, query, (Delivery.created_at.desc(), Delivery.id), page, page_size)


def get_delivery(session, delivery_id: str) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id}")
    return delivery


# --- templates ----------------------------------------------------------------------------------------------------
def describe_template(session, key: str) -> dict:
    if key not in domain.DEFAULTS:
        raise NotFound(f"no template {key!r}; known: {', '.join(sorted(domain.DEFAULTS))}")
    body, version = current_template(session, key)
    default = domain.DEFAULTS[key]
    saved = session.scalars(select(Template).where(Template.key == key).order_by(Template.version)).all()
    builtin = {"version": 0, "body": default.body, "reason": "built-in", "created_by": "notify", "created_at": None}
    return {"key": key, "title": default.title, "variables": default.variables, "version": version, "body": body,
            "versions": [builtin] + list(saved)}


def list_templates(session) -> list[dict]:
    return [describe_template(session, key) for key in sorted(domain.DEFAULTS)]


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


# --- recipients ---------------------------------------------------------------------------------------------------
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


def list_recipients(session, *, page=1, page_size=100, audience=None, department_code=None) -> dict:
    query = select(Recipient)
    if audience:
        query = query.where(Recipient.audience == audience)
    if department_code:
        query = query.where(Recipient.department_code == department_code)
    return _page(session, query, (Recipient.audience, Recipient.name, Recipient.id), page, page_size)


def change_recipient(uow, recipient_id: str, changes: dict) -> Recipient:
    recipient = uow.session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(f"no recipient {recipient_id}")
    for name, value in changes.items():
        setattr(recipient, name, value)
    announce(uow, "recipient", "updated", recipient.id, _recipient_values(recipient))
    return recipient


# --- webhooks -----------------------------------------------------------------------------------------------------
def add_webhook(uow, cipher: FieldCipher, data: dict) -> dict:
    secret = data.pop("secret", None) or secrets.token_urlsafe(32)
    subscription = WebhookSubscription(id=str(uuid.uuid4()), secret_encrypted=cipher.encrypt(secret),
                                       status="active", consecutive_failures=0, created_at=utcnow(), **data)
    uow.session.add(subscription)
    uow.session.flush()
    announce(uow, "webhook", "created", subscription.id, _webhook_values(subscription))
    return {**webhook_view(subscription), "secret": secret}


def webhook_view(subscription: WebhookSubscription) -> dict:
    return {c: getattr(subscription, c) for c in ("id", "name", "url", "event_types", "status", "consecutive_failures",
                                                  "disabled_reason", "disabled_at", "created_at")}


def list_webhooks(session) -> list[dict]:
    return [webhook_view(s) for s in session.scalars(
        select(WebhookSubscription).order_by(WebhookSubscription.created_at, WebhookSubscription.id))]


def get_webhook(session, webhook_id: str) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, webhook_id)
    if subscription is None:
        raise NotFound(f"no webhook subscription {webhook_id}")
    return subscription


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


# --- the public board ---------------------------------------------------------------------------------------------
def _reception_view(reception: Reception) -> dict:
    return {"id": reception.id, "grid_id": reception.grid_id, "station_id": reception.station_id,
            "place": reception.place, "starts_at": reception.starts_at, "ends_at": reception.ends_at,
            "status": reception.status, "reason": reception.reason, "deputy_count": len(reception.deputy_ids or []),
            "short_notice": reception.starts_at - reception.published_at < timedelta(days=BOARD_NOTICE_DAYS)}


def serving_station(session, grid: Grid) -> Station | None:
    """The liaison station a grid's residents go to: the one serving the grid itself, else the nearest enclosing
    grid's (as the grid notice has it)."""
    lineage, seen = [], set()
    while grid is not None and grid.id not in seen:
        seen.add(grid.id)
        lineage.append(grid.id)
        grid = session.get(Grid, grid.parent_id) if grid.parent_id else None
    stations = [s for s in session.scalars(select(Station).order_by(Station.id)) if set(s.grid_ids or ()) & seen]
    for grid_id in lineage:
        for station in stations:
            if grid_id in (station.grid_ids or ()):
                return station
    return None


def board(session, *, scope: str, board_id: str, now: datetime | None = None, results: int = 20) -> dict:
    """Upcoming reception days and recent publicised results of one grid (网格) or liaison station (联络站); a grid's
    board also shows the days of the station that serves it, like the grid notice."""
    now = now or utcnow()
    grid = session.get(Grid, board_id) if scope == "grid" else None
    if scope == "grid":
        served_by = serving_station(session, grid) if grid else None
        where = or_(Reception.grid_id == board_id, Reception.station_id == served_by.id) if served_by \
            else Reception.grid_id == board_id
    else:
        where = Reception.station_id == board_id
    receptions = session.scalars(select(Reception).where(where, Reception.ends_at >= now)
                                 .order_by(Reception.starts_at, Reception.id)).all()
    station = session.get(Station, board_id) if scope == "station" else None
    if scope == "grid":
        grid_ids = {board_id}
        name, address = (grid.name if grid else None), None
    else:  # the station's grids (from roster), and any grid whose reception days it hosts
        grid_ids = set(station.grid_ids or []) if station else set()
        grid_ids |= {r.grid_id for r in receptions if r.grid_id}
        name = station.name if station else (receptions[0].place if receptions else None)
        address = station.address if station else None
    found = session.scalars(select(BoardResult).where(BoardResult.grid_id.in_(grid_ids))
                            .order_by(BoardResult.closed_at.desc(), BoardResult.case_id).limit(results)).all()
    if grid is None and station is None and not receptions and not found:
        raise NotFound(f"nothing is published for {scope} {board_id}")
    return {"scope": scope, "id": board_id, "name": name or ("网格" if scope == "grid" else "代表联络站"),
            "address": address, "receptions": [_reception_view(r) for r in receptions], "results": found,
            "generated_at": now}


def reconcile_cases(session, case_ids: list[str]) -> dict:
    """{case id: {"registered", "messages", "doubled"}} for the cases whose registration notify handled."""
    found = {case_id: {"registered": 0, "messages": 0, "doubled": []} for case_id in session.scalars(
        select(CaseContact.case_id).where(CaseContact.case_id.in_(case_ids)))}
    rows = session.execute(select(Delivery.case_id, Delivery.event_type, Delivery.recipient_ref, Delivery.channel,
                                  func.count()).where(Delivery.case_id.in_(list(found)))
                           .group_by(Delivery.case_id, Delivery.event_type, Delivery.recipient_ref, Delivery.channel))
    for case_id, event_type, recipient, channel, count in rows:
        case = found[case_id]
        case["messages"] += count
        if event_type == "case.registered":
            case["registered"] += 1
        if count > 1 and event_type in domain.ONCE_PER_CASE:
            case["doubled"].append([event_type, recipient, channel, count])
    return found
