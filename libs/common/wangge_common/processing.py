"""Applying consumed events to a service's database exactly once (EventProcessor), apart from the Kafka loop
(consumer.ConsumerRunner): tests and the harness hand events to it directly."""
from __future__ import annotations

from dataclasses import dataclass

from kafka.errors import KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from prometheus_client import Histogram
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError

from .envelope import Event
from .runtime import Runtime

tracer = trace.get_tracer("wangge.consumer")
HANDLE_SECONDS = Histogram("consumer_handle_seconds", "Time to handle one event", ["service", "type"])


class TransientError(Exception):
    """A failure of the surroundings (database or broker down): retry the same record, never dead-letter it."""


@dataclass(frozen=True)
class Delivery:
    """Where a record came from."""

    topic: str
    partition: int
    offset: int
    key: str | None
    timestamp_ms: int | None


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, TransientError, KafkaError, ConnectionError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _span(event: Event, topic: str, context=None):
    """The consumer span of one event, child of the producer's trace context carried in the record headers."""
    return tracer.start_as_current_span(f"{topic} process", context=context, kind=SpanKind.CONSUMER,
                                        attributes={"messaging.system": "kafka",
                                                    "messaging.destination.name": topic,
                                                    "messaging.message.id": event.id,
                                                    "cloudevents.event_type": event.type})


class EventProcessor:
    """Applies records to the service's database exactly once; knows nothing of the Kafka loop."""

    def __init__(self, runtime: Runtime, group_id: str):
        self.runtime = runtime
        self.group_id = group_id
        self.handlers = runtime.spec.handlers
        processed = runtime.tables.processed
        # Built once: constructing a statement costs more than running it on SQLite.
        self._seen = select(processed.c.event_id).where(processed.c.consumer == group_id,
                                                        processed.c.event_id == bindparam("event_id"))
        self._seen_many = select(processed.c.event_id).where(
            processed.c.consumer == group_id, processed.c.event_id.in_(bindparam("event_ids", expanding=True)))
        self._record = insert(processed)

    def handler_for(self, event: Event):
        return self.handlers.get(event.type) or self.handlers.get("*")

    def process(self, event: Event, delivery: Delivery) -> str:
        """Run the handler and record the event id in one transaction; return the outcome."""
        handler = self.handler_for(event)
        if handler is None:
            return "ignored"
        with self.runtime.unit_of_work(actor=f"service:{self.runtime.service}", causation=event,
                                       delivery=delivery) as uow:
            if uow.session.execute(self._seen, {"event_id": event.id}).first():
                return "duplicate"
            with HANDLE_SECONDS.labels(self.runtime.service, event.type).time():
                handler(uow, event)
            uow.session.execute(self._record, [self._row(event)])
        return "processed"

    def process_batch(self, items: list[tuple[Event, Delivery, object]]) -> list[str]:
        """Run the handlers of several events, in order, in one transaction, each event recorded as processed in
        it; all or nothing (any exception rolls every event back and propagates). Returns one outcome per item.

        `items` are (event, delivery, trace context). Each handler sees the unit of work as if the event were
        alone: its own causation, correlation and delivery, and a session holding nothing of the previous events
        (flushed, then expunged), so no handler decides on an object another event's handler loaded earlier.
        """
        outcomes: list[str] = []
        first_event, first_delivery, _ = items[0]
        with self.runtime.unit_of_work(actor=f"service:{self.runtime.service}", causation=first_event,
                                       delivery=first_delivery) as uow:
            seen = set(uow.session.scalars(self._seen_many, {"event_ids": [e.id for e, _, _ in items]}))
            rows = []
            for event, delivery, context in items:
                handler = self.handler_for(event)
                if handler is None:
                    outcomes.append("ignored")
                    continue
                if event.id in seen:
                    outcomes.append("duplicate")
                    continue
                seen.add(event.id)
                uow.causation, uow.correlation_id, uow.delivery = event, event.correlationid, delivery
                with _span(event, delivery.topic, context), \
                        HANDLE_SECONDS.labels(self.runtime.service, event.type).time():
                    handler(uow, event)
                    uow.session.flush()
                uow.session.expunge_all()
                rows.append(self._row(event))
                outcomes.append("processed")
            if rows:
                uow.session.execute(self._record, rows)
        return outcomes

    def _row(self, event: Event) -> dict:
        return {"consumer": self.group_id, "event_id": event.id, "event_type": event.type}
