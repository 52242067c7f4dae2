"""Reads of contact households (双联系): a deputy's links and the yearly report of deputies short of the rule."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import extract, select

from wangge_common import clock
from wangge_common.errors import NotFound

from .. import domain
from ..models import ContactHousehold, ContactMeeting, Deputy
from .deputies import get_deputy
from .grids import subtree_ids


def get_link(session, link_id: str) -> ContactHousehold:
    row = session.get(ContactHousehold, link_id)
    if row is None:
        raise NotFound(f"no contact household {link_id}")
    return row


def links_of(session, deputy_id: str, year: int | None = None) -> list[dict]:
    get_deputy(session, deputy_id)
    year = year or clock.local_date(clock.now()).year
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
    as_of = min(date(year, 12, 31), clock.local_date(clock.now()))
    links = defaultdict(list)
    for row in session.scalars(select(ContactHousehold).where(
            ContactHousehold.linked_on <= as_of,
            ContactHousehold.ended_on.is_(None) | (ContactHousehold.ended_on > as_of))):
        links[row.deputy_id].append(row)
    in_scope = subtree_ids(session, township_id) if township_id else None
    short, checked = [], 0
    for deputy in session.scalars(select(Deputy).where(Deputy.status == "serving").order_by(Deputy.name, Deputy.id)):
        if in_scope is not None and not ({deputy.home_grid_id, deputy.work_grid_id} & in_scope):
            continue
        checked += 1
        mine = links[deputy.id]
        shortfall = domain.contact_shortfall([(r.id, r.kind) for r in mine], counts)
        if shortfall is not None:
            short.append({"deputy_id": deputy.id, "name": deputy.name, "level": deputy.level, **shortfall})
    return {"year": year, "as_of": as_of, "deputies_checked": checked, "deputies_short": len(short), "deputies": short}


def meetings_of(session, link_id: str, year: int | None = None) -> list[ContactMeeting]:
    """The meetings recorded with one contact household, oldest first (of one year, when given)."""
    get_link(session, link_id)
    query = select(ContactMeeting).where(ContactMeeting.link_id == link_id)
    if year:
        query = query.where(extract("year", ContactMeeting.met_on) == year)
    return list(session.scalars(query.order_by(ContactMeeting.met_on, ContactMeeting.id)))
