"""Reporting: every event into the audit log, then into the projections."""
from __future__ import annotations

from sqlalchemy import func, select

from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from . import domain
from .models import AuditEntry, CaseFigure, ChainHead


def append_to_audit_log(uow: UnitOfWork, event: Event) -> AuditEntry:
    """Append the event to the hash chain; the head row lock serialises concurrent appenders."""
    session, where = uow.session, uow.delivery
    head = session.scalars(select(ChainHead).where(ChainHead.id == 1).with_for_update()).one_or_none()
    if head is None:
        head = ChainHead(id=1, seq=0, hash=domain.GENESIS)
        session.add(head)
    payload = event.to_json()
    seq = head.seq + 1
    entry = AuditEntry(
        seq=seq, event_id=event.id, topic=where.topic, partition=where.partition, offset=where.offset,
        event_type=event.type, source=event.source, subject=event.subject, event_time=event.time, payload=payload,
        prev_hash=head.hash,
        hash=domain.entry_hash(head.hash, seq=seq, topic=where.topic, partition=where.partition,
                               offset=where.offset, event_id=event.id, payload=payload),
    )
    session.add(entry)
    head.seq, head.hash = seq, entry.hash
    session.flush()
    return entry


def project_case(uow: UnitOfWork, event: Event) -> None:
    state = domain.CASE_STATES.get(event.type)
    if state is None:
        return
    figure = uow.session.get(CaseFigure, event.subject) or CaseFigure(case_id=event.subject, state=state)
    figure.state = state
    if event.type == "case.registered":
        figure.grid_id, figure.channel = event.data["grid_id"], event.data["channel"]
        figure.category, figure.registered_at = event.data["category"], event.data["received_at"]
    elif event.type == "case.triaged" and event.data.get("department"):
        figure.department_code = event.data["department"]["code"]
    uow.session.add(figure)


def on_any_event(uow: UnitOfWork, event: Event) -> None:
    append_to_audit_log(uow, event)
    project_case(uow, event)


def audit_events(session, *, subject=None, event_type=None, after_seq=0, limit=100) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    if event_type:
        query = query.where(AuditEntry.event_type == event_type)
    return session.scalars(query.order_by(AuditEntry.seq).limit(limit)).all()


def verify(session) -> dict:
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=5000))
    try:
        broken = domain.first_broken(entries)
    finally:
        entries.close()  # the walk may stop early; release the server-side cursor
    size = session.scalar(select(func.count()).select_from(AuditEntry))
    return {"valid": broken is None, "entries": size, "first_bad": broken}


def kpis(session) -> dict:
    rows = session.execute(select(CaseFigure.state, func.count()).group_by(CaseFigure.state)).all()
    by_state = {state: count for state, count in rows}
    return {"cases_total": sum(by_state.values()), "cases_by_state": by_state}


HANDLERS = {"*": on_any_event}
