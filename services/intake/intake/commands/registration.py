"""Registering a case (一事一登记), one named step at a time.

A request registers a matter in two phases (api.common.registration): outside any write transaction it plans
(`plan_registration`: check the matter, refuse a second push of an external case, build the case, prepare its
event, search for a duplicate on a read snapshot); the group commit then runs `write_registration` in a
transaction it may share with other requests' writes, possibly in another request's thread. Whatever the write
prepares late (a duplicate committed since the snapshot) is prepared with the planning request's own unit of work
and trace context, which the plan carries for that.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from types import SimpleNamespace

from opentelemetry import context as otel_context
from sqlalchemy import insert, select

from wangge_common import clock
from wangge_common.crypto import FieldCipher, mask_id_number, mask_name, mask_phone
from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import PreparedEvent, UnitOfWork

from .. import domain
from . import personal
from ..queries import reality
from .links import LINK_REASONS, link_event_data
from ..queries import duplicates
from ..queries.duplicates import EXTERNAL_CASE
from ..models import Case, CaseEntry, CaseLink, Household, KnownGrid


def _field(field: str, problem: str | None) -> list[tuple[str, str]]:
    return [(field, problem)] if problem else []


def external_conflict(external: dict, case_id: str | None) -> Conflict:
    """409 for a second push of an external system's case, naming the case already registered for it."""
    return Conflict(f"case {external['id']} of {external['system']} is already registered",
                    extra={"existing_case_id": case_id} if case_id else None)


def grid_is_known(uow: UnitOfWork, grid_id: str, session=None) -> bool:
    """Whether roster has announced this grid; grids are never deleted, so a grid once found is remembered."""
    known = uow.runtime.state.known_grids
    if grid_id in known:
        return True
    if (session or uow.session).get(KnownGrid, grid_id) is None:
        return False
    known.add(grid_id)
    return True


def _resolve_grid(session, data: dict, master: FieldCipher) -> tuple[str | None, Household | None, list[tuple[str, str]]]:
    """The case's grid: given, else the household's, else the household at the same address (found by the
    keyed hash of its address, or its normalised text for files opened before addresses were encrypted), else the
    located grid nearest to the matter's latitude/longitude."""
    household = None
    if data.get("household_id"):
        household = session.get(Household, str(data["household_id"]))
        if household is None:
            return None, None, [("household_id", f"no household file {data['household_id']}")]
    address = (data.get("location") or {}).get("address")
    if household is None and data.get("grid_id") is None and address:
        normalised = domain.address_key(address)
        address_keys = [master.lookup_hash(normalised), normalised]
        household = session.scalars(select(Household).where(Household.address_key.in_(address_keys))
                                    .limit(1)).first()
    if data.get("grid_id") is not None:
        grid_id = str(data["grid_id"])
        if household is not None and household.grid_id != grid_id and data.get("household_id"):
            return None, None, [("grid_id", f"the household {household.id} belongs to grid {household.grid_id}")]
        return grid_id, household, []
    if household is not None:
        return household.grid_id, household, []
    location = data.get("location") or {}
    if location.get("latitude") is not None and location.get("longitude") is not None:
        grid_id, problems = _located_grid(session, (location["latitude"], location["longitude"]))
        return grid_id, None, problems
    return None, None, [("grid_id", "give grid_id, a household_id, or the address of a household on file")]


def _located_grid(session, point: tuple[float, float]) -> tuple[str | None, list[tuple[str, str]]]:
    """The grid of a located matter with no grid: the nearest located grid's (see domain.nearest_grid)."""
    grids = session.execute(select(KnownGrid.grid_id, KnownGrid.level, KnownGrid.latitude, KnownGrid.longitude)
                            .where(KnownGrid.latitude.is_not(None), KnownGrid.longitude.is_not(None))).all()
    if not grids:
        return None, [("grid_id", "no grid has a location on file, so latitude/longitude cannot place the matter: "
                                  "give grid_id, a household_id, or the address of a household on file")]
    grid_id = domain.nearest_grid(point, grids)
    if grid_id is None:
        return None, [("grid_id", f"no grid's centre is within {domain.GRID_RADIUS_KM:g} km of {point[0]}, "
                                  f"{point[1]}: give grid_id, a household_id, or the address of a household on file")]
    return grid_id, []


