"""Registering a case (一事一登记), its duplicates, supplements, withdrawal and the reads of cases."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import bindparam, func, insert, or_, select

from wangge_common.crypto import FieldCipher, mask_id_number, mask_name, mask_phone
from wangge_common.errors import Conflict, Invalid, NotFound
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import Case, CaseEntry, CaseLink, Household, KnownGrid


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def grid_is_known(uow: UnitOfWork, grid_id: str) -> bool:
    """Whether roster has announced this grid; grids are never deleted, so a grid once found is remembered."""
    known = uow.runtime.memo.setdefault("known_grids", set())
    if grid_id in known:
        return True
    if uow.session.get(KnownGrid, grid_id) is None:
        return False
    known.add(grid_id)
    return True


def _resolve_grid(session, data: dict) -> tuple[str | None, Household | None, list[tuple[str, str]]]:
    """The case's grid: given, else the household's, else the household at the same address."""
    household = None
    if data.get("household_id"):
        household = session.get(Household, str(data["household_id"]))
        if household is None:
            return None, None, [("household_id", f"no household file {data['household_id']}")]
    address = (data.get("location") or {}).get("address")
    if household is None and data.get("grid_id") is None and address:
        household = session.scalars(select(Household).where(Household.address_key == domain.address_key(address))
                                    .limit(1)).first()
    if data.get("grid_id") is not None:
        grid_id = str(data["grid_id"])
        if household is not None and household.grid_id != grid_id and data.get("household_id"):
            return None, None, [("grid_id", f"the household {household.id} belongs to grid {household.grid_id}")]
        return grid_id, household, []
    if household is not None:
        return household.grid_id, household, []
    return None, None, [("grid_id", "give grid_id, a household_id, or the address of a household on file")]


CASES, ENTRIES = Case.__table__, CaseEntry.__table__
# Statements built once: the registration path is the hot one, and building a statement costs more than
# running it (SQLAlchemy caches the compiled form, not the construction).
INSERT_CASE, INSERT_ENTRY = insert(CASES), insert(ENTRIES)


def _related_query(by_household: bool):
    """The newest open case of the grid, lately registered, with the same content (or household)."""
    same = CASES.c.content_key == bindparam("content_key")
    if by_household:
        same = or_(same, CASES.c.household_id == bindparam("household_id"))
    return (select(CASES.c.id, CASES.c.content_key, CASES.c.status)
            .where(CASES.c.grid_id == bindparam("grid_id"), same, CASES.c.id != bindparam("case_id"),
                   CASES.c.status.in_(domain.OPEN_STATES), CASES.c.created_at >= bindparam("since"))
            .order_by(CASES.c.created_at.desc()).limit(1))


RELATED_BY_CONTENT, RELATED_BY_CONTENT_OR_HOUSEHOLD = _related_query(False), _related_query(True)
RECENT_OPEN_IN_GRID = (select(CASES.c.id, CASES.c.content)
                       .where(CASES.c.grid_id == bindparam("grid_id"), CASES.c.id != bindparam("case_id"),
                              CASES.c.status.in_(domain.OPEN_STATES), CASES.c.created_at >= bindparam("since"))
                       .order_by(CASES.c.created_at.desc()).limit(domain.SIMILAR_SCAN))


def _find_related(connection, case, now: datetime) -> tuple[str, str] | None:
    """An open case of the same grid this one may duplicate: the same household file, the same content once
    spaces and punctuation are gone (indexed), or near-identical content among the grid's newest open cases."""
    params = {"grid_id": case.grid_id, "content_key": case.content_key, "household_id": case.household_id,
              "case_id": case.id, "since": now - timedelta(days=domain.DUPLICATE_WINDOW_DAYS)}
    found = connection.execute(RELATED_BY_CONTENT_OR_HOUSEHOLD if case.household_id else RELATED_BY_CONTENT,
                               params).first()
    if found is not None:
        return found.id, "similar_content" if found.content_key == case.content_key else "same_household"
    similar = domain.near_identical_to(case.content)
    for recent in connection.execute(RECENT_OPEN_IN_GRID, params):
        if similar(recent.content):
            return recent.id, "similar_content"
    return None


