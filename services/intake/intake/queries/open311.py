"""Cases as Open311 GeoReport v2 service requests (the facade's reads): which cases a query names, and each as a
request with the departments answering for it and its grid's name."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from wangge_common import clock

from .. import domain
from ..models import Case, CaseOrder, KnownGrid

CLOSED_STATES = ("closed", "evaluated", "withdrawn")
ROLE_ORDER = {"sole": 0, "lead": 1, "member": 2}
# What anyone may read of a request (GET needs no key, as the standard has it): never who reported it, where they
# live, the household file or the photos; the place is the grid's name. A key with cases:read sees the rest too.
PRIVATE_FIELDS = ("address", "address_id", "lat", "long", "media_url")



def find_requests(session, *, ids: list[str] | None = None, start: datetime | None = None, end: datetime | None = None,
               categories: list[str] | None = None, status: set[str] | None = None, limit: int) -> list[Case]:
    """Cases by id (at most `limit`), else received between `start` and `end`, of `categories`, open or closed
    (`status`, a subset of {"open", "closed"}); newest first."""
    query = select(Case)
    if ids:
        query = query.where(Case.id.in_(ids[:limit]))
    else:
        query = query.where(Case.received_at >= start, Case.received_at <= end)
        if categories:
            query = query.where(Case.category.in_(categories))
        if status == {"open"}:
            query = query.where(Case.status.not_in(CLOSED_STATES))
        elif status == {"closed"}:
            query = query.where(Case.status.in_(CLOSED_STATES))
    return list(session.scalars(query.order_by(Case.received_at.desc(), Case.id).limit(limit)))


def case_by_id_or_code(session, request_id: str) -> Case | None:
    """One case by its id or its tracking code (any case)."""
    return session.get(Case, request_id) or session.scalars(
        select(Case).where(Case.tracking_code == request_id.upper())).first()


def isoformat(moment: datetime | None) -> str | None:
    """W3C date-time with the offset, as the standard requires (UTC: `Z`), to the second."""
    return clock.wire_time(moment, "seconds")


def _agency(orders: list[CaseOrder]) -> tuple[str | None, datetime | None]:
    """The departments answering for the case (lead or sole first) and the lead's deadline, from routing's orders."""
    active = sorted((o for o in orders if o.state in domain.HANDLING_ORDER_STATES),
                    key=lambda o: (ROLE_ORDER.get(o.role or "member", 2), o.changed_at))
    if not active:
        return None, None
    names = list(dict.fromkeys(o.department_name for o in active))
    return "、".join(names), active[0].due_at


def as_requests(session, cases: list[Case], full_for) -> list[dict]:
    """The cases as GeoReport v2 requests; `full_for(case)` says whether the caller may see the private fields."""
    ids = [c.id for c in cases]
    orders: dict[str, list[CaseOrder]] = {}
    for order in session.scalars(select(CaseOrder).where(CaseOrder.case_id.in_(ids))) if ids else ():
        orders.setdefault(order.case_id, []).append(order)
    grid_ids = {c.grid_id for c in cases}
    grid_names = dict(session.execute(select(KnownGrid.grid_id, KnownGrid.name)
                                      .where(KnownGrid.grid_id.in_(grid_ids))).all()) if grid_ids else {}
    return [_as_request(c, orders.get(c.id, []), grid_names.get(c.grid_id), full_for(c)) for c in cases]


def _as_request(case: Case, orders: list[CaseOrder], grid_name: str | None, full: bool) -> dict:
    agency, expected = _agency(orders)
    status = "closed" if case.status in CLOSED_STATES else "open"
    request = {
        "service_request_id": case.id, "status": status,
        "status_notes": domain.STEP_LABELS.get(case.step, case.step),
        "service_name": domain.CATEGORY_LABELS[case.category], "service_code": case.category,
        "description": case.content, "agency_responsible": agency or case.answered_by, "service_notice": None,
        "requested_datetime": isoformat(case.received_at),
        "updated_datetime": isoformat(case.updated_at or case.state_changed_at or case.created_at),
        "expected_datetime": isoformat(expected) if status == "open" else None,
        "address": case.address, "address_id": case.household_id, "zipcode": None,
        "lat": case.latitude, "long": case.longitude,
        "media_url": next((a.get("url") for a in case.attachments or () if a.get("url")), None),
    }
    if not full:
        request.update(dict.fromkeys(PRIVATE_FIELDS), address=grid_name)
    return request
