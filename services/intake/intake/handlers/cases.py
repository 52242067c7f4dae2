"""Registering a case (一事一登记), its duplicates, supplements, withdrawal and the reads of cases."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import (String, Text, bindparam, cast, func, insert, literal_column, null, select, text,
                        type_coerce, union_all)

from wangge_common.crypto import FieldCipher, mask_id_number, mask_name, mask_phone
from wangge_common.errors import Conflict, Invalid, NotFound
from wangge_common.outbox import PreparedEvent, UnitOfWork
from wangge_common.paging import changed_since, paged, paginate

from .. import domain
from . import personal, reality
from .links import LINK_REASONS, link_event_data
from ..models import Case, CaseEntry, CaseLink, CaseOrder, Household, KnownGrid


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _field(field: str, problem: str | None) -> list[tuple[str, str]]:
    return [(field, problem)] if problem else []


def external_conflict(external: dict, case_id: str | None) -> Conflict:
    """409 for a second push of an external system's case, naming the case already registered for it."""
    return Conflict(f"case {external['id']} of {external['system']} is already registered",
                    extra={"existing_case_id": case_id} if case_id else None)


def existing_external_case(session, external: dict | None) -> str | None:
    if not external:
        return None
    row = session.execute(EXTERNAL_CASE, {"system": external["system"], "external_id": external["id"]}).first()
    return row.id if row else None


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
EXTERNAL_CASE = select(CASES.c.id).where(CASES.c.external_system == bindparam("system"),
                                         CASES.c.external_id == bindparam("external_id"))


# Written into the statement once: an expanding IN (...) parameter is rendered anew at every execution.
IS_OPEN = text("cases.status IN ({})".format(", ".join(f"'{state}'" for state in domain.OPEN_STATES)))


def _related_query(kind: str, *same, limit: int = 1, with_content: bool = False):
    """The newest open cases, lately registered, matching `same`, tagged with `kind`."""
    content = CASES.c.content if with_content else cast(null(), Text)
    # created_at as the driver gives it (SQLite: its fixed-width text; PostgreSQL: a datetime), only compared and
    # sorted: no conversion of every candidate row
    created = type_coerce(CASES.c.created_at, String).label("created_at")
    return (select(literal_column(f"'{kind}'").label("kind"), CASES.c.id, created, content.label("content"))
            .where(*same, CASES.c.id != bindparam("case_id"), IS_OPEN, CASES.c.created_at >= bindparam("since"))
            .order_by(CASES.c.created_at.desc()).limit(limit).subquery().select())


# One statement of separate branches, not one query with OR: each branch is answered from its own index (grid,
# content key and time; household; grid and time). A household's cases are all in its grid (registration
# refuses another), so the household branch needs no grid.
# `grid_ids`: the case's grid and its neighbours in the same village (a matter reported on both sides of a line)
IN_VILLAGE = CASES.c.grid_id.in_(bindparam("grid_ids", expanding=True))
SAME_CONTENT = _related_query("same_content", IN_VILLAGE,
                              CASES.c.content_key == bindparam("content_key"))
SAME_HOUSEHOLD = _related_query("same_household", CASES.c.household_id == bindparam("household_id"))
RECENT_IN_GRID = _related_query("recent", IN_VILLAGE, limit=domain.SIMILAR_SCAN,
                                with_content=True)
RELATED_SAME = union_all(SAME_CONTENT, SAME_HOUSEHOLD)
RELATED_ANY = union_all(SAME_CONTENT, SAME_HOUSEHOLD, RECENT_IN_GRID)


def _related_params(case, now: datetime, grid_ids: list[str] | None = None) -> dict:
    return {"grid_ids": grid_ids or [case.grid_id], "content_key": case.content_key, "household_id": case.household_id,
            "case_id": case.id, "since": now - timedelta(days=domain.DUPLICATE_WINDOW_DAYS)}


def _same_of(rows) -> tuple[str, str] | None:
    """The case with the same content or household: the household's if it is the newer (or the only) one."""
    by_content = next((r for r in rows if r.kind == "same_content"), None)
    by_household = next((r for r in rows if r.kind == "same_household"), None)
    if by_household is not None and (by_content is None or by_household.created_at > by_content.created_at):
        return by_household.id, "same_household"
    return (by_content.id, "similar_content") if by_content is not None else None