def register_case(uow: UnitOfWork, data: dict, cipher: FieldCipher) -> SimpleNamespace:
    """Register one matter (一事一登记) and emit case.registered, without any personal data in the event.

    Written with SQLAlchemy Core (no ORM unit of work): this is the path every accepted case takes.
    """
    session = uow.session
    problems = domain.channel_problems(data["channel"], data["received_by"]["kind"], data.get("external_ref"))
    grid_id, household, grid_problems = _resolve_grid(session, data)
    problems += grid_problems
    if grid_id and not grid_is_known(uow, grid_id):
        problems.append(("grid_id", f"no grid {grid_id} is known to intake (grids arrive from the roster)"))
    if problems:
        raise Invalid(problems)
    external = data.get("external_ref") or {}
    if external and session.scalar(select(Case.id).where(Case.external_system == external["system"],
                                                         Case.external_id == external["id"])):
        raise Conflict(f"case {external['id']} of {external['system']} is already registered")
    reporter, location = data.get("reporter"), data.get("location") or {}
    groups = list(data.get("special_groups") or [])
    if household is not None:  # the household file's flags count for every matter of the household
        groups += [g for g in household.special_groups if g not in groups]
    now = datetime.now(timezone.utc)
    case = SimpleNamespace(
        id=str(uuid.uuid4()), tracking_code=domain.new_tracking_code(), channel=data["channel"], grid_id=grid_id,
        household_id=household.id if household else None, category=data["category"], topic=data.get("topic"),
        # a phone or ID number in the text is masked in the record and the event; the original is kept encrypted
        content=domain.redact(data["content"]), content_key=domain.content_key(data["content"]),
        content_original_enc=cipher.encrypt(data["content"]) if domain.has_phone_or_id(data["content"]) else None,
        urgency=data["urgency"],
        priority=domain.priority(data["urgency"], groups), special_groups=groups,
        address=location.get("address"), latitude=location.get("latitude"), longitude=location.get("longitude"),
        attachments=[{k: v for k, v in a.items() if v is not None} for a in data.get("attachments") or []],
        reporter_ref=domain.new_reporter_ref() if reporter else None,
        reporter_name_enc=cipher.encrypt(reporter.get("name")) if reporter else None,
        reporter_phone_enc=cipher.encrypt(reporter.get("phone")) if reporter else None,
        reporter_id_number_enc=cipher.encrypt(reporter.get("id_number")) if reporter else None,
        reporter_email_enc=cipher.encrypt(reporter.get("email")) if reporter else None,
        reporter_phone_masked=mask_phone(reporter.get("phone")) if reporter else None,
        reporter_name_masked=mask_name(reporter.get("name")) if reporter else None,
        reporter_id_number_masked=mask_id_number(reporter.get("id_number")) if reporter else None,
        received_by_kind=data["received_by"]["kind"], received_by_id=data["received_by"]["id"],
        first_receiver_id=domain.first_receiver(data["received_by"]),
        received_at=(data.get("received_at") or now).astimezone(timezone.utc), external_system=external.get("system"),
        external_id=external.get("id"), status="registered", step="received", state_changed_at=None, created_at=now,
    )
    # emit validates the event before its first statement: on SQLite the write lock is taken there
    event = uow.emit("case.registered", case.id, new_subject=True, data={
        "case_id": case.id, "tracking_code": case.tracking_code, "channel": case.channel, "grid_id": grid_id,
        "category": case.category, "topic": case.topic, "content": case.content, "urgency": case.urgency,
        "special_groups": case.special_groups, "reporter_ref": case.reporter_ref,
        "received_by": {"kind": case.received_by_kind, "id": case.received_by_id},
        "received_at": utc_iso(case.received_at),
        "external_ref": {"system": case.external_system, "id": case.external_id} if case.external_system else None,
    })
    connection = session.connection()  # Core statements need none of the ORM session's execution machinery
    connection.execute(INSERT_CASE, vars(case))
    connection.execute(INSERT_ENTRY, {"case_id": case.id, "event_id": event.id, "event_type": event.type,
                                   "state": "registered", "step": "received", "reason": f"registered via {case.channel}",
                                   "content_added": None, "content_original_enc": None, "attachments": [],
                                   "actor": uow.actor, "at": now})
    related = _find_related(connection, case, now)
    if related is not None:
        _link(uow, case, *related)
    return case


