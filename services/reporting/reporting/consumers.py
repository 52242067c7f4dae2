"""Reporting's consumer: every event, whatever its type, into the audit log, then into the projections.

Reporting is the one service that takes every event (the audit log records them all, known types or not), so its
table has one entry, "*"."""
from __future__ import annotations

from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from . import commands
from .projections import DbStore, Projector


def on_any_event(uow: UnitOfWork, event: Event) -> None:
    """Store the event once in the log (its id is unique there), then apply it to the projections."""
    where = uow.delivery
    entry = commands.append(uow.session, event_id=event.id, topic=where.topic, partition=where.partition,
                            offset=where.offset, event_type=event.type, source=event.source, subject=event.subject,
                            event_time=event.time, payload=event.to_json())
    Projector(DbStore(uow.session)).apply(event_id=event.id, event_type=event.type, subject=event.subject,
                                          data=event.data, time=event.time, seq=entry.seq)


HANDLERS = {"*": on_any_event}