CASES, ENTRIES, LINKS = Case.__table__, CaseEntry.__table__, CaseLink.__table__
# Statements built once: the registration path is the hot one, and building a statement costs more than
# running it (SQLAlchemy caches the compiled form, not the construction).
INSERT_CASE, INSERT_ENTRY, INSERT_LINK = insert(CASES), insert(ENTRIES), insert(LINKS)


@dataclass
class Registration:
    """A case ready to be written: its row, history entry and event (validated, serialised), and its link to a
    possible duplicate. Everything here is computed before the write transaction begins."""

    case: SimpleNamespace
    entry: dict
    event: PreparedEvent
    preparer: UnitOfWork  # the request's unit of work: its actor and correlation id for late events
    # the request's trace context, captured in its thread: the write may run in another request's thread
    trace: otel_context.Context | None = None
    link: dict | None = None
    link_event: PreparedEvent | None = None
    searched_outside: bool = False  # the duplicate search ran on a read snapshot, outside the transaction
    data_key: dict | None = None  # the row of the reporter's new data key (wrapped)
    grid_ids: list[str] | None = None  # where duplicates are looked for: the grid and its village's other grids


def plan_registration(uow: UnitOfWork, data: dict, cipher: FieldCipher, reads=None) -> Registration:
    """Validate a matter (一事一登记) against what intake knows and build everything its registration writes.

    `reads` is a session outside the write transaction (a read snapshot: the write lock is not taken), or None
    to read within the unit of work (bulk submits, which are one transaction). The event carries no personal
    data: a reporter reference instead.
    """
    session = reads or uow.session
    now = clock.now()
    grid_id, household = check_matter(uow, session, data, cipher, now)
    refuse_second_push(session, data.get("external_ref"))
    case, key_row = build_case(session, data, cipher, grid_id, household, now)
    event = prepare_registered(uow, case)
    plan = Registration(case, history_entry(case, event, uow.actor), event, uow, trace=otel_context.get_current(),
                        searched_outside=reads is not None, data_key=key_row)
    plan.grid_ids = reality.village_grids(uow.runtime, session, grid_id)
    related = duplicates.find_related(session.connection(), case, now, plan.grid_ids)
    if related is not None:
        link_duplicate(plan, *related)
    return plan


def check_matter(uow: UnitOfWork, session, data: dict, cipher: FieldCipher,
                 now: datetime) -> tuple[str, Household | None]:
    """The matter's grid and household file, once every check passed (channel, times, grid, receiving deputy,
    topic); else Invalid with every problem found."""
    received_by = data["received_by"]
    problems = domain.channel_problems(data["channel"], received_by["kind"], data.get("external_ref"))
    if data.get("received_at") is not None:
        problems += domain.not_in_future("received_at", data["received_at"], now,
                                         "a matter is registered once it was taken in")
        problems += domain.not_before_2000("received_at", data["received_at"])
    grid_id, household, grid_problems = _resolve_grid(session, data, cipher)
    problems += grid_problems
    if grid_id and not grid_is_known(uow, grid_id, session):
        problems.append(("grid_id", f"no grid {grid_id} is known to intake (grids arrive from the roster)"))
    elif grid_id and received_by["kind"] == "deputy":  # the first receiver must be a deputy of the grid
        problems += _field("received_by.id", reality.deputy_problem(session, received_by["id"], grid_id))
    problems += _field("topic", reality.topic_problem(uow.runtime, session, data.get("topic")))
    if problems:
        raise Invalid(problems)
    return grid_id, household


def refuse_second_push(session, external: dict | None) -> None:
    """409 when the external system's case is already registered (its id names the case)."""
    if not external:
        return
    earlier = session.execute(EXTERNAL_CASE, {"system": external["system"], "external_id": external["id"]}).first()
    if earlier:
        raise external_conflict(external, earlier.id)


