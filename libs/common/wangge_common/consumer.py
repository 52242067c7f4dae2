"""Consumer runner: idempotent handlers, commit after the database, bounded retries, dead-letter topic."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from . import contracts
from . import kafka as wk
from .envelope import EnvelopeError, Event
from .runtime import Runtime

log = logging.getLogger(__name__)
tracer = trace.get_tracer("wangge.consumer")

EVENTS = Counter("consumer_events_total", "Records seen by a consumer, by outcome",
                 ["service", "topic", "outcome"])
HANDLE_SECONDS = Histogram("consumer_handle_seconds", "Time to handle one event", ["service", "type"])
LAG = Gauge("consumer_lag", "Records fetched or known on the partition but not yet committed "
            "(high watermark from fetch responses, else position, minus committed offset)",
            ["service", "topic", "partition"])


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


class EventProcessor:
    """Applies one record to the service's database exactly once; knows nothing of the Kafka loop."""

    def __init__(self, runtime: Runtime, group_id: str):
        self.runtime = runtime
        self.group_id = group_id
        self.handlers = runtime.spec.handlers

    def process(self, event: Event, delivery: Delivery) -> str:
        """Run the handler and record the event id in one transaction; return the outcome."""
        handler = self.handlers.get(event.type) or self.handlers.get("*")
        if handler is None:
            return "ignored"
        processed = self.runtime.tables.processed
        with self.runtime.unit_of_work(actor=f"service:{self.runtime.service}", causation=event,
                                       delivery=delivery) as uow:
            seen = uow.session.execute(
                select(processed.c.event_id).where(processed.c.consumer == self.group_id,
                                                   processed.c.event_id == event.id)
            ).first()
            if seen:
                return "duplicate"
            with HANDLE_SECONDS.labels(self.runtime.service, event.type).time():
                handler(uow, event)
            uow.session.execute(insert(processed).values(consumer=self.group_id, event_id=event.id,
                                                         event_type=event.type))
        return "processed"


