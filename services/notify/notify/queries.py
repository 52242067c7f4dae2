"""Notify's reads behind the API and pages: the inbox, deliveries, templates, mailboxes, webhook subscriptions, the
public board, and the reconciliation of messages per case."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from wangge_common.db import utcnow
from wangge_common.errors import NotFound
from wangge_common.paging import changed_since, paginate

from . import domain
from .models import (BoardProject, BoardResult, CaseContact, Delivery, Grid, Reception, Recipient, Station, Template,
                     WebhookSubscription)


def current_template(session, key: str) -> tuple[str, int]:
    """The body and version in use for `key`: the latest saved version, else the built-in one (version 0)."""
    saved = session.scalars(select(Template).where(Template.key == key)
                            .order_by(Template.version.desc()).limit(1)).first()
    return (saved.body, saved.version) if saved else (domain.DEFAULTS[key].body, 0)


BOARD_NOTICE_DAYS = 3  # reception schedules are posted at least three days ahead (003)


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
    return paginate(session, query.order_by(Delivery.created_at.desc(), Delivery.id), page, page_size)


def get_delivery(session, delivery_id: str) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id}")
    return delivery


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


def list_recipients(session, *, page=1, page_size=100, audience=None, department_code=None) -> dict:
    query = select(Recipient)
    if audience:
        query = query.where(Recipient.audience == audience)
    if department_code:
        query = query.where(Recipient.department_code == department_code)
    return paginate(session, query.order_by(Recipient.audience, Recipient.name, Recipient.id), page, page_size)


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


def _upcoming(session, where, now: datetime) -> list[Reception]:
    return session.scalars(select(Reception).where(where, Reception.ends_at >= now)
                           .order_by(Reception.starts_at, Reception.id)).all()


def _grid_board(session, grid_id: str, now: datetime):
    """A grid's board: its own reception days and those of the station serving it (as the grid notice has it)."""
    grid = session.get(Grid, grid_id)
    served_by = serving_station(session, grid) if grid else None
    where = or_(Reception.grid_id == grid_id, Reception.station_id == served_by.id) if served_by \
        else Reception.grid_id == grid_id
    return grid, _upcoming(session, where, now), {grid_id}, (grid.name if grid else None), None


def _station_board(session, station_id: str, now: datetime):
    """A station's board: its reception days, and the results of its grids (from roster) and of any grid whose
    reception days it hosts."""
    station = session.get(Station, station_id)
    receptions = _upcoming(session, Reception.station_id == station_id, now)
    grid_ids = set(station.grid_ids or []) if station else set()
    grid_ids |= {r.grid_id for r in receptions if r.grid_id}
    name = station.name if station else (receptions[0].place if receptions else None)
    return station, receptions, grid_ids, name, (station.address if station else None)


def board(session, *, scope: str, board_id: str, now: datetime | None = None, results: int = 20) -> dict:
    """Upcoming reception days and recent publicised results of one grid (网格) or liaison station (联络站); a grid's
    board also shows the days of the station that serves it, like the grid notice."""
    now = now or utcnow()
    found_place, receptions, grid_ids, name, address = (_grid_board if scope == "grid" else _station_board)(
        session, board_id, now)
    found = session.scalars(select(BoardResult).where(BoardResult.grid_id.in_(grid_ids))
                            .order_by(BoardResult.closed_at.desc(), BoardResult.case_id).limit(results)).all()
    projects = session.scalars(select(BoardProject).where(BoardProject.grid_id.in_(grid_ids))
                               .order_by(BoardProject.completed_at.desc(), BoardProject.project_id)
                               .limit(results)).all()
    if found_place is None and not receptions and not found and not projects:
        raise NotFound(f"nothing is published for {scope} {board_id}")
    return {"scope": scope, "id": board_id, "name": name or ("网格" if scope == "grid" else "代表联络站"),
            "address": address, "receptions": [_reception_view(r) for r in receptions], "results": found,
            "projects": projects,
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