# --- duplicates (相关件) ---------------------------------------------------------------------------------
def _link_event_data(link: CaseLink, state: str, reason: str) -> dict:
    return {"case_id": link.case_id, "state": state, "previous_state": None, "reason": reason, "link_id": link.id,
            "related_case_id": link.related_case_id, "basis": link.basis}


def _link(uow: UnitOfWork, case, related_id: str, basis: str) -> CaseLink:
    link = CaseLink(id=str(uuid.uuid4()), case_id=case.id, related_case_id=related_id, basis=basis,
                    status="suggested", created_at=datetime.now(timezone.utc))
    uow.session.add(link)
    reason = {"same_household": "an open case of the same household exists",
              "similar_content": "an open case of the same grid has near-identical content"}[basis]
    # keyed by the link (its own aggregate: linked, then confirmed or undone, in order), so a case's own
    # stream stays the lifecycle routing drives
    uow.emit("case.related_linked", link.id, new_subject=True, data=_link_event_data(link, case.status, reason))
    return link


def decide_link(uow: UnitOfWork, link_id: str, decision: str, reason: str) -> CaseLink:
    """Staff confirm a suggested link (the same matter) or undo it (a different matter); nothing is merged."""
    link = uow.session.get(CaseLink, link_id)
    if link is None:
        raise NotFound(f"no case link {link_id}")
    wanted = {"confirm": "confirmed", "undo": "undone"}[decision]
    if link.status != "suggested" and not (link.status == "confirmed" and decision == "undo"):
        raise Conflict(f"the link is already {link.status}")
    link.status, link.decided_by, link.decision_reason = wanted, uow.actor, reason
    link.decided_at = datetime.now(timezone.utc)
    case = uow.session.get(Case, link.case_id)
    uow.emit(f"case.related_{wanted}", link.id, data=_link_event_data(link, case.status, reason))
    return link


def links_of(session, case_id: str) -> list[CaseLink]:
    return list(session.scalars(select(CaseLink).where(or_(CaseLink.case_id == case_id,
                                                           CaseLink.related_case_id == case_id))
                                .order_by(CaseLink.created_at)))


