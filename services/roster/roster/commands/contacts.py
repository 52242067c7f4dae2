"""Contact households (双联系): each deputy keeps ≥ 3, one of each kind, and meets each at least twice a year (004)."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from wangge_common import clock
from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from ..models import ContactHousehold, ContactMeeting
from ..queries.contacts import get_link
from ..queries.deputies import get_deputy
from ..queries.grids import get_grid


def link(uow: UnitOfWork, deputy_id: str, data: dict) -> ContactHousehold:
    """A deputy takes up contact with a household; emits contact_household.linked (without the household's name)."""
    session = uow.session
    deputy = get_deputy(session, deputy_id)
    if deputy.status != "serving":
        raise Conflict(f"the deputy is {deputy.status}; only a serving deputy takes up contact households")
    grid_id = str(data["grid_id"]) if data.get("grid_id") else None
    if grid_id:
        get_grid(session, grid_id)
    linked_on = data.get("linked_on") or clock.local_date(clock.now())
    if linked_on > clock.local_date(clock.now()):
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
    if met_on > clock.local_date(clock.now()):
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