def build_case(session, data: dict, cipher: FieldCipher, grid_id: str, household: Household | None,
               now: datetime) -> tuple[SimpleNamespace, dict | None]:
    """The case's row and, when it holds personal data, the row of its new data key.

    Phones (any width, spaced, +86), ID numbers, e-mails and the names of the people concerned are masked in the
    record, the event and every answer; what was written is kept encrypted under the reporter's data key.
    """
    reporter = data.get("reporter")
    names = [reporter.get("name")] if reporter else []
    content = domain.redact(data["content"], names + personal.household_names(session, household, cipher))
    case_id = str(uuid.uuid4())
    reporter_ref = domain.new_reporter_ref() if reporter else None
    sealed, key_row = _data_key(cipher, reporter, reporter_ref or case_id, needed=content != data["content"])
    groups = _special_groups(data, household)
    case = SimpleNamespace(
        id=case_id, tracking_code=domain.new_tracking_code(), channel=data["channel"], grid_id=grid_id,
        household_id=household.id if household else None, category=data["category"], topic=data.get("topic"),
        content=content, content_key=domain.content_key(data["content"]),
        content_original_enc=sealed.encrypt(data["content"]) if content != data["content"] else None,
        urgency=data["urgency"], priority=domain.priority(data["urgency"], groups), special_groups=groups,
        attachments=[{k: v for k, v in a.items() if v is not None} for a in data.get("attachments") or []],
        reporter_ref=reporter_ref, data_key_id=key_row["id"] if key_row else None,
        **_location_fields(data), **reporter_fields(reporter, sealed), **_receipt_fields(data, now),
        status="registered", step="received", state_changed_at=None, created_at=now, updated_at=now,
    )
    return case, key_row


def _data_key(cipher: FieldCipher, reporter: dict | None, subject_ref: str,
              needed: bool) -> tuple[FieldCipher | None, dict | None]:
    """A new data key for the case's personal data (a reporter, or content that had to be masked), or none."""
    if not (reporter or needed):
        return None, None
    key, key_row = personal.new_key_row(cipher, "reporter" if reporter else "case", subject_ref,
                                        reporter.get("phone") if reporter else None)
    return key.cipher, key_row


def _special_groups(data: dict, household: Household | None) -> list[str]:
    """The groups given, and the household file's flags: they count for every matter of the household."""
    groups = list(data.get("special_groups") or [])
    if household is not None:
        groups += [g for g in household.special_groups if g not in groups]
    return groups


def _location_fields(data: dict) -> dict:
    location = data.get("location") or {}
    return {"address": location.get("address"), "latitude": location.get("latitude"),
            "longitude": location.get("longitude")}


def _receipt_fields(data: dict, now: datetime) -> dict:
    """Who took the matter in, when, and from which external system. The first receiver (首问责任) is routing's
    to decide: intake learns it from case.triaged."""
    external = data.get("external_ref") or {}
    return {"received_by_kind": data["received_by"]["kind"], "received_by_id": data["received_by"]["id"],
            "first_receiver_id": None,  # routing's case.triaged names it
            "received_at": (data.get("received_at") or now).astimezone(timezone.utc),
            "external_system": external.get("system"), "external_id": external.get("id")}


def reporter_fields(reporter: dict | None, sealed: FieldCipher | None) -> dict:
    """The reporter's columns: each value encrypted under the case's data key, and the masked forms shown."""
    if not reporter:
        return dict.fromkeys(("reporter_name_enc", "reporter_phone_enc", "reporter_id_number_enc",
                              "reporter_email_enc", "reporter_phone_masked", "reporter_name_masked",
                              "reporter_id_number_masked"))
    return {"reporter_name_enc": sealed.encrypt(reporter.get("name")),
            "reporter_phone_enc": sealed.encrypt(reporter.get("phone")),
            "reporter_id_number_enc": sealed.encrypt(reporter.get("id_number")),
            "reporter_email_enc": sealed.encrypt(reporter.get("email")),
            "reporter_phone_masked": mask_phone(reporter.get("phone")),
            "reporter_name_masked": mask_name(reporter.get("name")),
            "reporter_id_number_masked": mask_id_number(reporter.get("id_number"))}


