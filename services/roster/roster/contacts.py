"""Contact households (双联系): each deputy keeps ≥ 3, one of each kind, and meets each at least twice a year (004)."""
from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import extract, select

from wangge_common.errors import Conflict, Invalid, NotFound
from wangge_common.outbox import UnitOfWork

from . import domain
from .handlers import get_deputy, get_grid
from .models import ContactHousehold, ContactMeeting, Deputy, Grid
from .receptions import today_in_china

MIN_LINKS, MIN_MEETINGS = 3, 2


def link(uow: UnitOfWork, deputy_id: str, data: dict) -> ContactHousehold:
    """A deputy takes up contact with a household; emits contact_household.linked (without the household's name)."""
    session = uow.session
    deputy = get_deputy(session, deputy_id)
    if deputy.status != "serving":
        raise Conflict(f"the deputy is {deputy.status}; only a serving deputy takes up contact households")
    grid_id = str(data["grid_id"]) if data.get("grid_id") else None
    if grid_id:
        get_grid(session, grid_id)
    linked_on = data.get("linked_on") or today_in_china()
    if linked_on > today_in_china():
        raise Invalid([("linked_on", "must not be in the future")])
    if session.scalar(select(ContactHousehold.id).where(ContactHousehold.deputy_id == deputy.id,
                                                        ContactHousehold.household == data["household"],
                                                        ContactHousehold.ended_on.is_(None)).limit(1)):
        raise Conflict(f"{deputy.name} already keeps contact with {data['household']}; "
                       "the three links are three different households")
    row = ContactHousehold(id=str(uuid.uuid4()), deputy_id=deputy.id, kind=data["kind"], household=data["household"],
                           grid_id=grid_id, linked_on=linked_on)
    session.add(row)
    session.flush()
    uow.emit("contact_household.linked", deputy.id, {"link_id": row.id, "deputy_id": deputy.id, "kind": row.kind,
                                                     "grid_id": grid_id, "linked_on": linked_on.isoformat()})
    return row


def unlink(uow: UnitOfWork, link_id: str, *, reason: str, ended_on: date) -> ContactHousehold:
    row = get_link(uow.session, link_id)
    if row.ended_on:
        raise Conflict("the contact already ended")
    if ended_on < row.linked_on:
        raise Invalid([("ended_on", f"must not be before the link began ({row.linked_on.isoformat()})")])
    row.ended_on = ended_on
    uow.session.flush()
    uow.emit("contact_household.unlinked", row.deputy_id, {"link_id": row.id, "deputy_id": row.deputy_id,
                                                           "ended_on": ended_on.isoformat(), "reason": reason})
    return row


def record_meeting(uow: UnitOfWork, link_id: str, data: dict) -> ContactMeeting:
    """A meeting with a contact household; emits contact_meeting.recorded."""
    row = get_link(uow.session, link_id)
    met_on = data["met_on"]
    if met_on > today_in_china():
        raise Invalid([("met_on", "must not be in the future")])
    if met_on < row.linked_on or (row.ended_on and met_on > row.ended_on):
        raise Invalid([("met_on", "must fall while the contact lasted "
                                  f"({row.linked_on.isoformat()} – {row.ended_on or 'now'})")])
    meeting = ContactMeeting(id=str(uuid.uuid4()), link_id=row.id, deputy_id=row.deputy_id, met_on=met_on,
                             summary=data.get("summary"))
    uow.session.add(meeting)
    uow.session.flush()
    uow.emit("contact_meeting.recorded", row.deputy_id, {"meeting_id": meeting.id, "link_id": row.id,
                                                         "deputy_id": row.deputy_id, "met_on": met_on.isoformat()})
    return meeting


def get_link(session, link_id: str) -> ContactHousehold:
    row = session.get(ContactHousehold, link_id)
    if row is None:
        raise NotFound(f"no contact household {link_id}")
    return row


def links_of(session, deputy_id: str, year: int | None = None) -> list[dict]:
    get_deputy(session, deputy_id)
    year = year or today_in_china().year
    rows = session.scalars(select(ContactHousehold).where(ContactHousehold.deputy_id == deputy_id)
                           .order_by(ContactHousehold.linked_on)).all()
    counts = _meetings(session, year, deputy_id)
    return [{"id": r.id, "deputy_id": r.deputy_id, "kind": r.kind, "kind_zh": domain.CONTACT_KIND_NAMES_ZH[r.kind],
             "household": r.household, "grid_id": r.grid_id, "linked_on": r.linked_on, "ended_on": r.ended_on,
             "meetings_this_year": counts[r.id]} for r in rows]


def _meetings(session, year: int, deputy_id: str | None = None) -> Counter:
    """Meetings per contact household in `year`: two recorded on the same day with the same household are one."""
    query = (select(ContactMeeting.link_id, ContactMeeting.met_on).distinct()
             .where(extract("year", ContactMeeting.met_on) == year))
    if deputy_id:
        query = query.where(ContactMeeting.deputy_id == deputy_id)
    return Counter(link_id for link_id, _ in session.execute(query))


def report(session, *, year: int, township_id: str | None = None) -> dict:
    """Serving deputies short of the rule: fewer than 3 links, a kind missing, or a household met < 2 times.

    The links counted are those in force at the end of `year` (today, for the current year)."""
    counts = _meetings(session, year)
    as_of = min(date(year, 12, 31), today_in_china())
    links = defaultdict(list)
    for row in session.scalars(select(ContactHousehold).where(
            ContactHousehold.linked_on <= as_of,
            ContactHousehold.ended_on.is_(None) | (ContactHousehold.ended_on > as_of))):
        links[row.deputy_id].append(row)
    in_scope = None
    if township_id:
        grids = session.execute(select(Grid.id, Grid.parent_id)).all()
        children = defaultdict(list)
        for g in grids:
            children[g.parent_id].append(g.id)
        in_scope, stack = set(), [str(township_id)]
        while stack:
            g = stack.pop()
            in_scope.add(g)
            stack += children.get(g, [])
    short, checked = [], 0
    for deputy in session.scalars(select(Deputy).where(Deputy.status == "serving").order_by(Deputy.name, Deputy.id)):
        if in_scope is not None and not ({deputy.home_grid_id, deputy.work_grid_id} & in_scope):
            continue
        checked += 1
        mine = links[deputy.id]
        missing = [k for k in domain.CONTACT_KINDS if k not in {r.kind for r in mine}]
        rarely_met = [{"link_id": r.id, "kind": r.kind, "meetings": counts[r.id]} for r in mine
                      if counts[r.id] < MIN_MEETINGS]
        if len(mine) < MIN_LINKS or missing or rarely_met:
            short.append({"deputy_id": deputy.id, "name": deputy.name, "level": deputy.level, "links": len(mine),
                          "kinds_missing": missing, "meetings": sum(counts[r.id] for r in mine),
                          "households_met_fewer_than_twice": rarely_met})
    return {"year": year, "as_of": as_of, "deputies_checked": checked, "deputies_short": len(short), "deputies": short}
