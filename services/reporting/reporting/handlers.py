"""Reporting's consumer handler: every event into the audit log, then into the projections."""
from __future__ import annotations

from sqlalchemy import func, select

from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork
from wangge_common.paging import paginate

from . import audit
from .models import AuditEntry
from .projections import DbStore, Projector


def on_any_event(uow: UnitOfWork, event: Event) -> None:
    """Store the event once in the log (its id is unique there), then apply it to the projections."""
    where = uow.delivery
    entry = audit.append(uow.session, event_id=event.id, topic=where.topic, partition=where.partition,
                         offset=where.offset, event_type=event.type, source=event.source, subject=event.subject,
                         event_time=event.time, payload=event.to_json())
    Projector(DbStore(uow.session)).apply(event_id=event.id, event_type=event.type, subject=event.subject,
                                          data=event.data, time=event.time, seq=entry.seq)


def audit_events(session, *, subject=None, event_type=None, since=None, until=None, after_seq=0,
                 page=1, page_size=100) -> dict:
    """Entries in log order by subject, type and event time (ISO 8601, since inclusive, until exclusive)."""
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    if event_type:
        query = query.where(AuditEntry.event_type == event_type)
    if since:
        query = query.where(AuditEntry.event_time >= since)
    if until:
        query = query.where(AuditEntry.event_time < until)
    return paginate(session, query.order_by(AuditEntry.seq), page, page_size)


def audit_entries_by_case(session, case_ids: list[str]) -> dict:
    """{case id: {"entries": {event type: count}}} for the cases the log holds events about (subject = case id)."""
    found: dict = {}
    for subject, event_type, count in session.execute(
            select(AuditEntry.subject, AuditEntry.event_type, func.count()).where(AuditEntry.subject.in_(case_ids))
            .group_by(AuditEntry.subject, AuditEntry.event_type)):
        found.setdefault(subject, {"entries": {}})["entries"][event_type] = count
    return found


HANDLERS = {"*": on_any_event}