# --- reads ----------------------------------------------------------------------------------------------
def get_case(session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def find_cases(session, query: dict) -> tuple[list[Case], int]:
    conditions = []
    for name in ("tracking_code", "external_system", "external_id", "status"):
        if query.get(name):
            conditions.append(getattr(Case, name) == query[name])
    for name in ("grid_id", "household_id"):
        if query.get(name):
            conditions.append(getattr(Case, name) == str(query[name]))
    total = session.scalar(select(func.count()).select_from(Case).where(*conditions))
    page, size = query["page"], query["page_size"]
    items = session.scalars(select(Case).where(*conditions).order_by(Case.created_at.desc(), Case.id)
                            .offset((page - 1) * size).limit(size)).all()
    return list(items), total


def reporter_contact(session, reporter_ref: str, cipher: FieldCipher) -> dict:
    """A reporter's contact in clear, for a service that must reach the resident (scope contacts:read)."""
    case = session.scalars(select(Case).where(Case.reporter_ref == reporter_ref).limit(1)).first()
    if case is None:
        raise NotFound(f"no reporter {reporter_ref}")
    return {"name": cipher.decrypt(case.reporter_name_enc), "phone": cipher.decrypt(case.reporter_phone_enc),
            "email": cipher.decrypt(case.reporter_email_enc)}


def case_history(session, case_id: str) -> list[CaseEntry]:
    return list(session.scalars(select(CaseEntry).where(CaseEntry.case_id == case_id).order_by(CaseEntry.id)))


def track(session, tracking_code: str) -> dict:
    """What a resident may see of a case: its steps, never its content or any personal data."""
    # Two narrow Core selects: this public read is the hottest one and needs no ORM objects.
    case = session.execute(select(Case.id, Case.tracking_code, Case.category, Case.topic, Case.channel,
                                  Case.received_at, Case.step, Case.state_changed_at, Case.created_at)
                           .where(Case.tracking_code == tracking_code.upper())).first()
    if case is None:
        raise NotFound(f"no case with tracking code {tracking_code}")
    entries = session.execute(select(CaseEntry.event_type, CaseEntry.step, CaseEntry.at, CaseEntry.id)
                              .where(CaseEntry.case_id == case.id, CaseEntry.step.is_not(None))).all()
    reached: dict[str, datetime] = {}
    # registration first whatever the clocks say; then routing's events in the order they happened
    for entry in sorted(entries, key=lambda e: (e.event_type != "case.registered", e.at, e.id)):
        if entry.step in domain.STEPS:
            later = domain.STEPS[domain.STEPS.index(entry.step) + 1:]
            if any(s in reached for s in later):  # a step back (reopened, returned): reached again, later
                for s in (entry.step, *later):
                    reached.pop(s, None)
            reached.setdefault(entry.step, entry.at)
        elif entry.step == "withdrawn":
            reached.setdefault("withdrawn", entry.at)
    steps = [{"step": s, "label": domain.STEP_LABELS[s], "reached_at": reached.get(s)} for s in domain.STEPS]
    if case.step == "withdrawn":
        steps = [s for s in steps if s["reached_at"]] + [
            {"step": "withdrawn", "label": domain.STEP_LABELS["withdrawn"], "reached_at": reached.get("withdrawn")}]
    return {"tracking_code": case.tracking_code, "category": case.category, "topic": case.topic,
            "channel": case.channel, "received_at": case.received_at, "step": case.step,
            "step_label": domain.STEP_LABELS[case.step], "updated_at": case.state_changed_at or case.created_at,
            "steps": steps}


# --- supplements and withdrawal ---------------------------------------------------------------------------
def _open_case(uow: UnitOfWork, case_id: str, allowed: tuple[str, ...], doing: str) -> Case:
    case = uow.session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.status not in allowed:
        raise Conflict(f"a {case.status} case cannot be {doing}")
    return case


def supplement_case(uow: UnitOfWork, case_id: str, data: dict, cipher: FieldCipher) -> CaseEntry:
    """Add information or attachments to a case (补充材料); emits case.supplemented."""
    case = _open_case(uow, case_id, domain.WITHDRAWABLE_STATES, "supplemented")
    added = data.get("content_added")
    original = cipher.encrypt(added) if domain.has_phone_or_id(added) else None
    added = domain.redact(added) if added else added
    attachments = [{k: v for k, v in a.items() if v is not None and k != "url"} for a in data["attachments"]]
    case.attachments = list(case.attachments) + [{k: v for k, v in a.items() if v is not None}
                                                 for a in data["attachments"]]
    event = uow.emit("case.supplemented", case.id, data={
        "case_id": case.id, "state": case.status, "previous_state": None, "reason": data["reason"],
        "content_added": added, "attachments": attachments})
    entry = CaseEntry(case_id=case.id, event_id=event.id, event_type=event.type, state=case.status,
                      reason=data["reason"], content_added=added, content_original_enc=original, attachments=attachments,
                      actor=uow.actor, at=datetime.now(timezone.utc))
    uow.session.add(entry)
    return entry


def withdraw_case(uow: UnitOfWork, case_id: str, data: dict) -> Case:
    """The reporter (or staff, or the pushing system for them) withdraws the matter; emits case.withdrawn."""
    case = _open_case(uow, case_id, domain.WITHDRAWABLE_STATES, "withdrawn")
    now = datetime.now(timezone.utc)
    case.status, case.step, case.state_changed_at = "withdrawn", "withdrawn", now
    event = uow.emit("case.withdrawn", case.id, data={
        "case_id": case.id, "state": "withdrawn", "previous_state": None, "reason": data["reason"],
        "requested_by": data["requested_by"]})
    uow.session.add(CaseEntry(case_id=case.id, event_id=event.id, event_type=event.type, state="withdrawn",
                              step="withdrawn", reason=data["reason"], actor=uow.actor, at=now))
    return case