def _same_content_or_household(connection, case, now: datetime, grid_ids=None) -> tuple[str, str] | None:
    """An open case of the grid with the same household file or the same content once spaces and punctuation
    are gone: one statement, indexed."""
    return _same_of(connection.execute(RELATED_SAME, _related_params(case, now, grid_ids)).all())


def _find_related(connection, case, now: datetime, grid_ids=None) -> tuple[str, str] | None:
    """An open case of the same grid this one may duplicate: the same household file, the same content once
    spaces and punctuation are gone (indexed), or near-identical content among the grid's newest open cases.
    One statement answers all three."""
    rows = connection.execute(RELATED_ANY, _related_params(case, now, grid_ids)).all()
    found = _same_of(rows)
    if found is not None:
        return found
    similar = domain.near_identical_to(case.content)
    # newest first (a compound statement promises no order across its branches)
    for recent in sorted((r for r in rows if r.kind == "recent"), key=lambda r: r.created_at, reverse=True):
        profile = _PROFILES.get(recent.id)
        if profile is None:
            if len(_PROFILES) >= PROFILE_CACHE_SIZE:
                _PROFILES.clear()
            profile = _PROFILES[recent.id] = domain.content_profile(recent.content)
        if similar(profile):
            return recent.id, "similar_content"
    return None


# A case's content never changes once registered, so its similarity profile is computed once per process; the
# grid's newest open cases are read again by every registration in the grid.
PROFILE_CACHE_SIZE = 20_000
_PROFILES: dict[str, tuple] = {}


@dataclass
class Registration:
    """A case ready to be written: its row, history entry and event (validated, serialised), and its link to a
    possible duplicate. Everything here is computed before the write transaction begins."""

    case: SimpleNamespace
    entry: dict
    event: PreparedEvent
    preparer: UnitOfWork  # the request's unit of work: its actor and correlation id for late events
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
    problems = domain.channel_problems(data["channel"], data["received_by"]["kind"], data.get("external_ref"))
    now = datetime.now(timezone.utc)
    if data.get("received_at") is not None:
        problems += domain.not_in_future("received_at", data["received_at"], now,
                                         "a matter is registered once it was taken in")
        problems += domain.not_before_2000("received_at", data["received_at"])
    grid_id, household, grid_problems = _resolve_grid(session, data, cipher)
    problems += grid_problems
    if grid_id and not grid_is_known(uow, grid_id, session):
        problems.append(("grid_id", f"no grid {grid_id} is known to intake (grids arrive from the roster)"))
    elif grid_id and data["received_by"]["kind"] == "deputy":  # the first receiver must be a deputy of the grid
        problems += _field("received_by.id", reality.deputy_problem(session, data["received_by"]["id"], grid_id))
    problems += _field("topic", reality.topic_problem(uow.runtime, session, data.get("topic")))
    if problems:
        raise Invalid(problems)
    external = data.get("external_ref") or {}
    if external:
        earlier = session.execute(EXTERNAL_CASE, {"system": external["system"], "external_id": external["id"]}).first()
        if earlier:
            raise external_conflict(external, earlier.id)
    reporter, location = data.get("reporter"), data.get("location") or {}
    groups = list(data.get("special_groups") or [])
    if household is not None:  # the household file's flags count for every matter of the household
        groups += [g for g in household.special_groups if g not in groups]
    # Phones (any width, spaced, +86), ID numbers, e-mails and the names of the people concerned are masked in the
    # record, the event and every answer; what was written is kept encrypted under the reporter's data key.
    names = [reporter.get("name")] if reporter else []
    names += personal.household_names(session, household, cipher)
    content = domain.redact(data["content"], names)
    case_id = str(uuid.uuid4())
    reporter_ref = domain.new_reporter_ref() if reporter else None
    key = key_row = None
    if reporter or content != data["content"]:
        key, key_row = personal.new_key_row(cipher, "reporter" if reporter else "case", reporter_ref or case_id,
                                            reporter.get("phone") if reporter else None)
    sealed = key.cipher if key is not None else None
    case = SimpleNamespace(
        id=case_id, tracking_code=domain.new_tracking_code(), channel=data["channel"], grid_id=grid_id,
        household_id=household.id if household else None, category=data["category"], topic=data.get("topic"),
        content=content, content_key=domain.content_key(data["content"]),
        content_original_enc=sealed.encrypt(data["content"]) if content != data["content"] else None,
        urgency=data["urgency"],
        priority=domain.priority(data["urgency"], groups), special_groups=groups,
        address=location.get("address"), latitude=location.get("latitude"), longitude=location.get("longitude"),
        attachments=[{k: v for k, v in a.items() if v is not None} for a in data.get("attachments") or []],
        reporter_ref=reporter_ref, data_key_id=key_row["id"] if key_row else None,
        reporter_name_enc=sealed.encrypt(reporter.get("name")) if reporter else None,
        reporter_phone_enc=sealed.encrypt(reporter.get("phone")) if reporter else None,
        reporter_id_number_enc=sealed.encrypt(reporter.get("id_number")) if reporter else None,
        reporter_email_enc=sealed.encrypt(reporter.get("email")) if reporter else None,
        reporter_phone_masked=mask_phone(reporter.get("phone")) if reporter else None,
        reporter_name_masked=mask_name(reporter.get("name")) if reporter else None,
        reporter_id_number_masked=mask_id_number(reporter.get("id_number")) if reporter else None,
        received_by_kind=data["received_by"]["kind"], received_by_id=data["received_by"]["id"],
        first_receiver_id=domain.first_receiver(data["received_by"]),
        received_at=(data.get("received_at") or now).astimezone(timezone.utc), external_system=external.get("system"),
        external_id=external.get("id"), status="registered", step="received", state_changed_at=None, created_at=now,
        updated_at=now,
    )
    event = uow.prepare("case.registered", case.id, data={
        "case_id": case.id, "tracking_code": case.tracking_code, "channel": case.channel, "grid_id": grid_id,
        "category": case.category, "topic": case.topic, "content": case.content, "urgency": case.urgency,
        "special_groups": case.special_groups, "priority": case.priority, "reporter_ref": case.reporter_ref,
        "received_by": {"kind": case.received_by_kind, "id": case.received_by_id},
        "received_at": utc_iso(case.received_at),
        "external_ref": {"system": case.external_system, "id": case.external_id} if case.external_system else None,
    })
    entry = {"case_id": case.id, "event_id": event.event.id, "event_type": "case.registered", "state": "registered",
             "step": "received", "reason": f"registered via {case.channel}", "content_added": None,
             "content_original_enc": None, "attachments": [], "actor": uow.actor, "at": now}
    plan = Registration(case, entry, event, uow, searched_outside=reads is not None, data_key=key_row)
    plan.grid_ids = reality.village_grids(uow.runtime, session, grid_id)
    related = _find_related(session.connection(), case, now, plan.grid_ids)
    if related is not None:
        _plan_link(uow, plan, *related)
    return plan