def prepare_registered(uow: UnitOfWork, case: SimpleNamespace) -> PreparedEvent:
    """case.registered, validated and serialised before any transaction: no personal data, a reporter reference."""
    return uow.prepare("case.registered", case.id, data={
        "case_id": case.id, "tracking_code": case.tracking_code, "channel": case.channel, "grid_id": case.grid_id,
        "category": case.category, "topic": case.topic, "content": case.content, "urgency": case.urgency,
        "special_groups": case.special_groups, "priority": case.priority, "reporter_ref": case.reporter_ref,
        "received_by": {"kind": case.received_by_kind, "id": case.received_by_id},
        "received_at": clock.wire_time(case.received_at),
        "external_ref": {"system": case.external_system, "id": case.external_id} if case.external_system else None,
    })


def history_entry(case: SimpleNamespace, event: PreparedEvent, actor: str) -> dict:
    """The first line of the case's history: registered via its channel."""
    return {"case_id": case.id, "event_id": event.event.id, "event_type": "case.registered", "state": "registered",
            "step": "received", "reason": f"registered via {case.channel}", "content_added": None,
            "content_original_enc": None, "attachments": [], "actor": actor, "at": case.created_at}


def write_registration(uow: UnitOfWork, plan: Registration) -> None:
    """The write transaction of a registration: a handful of INSERTs (on SQLite, under the write lock).

    `uow` may be a transaction shared with other registrations (group commit), run in another request's thread;
    events found necessary here are prepared with the registering request's own actor, correlation id and trace.
    """
    connection = uow.session.connection()  # Core statements need none of the ORM session's execution machinery
    case = plan.case
    uow.emit_prepared(plan.event, new_subject=True)
    if plan.data_key is not None:
        connection.execute(personal.INSERT_KEY, plan.data_key)
    connection.execute(INSERT_CASE, vars(case))
    connection.execute(INSERT_ENTRY, plan.entry)
    if plan.link is None and plan.searched_outside:
        # A matter with the same content or household committed since the read snapshot (a concurrent report of
        # the same thing): one indexed query catches it here, where writers are serialised.
        related = duplicates.same_content_or_household(connection, case, case.created_at, plan.grid_ids)
        if related is not None:
            link_duplicate(plan, *related)
    if plan.link is not None:
        connection.execute(INSERT_LINK, plan.link)
        uow.emit_prepared(plan.link_event, new_subject=True)


def register_case(uow: UnitOfWork, data: dict, cipher: FieldCipher, reads=None) -> SimpleNamespace:
    """Register one matter (一事一登记) and emit case.registered, without any personal data in the event.

    Written with SQLAlchemy Core (no ORM unit of work): this is the path every accepted case takes.
    """
    plan = plan_registration(uow, data, cipher, reads)
    write_registration(uow, plan)
    return plan.case


# --- duplicates (相关件) ---------------------------------------------------------------------------------
def link_duplicate(plan: Registration, related_id: str, basis: str) -> None:
    """Link the case to an open case it may repeat (suggested; staff confirm or undo) and prepare
    case.related_linked as the registering request: its unit of work and its trace context, whichever thread runs
    this (the group commit's leader runs the writes queued behind it)."""
    case = plan.case
    link = SimpleNamespace(id=str(uuid.uuid4()), case_id=case.id, related_case_id=related_id, basis=basis,
                           status="suggested", created_at=clock.now(), decided_by=None, decided_at=None,
                           decision_reason=None)
    plan.link = vars(link)
    token = otel_context.attach(plan.trace) if plan.trace is not None else None
    try:
        # keyed by the link (its own aggregate: linked, then confirmed or undone, in order), so a case's own
        # stream stays the lifecycle routing drives
        plan.link_event = plan.preparer.prepare("case.related_linked", link.id,
                                                data=link_event_data(link, case.status, LINK_REASONS[basis]))
    finally:
        if token is not None:
            otel_context.detach(token)