class ConsumerRunner:
    """The Kafka loop of one service: poll, process each record, dead-letter poison, commit, repeat."""

    def __init__(self, runtime: Runtime, *, group_id: str | None = None, consumer_factory=None,
                 producer_factory=None):
        self.runtime = runtime
        self.settings = runtime.settings
        self.group_id = group_id or f"wangge-{runtime.service}"
        self.processor = EventProcessor(runtime, self.group_id)
        self._consumer_factory = consumer_factory or (
            lambda: wk.consumer(self.settings, list(runtime.spec.consumes), group_id=self.group_id))
        self._producer_factory = producer_factory or (lambda: wk.producer(self.settings))
        self._dlt_producer = None
        self.consumer = None

    # --- one record -------------------------------------------------------------------------------
    def handle_record(self, record) -> str:
        """Decide and apply the fate of one record; raises TransientError when it must be retried later."""
        delivery = Delivery(record.topic, record.partition, record.offset,
                            record.key.decode("utf-8", "replace") if record.key else None, record.timestamp)
        try:
            event = Event.from_json(record.value)
        except EnvelopeError as exc:
            return self.dead_letter(record, exc, attempts=1)
        try:
            contracts.validate(event)
        except contracts.UnknownEventType:
            if "*" not in self.processor.handlers:
                log.warning("unknown event type %s v%s skipped", event.type, event.version,
                            extra={"event_id": event.id, "topic": record.topic})
                return "unknown_type"
            # a catch-all handler (reporting's audit log) keeps events of types it has no schema for
        except contracts.ContractError as exc:
            return self.dead_letter(record, exc, attempts=1)

        context = wk.extract_context(record.headers)
        attempts = 0
        while True:
            attempts += 1
            with tracer.start_as_current_span(f"{record.topic} process", context=context, kind=SpanKind.CONSUMER,
                                              attributes={"messaging.system": "kafka",
                                                          "messaging.destination.name": record.topic,
                                                          "messaging.message.id": event.id,
                                                          "cloudevents.event_type": event.type}):
                try:
                    return self.processor.process(event, delivery)
                except IntegrityError as exc:
                    if self._already_processed(event):
                        return "duplicate"  # a concurrent delivery won the race; nothing to do
                    error = exc
                except Exception as exc:  # noqa: BLE001 - every failure is either retried or dead-lettered
                    if _is_transient(exc):
                        raise TransientError(str(exc)) from exc
                    error = exc
            if attempts > self.settings.consumer_max_retries:
                return self.dead_letter(record, error, attempts=attempts)
            log.warning("handler failed (attempt %d), retrying: %r", attempts, error, exc_info=error,
                        extra={"event_id": event.id, "event_type": event.type})
            time.sleep(self.settings.consumer_retry_backoff_s * 2 ** (attempts - 1))

    def _already_processed(self, event: Event) -> bool:
        processed = self.runtime.tables.processed
        with self.runtime.db.sessions() as session:
            return session.execute(select(processed.c.event_id).where(
                processed.c.consumer == self.group_id, processed.c.event_id == event.id)).first() is not None

    def dead_letter(self, record, error: BaseException, *, attempts: int) -> str:
        """Send the record, untouched, to <topic>.dlt with the error in headers; wait for the ack."""
        if self._dlt_producer is None:
            self._dlt_producer = self._producer_factory()
        headers = list(record.headers or []) + wk.headers_from({
            "wangge.dlt.error": f"{type(error).__name__}: {error}"[:4000],
            "wangge.dlt.error_type": type(error).__name__,
            "wangge.dlt.consumer": self.group_id,
            "wangge.dlt.original_topic": record.topic,
            "wangge.dlt.original_partition": str(record.partition),
            "wangge.dlt.original_offset": str(record.offset),
            "wangge.dlt.attempts": str(attempts),
        })
        try:
            self._dlt_producer.send(f"{record.topic}.dlt", key=record.key, value=record.value,
                                    headers=headers).get(timeout=30)
        except KafkaError as exc:
            wk.close_producer(self._dlt_producer)
            self._dlt_producer = None
            raise TransientError(f"dead-letter publish failed: {exc}") from exc
        log.error("record dead-lettered: %r", error, exc_info=error,
                  extra={"topic": record.topic, "partition": record.partition, "offset": record.offset})
        return "dead_lettered"

    # --- the loop ---------------------------------------------------------------------------------
    def poll_once(self, timeout_ms: int = 500) -> int:
        """Poll one batch, handle it partition by partition, commit after each partition. Returns records handled.

        On a transient failure every partition not finished is rewound to its first unhandled record: the poll
        has already moved their positions past records that are not processed yet.
        """
        batches = list(self.consumer.poll(timeout_ms=timeout_ms).items())
        handled = 0
        for index, (tp, records) in enumerate(batches):
            last_done = None
            try:
                for record in records:
                    outcome = self.handle_record(record)
                    EVENTS.labels(self.runtime.service, record.topic, outcome).inc()
                    last_done = record.offset
                    handled += 1
            except Exception as exc:
                failed_at = records[0].offset if last_done is None else last_done + 1
                log.warning("failure at %s[%d]@%d, rewinding to retry: %s", tp.topic, tp.partition, failed_at, exc)
                self.consumer.seek(tp, failed_at)
                for later_tp, later_records in batches[index + 1:]:
                    self.consumer.seek(later_tp, later_records[0].offset)
                if last_done is not None:
                    self._commit(tp, last_done + 1)
                raise
            if last_done is not None:
                self._commit(tp, last_done + 1)
        return handled

    def _commit(self, tp: TopicPartition, next_offset: int) -> None:
        self.consumer.commit({tp: OffsetAndMetadata(next_offset, "", -1)})
        self._update_lag(tp, next_offset)

    def _update_lag(self, tp: TopicPartition, committed: int) -> None:
        # End offsets are unreliable on some brokers (see STACK_NOTES): use what the fetches reported.
        known_end = self.consumer.highwater(tp)
        if known_end is None:
            known_end = self.consumer.position(tp)
        LAG.labels(self.runtime.service, tp.topic, str(tp.partition)).set(max(0, (known_end or committed) - committed))

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, then commit what is done and leave the group cleanly."""
        failures = 0
        while not stop.is_set():
            try:
                if self.consumer is None:
                    self.consumer = self._consumer_factory()
                    log.info("consumer started", extra={"group": self.group_id,
                                                        "topics": list(self.runtime.spec.consumes)})
                self.poll_once()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - nothing stops the service consuming; the record is retried
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                if _is_transient(exc):
                    log.warning("consumer paused %.1fs after failure: %s", delay, exc)
                else:
                    log.exception("unexpected consumer failure, retrying in %.1fs", delay)
                stop.wait(delay)
        self.close()

    def close(self) -> None:
        if self.consumer is not None:
            try:
                self.consumer.close()
            except Exception:  # noqa: BLE001 - closing during shutdown must not mask the exit
                log.exception("consumer close failed")
            self.consumer = None
        if self._dlt_producer is not None:
            wk.close_producer(self._dlt_producer)
            self._dlt_producer = None