def write_registration(uow: UnitOfWork, plan: Registration) -> None:
    """The write transaction of a registration: a handful of INSERTs (on SQLite, under the write lock).

    `uow` may be a transaction shared with other registrations (group commit); events found necessary here are
    prepared with the registering request's own actor and correlation id.
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
        related = _same_content_or_household(connection, case, case.created_at, plan.grid_ids)
        if related is not None:
            _plan_link(plan.preparer, plan, *related)
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
def _plan_link(uow: UnitOfWork, plan: Registration, related_id: str, basis: str) -> None:
    case = plan.case
    link = SimpleNamespace(id=str(uuid.uuid4()), case_id=case.id, related_case_id=related_id, basis=basis,
                           status="suggested", created_at=datetime.now(timezone.utc), decided_by=None,
                           decided_at=None, decision_reason=None)
    plan.link = vars(link)
    # keyed by the link (its own aggregate: linked, then confirmed or undone, in order), so a case's own
    # stream stays the lifecycle routing drives
    plan.link_event = uow.prepare("case.related_linked", link.id,
                                  data=link_event_data(link, case.status, LINK_REASONS[basis]))


# --- reads ----------------------------------------------------------------------------------------------
def similar_open_cases(runtime, session, grid_id: str, content: str, household_id: str | None) -> list[dict]:
    """What registering this matter would link it to (the same duplicate rule), shown before it is saved."""
    probe = SimpleNamespace(id="", grid_id=grid_id, content=content, content_key=domain.content_key(content),
                            household_id=household_id)
    found = _find_related(session.connection(), probe, datetime.now(timezone.utc),
                          reality.village_grids(runtime, session, grid_id))
    if found is None:
        return []
    case = session.get(Case, found[0])
    return [{"case": case, "basis": found[1]}] if case is not None else []


def get_case(session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def find_cases(session, query: dict) -> dict:
    conditions = []
    if query.get("tracking_code"):  # codes are upper-case; residents type them any way
        conditions.append(Case.tracking_code == query["tracking_code"].strip().upper())
    for name in ("external_system", "external_id", "status", "priority"):
        if query.get(name):
            conditions.append(getattr(Case, name) == query[name])
    for name in ("grid_id", "household_id"):
        if query.get(name):
            conditions.append(getattr(Case, name) == str(query[name]))
    if query.get("grid_ids") is not None:  # a person's data scope
        conditions.append(Case.grid_id.in_(query["grid_ids"]))
    newest_first = select(Case).where(*conditions).order_by(Case.created_at.desc(), Case.id)
    return paginate(session, changed_since(newest_first, query, Case.updated_at, Case.id), **paged(query))


def reporter_contact(session, reporter_ref: str, cipher: FieldCipher) -> dict:
    """A reporter's contact in clear, for a service that must reach the resident (scope contacts:read); 410 once
    the reporter was erased."""
    case = session.scalars(select(Case).where(Case.reporter_ref == reporter_ref).limit(1)).first()
    if case is None:
        raise NotFound(f"no reporter {reporter_ref}")
    sealed = personal.cipher_of(session, case.data_key_id, cipher)
    return {"name": sealed.decrypt(case.reporter_name_enc), "phone": sealed.decrypt(case.reporter_phone_enc),
            "email": sealed.decrypt(case.reporter_email_enc)}


def case_history(session, case_id: str) -> list[CaseEntry]:
    return list(session.scalars(select(CaseEntry).where(CaseEntry.case_id == case_id).order_by(CaseEntry.id)))


def track(session, tracking_code: str) -> dict:
    """What a resident may see of a case: its steps, never its content or any personal data."""
    # Two narrow Core selects: this public read is the hottest one and needs no ORM objects.
    case = session.execute(select(Case.id, Case.tracking_code, Case.category, Case.topic, Case.channel,
                                  Case.received_at, Case.step, Case.state_changed_at, Case.created_at,
                                  Case.answer_summary, Case.answered_by)
                           .where(Case.tracking_code == tracking_code.strip().upper())).first()
    if case is None:
        raise NotFound(f"no case with tracking code {tracking_code}")
    entries = session.execute(select(CaseEntry.event_type, CaseEntry.state, CaseEntry.at, CaseEntry.id)
                              .where(CaseEntry.case_id == case.id, CaseEntry.step.is_not(None))).all()
    # registration first whatever the clocks say; then routing's events in the order they happened
    ordered = sorted(entries, key=lambda e: (e.event_type != "case.registered", e.at, e.id))
    steps = domain.tracking_timeline([(e.state, e.at) for e in ordered])
    answered = case.step in domain.ANSWERED_STEPS and case.answer_summary is not None
    return {"tracking_code": case.tracking_code, "category": case.category, "topic": case.topic,
            "channel": case.channel, "received_at": case.received_at, "step": case.step,
            # the label of where the case really is (已督办 rather than the folded 已交办)
            "step_label": next((s["label"] for s in steps if s["current"]), domain.STEP_LABELS[case.step]),
            "updated_at": case.state_changed_at or case.created_at,
            "steps": steps, "answer": case.answer_summary if answered else None,
            "department": _handled_by(session, case.id, case.answered_by if answered else None, answered)}


def _handled_by(session, case_id: str, answered_by: str | None, answered: bool) -> str | None:
    """Who answered the case (on the spot: the deputy), else the departments now handling it (routing's orders)."""
    if answered:
        return answered_by or domain.ON_THE_SPOT_LABEL
    names = session.scalars(select(CaseOrder.department_name).where(
        CaseOrder.case_id == case_id, CaseOrder.state.in_(domain.HANDLING_ORDER_STATES))
        .order_by(CaseOrder.changed_at)).all()
    return "、".join(dict.fromkeys(names)) or None


def case_ids_accepted(session, since: datetime, until: datetime, *, offset: int, limit: int) -> list[str]:
    """Ids of the cases intake accepted (created_at) in [since, until), oldest first: what reconciliation expects
    every other service to hold."""
    return list(session.scalars(select(Case.id).where(Case.created_at >= since, Case.created_at < until)
                                .order_by(Case.created_at, Case.id).offset(offset).limit(limit)))
