"""Consumer runner: idempotent handlers, commit after the database, bounded retries, dead-letter topic.

Batching: with a batch size B > 1 (`WANGGE_<SERVICE>_CONSUMER_BATCH_SIZE`, default 100; 1 turns it off) the
runner applies up to B consecutive records of one partition in one database transaction, each event still
recorded as processed in that transaction, and commits the partition's offset after the database commit. Any
failure rolls the whole batch back and the runner applies the same records again one by one, one transaction
each: retries, dead-lettering and outage handling are then exactly those of B = 1. A record that cannot be
batched (not an envelope, breaking its schema, of an unknown type) is handled on its own, in its place.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import contracts
from . import kafka as wk
from .envelope import EnvelopeError, Event
from .processing import (HANDLE_SECONDS, Delivery, EventProcessor, TransientError,  # noqa: F401 - importable here
                         _is_transient, _span, tracer)
from .progress import LAG, ProgressTracker  # noqa: F401 - LAG was defined here before
from .runtime import Runtime

log = logging.getLogger(__name__)
DEFAULT_BATCH_SIZE = 100

EVENTS = Counter("consumer_events_total", "Records seen by a consumer, by outcome",
                 ["service", "topic", "outcome"])
BATCHES = Counter("consumer_batches_total", "Batches of records applied in one transaction, by outcome "
                  "(committed, or fallback: rolled back and applied one by one)", ["service", "outcome"])
DEAD_LETTERS = Counter("consumer_dead_letters_total", "Records sent to the dead-letter topic, by consumer group, "
                       "original topic and reason (the error's class: EnvelopeError, ContractError, "
                       "ForeignSourceError, or the handler's exception)", ["group", "topic", "reason"])
COMMIT_FAILURES = Counter("consumer_commit_failures_total", "Offset commits that failed; every assigned partition "
                          "was rewound to its committed offset", ["group"])
# A record's value is dead-lettered whole up to this size, else its first bytes (Kafka refuses larger records,
# and a dead-letter publish that can never succeed would stop the partition).
DLT_MAX_VALUE_BYTES = 512 * 1024


@dataclass(frozen=True)
class Unreadable:
    """A record whose decoding raised something unexpected on every attempt: dead-letter it with the error."""

    error: BaseException
    attempts: int


def default_group_id(service: str) -> str:
    """The consumer group of a service's consumer (and the group its Kafka principal may read as)."""
    return f"wangge-{service}"


def batch_size_setting(settings) -> int:
    """WANGGE_<SERVICE>_CONSUMER_BATCH_SIZE: records of one partition applied in one transaction (1: one each)."""
    return settings.count("CONSUMER_BATCH_SIZE", DEFAULT_BATCH_SIZE)


class ConsumerRunner:
    """The Kafka loop of one service: poll, apply the records (in batches), dead-letter poison, commit, repeat."""

    REWIND_TIMEOUT_MS = 5000

    def __init__(self, runtime: Runtime, *, group_id: str | None = None, consumer_factory=None,
                 producer_factory=None, batch_size: int | None = None):
        self.runtime = runtime
        self.settings = runtime.settings
        self.group_id = group_id or default_group_id(runtime.service)
        self.processor = EventProcessor(runtime, self.group_id)
        self.batch_size = batch_size if batch_size is not None else batch_size_setting(self.settings)
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        self._consumer_factory = consumer_factory or (
            lambda: wk.consumer(self.settings, list(runtime.spec.consumes), group_id=self.group_id))
        self._producer_factory = producer_factory or (lambda: wk.producer(self.settings))
        self._dlt_producer = None
        self.consumer = None
        self.progress = ProgressTracker(runtime, self.group_id)

    # --- one record -------------------------------------------------------------------------------
    def handle_record(self, record) -> str:
        """Decide and apply the fate of one record; raises TransientError when it must be retried later."""
        event, problem = self._read(record)
        if problem is not None:
            return self._settle(record, event, problem)
        return self._apply(record, event)

    def _read(self, record) -> tuple[Event | None, BaseException | Unreadable | str | None]:
        """The record's event and None when it is to be applied, else what stands in the way: an error to
        dead-letter it with, or "unknown_type".

        Poison is whatever the bytes make of it: not an envelope (over the size or depth limits included), a source
        that does not write this topic, data breaking its schema. Anything else raised while reading (a bug, memory
        running out) is retried like a failing handler and then dead-lettered: never retried forever.
        """
        attempts = 0
        while True:
            attempts += 1
            try:
                return self._decode(record)
            except Exception as exc:  # noqa: BLE001 - bounded retries, then the dead-letter topic
                if attempts > self.settings.consumer_max_retries:
                    return None, Unreadable(exc, attempts)
                log.warning("reading %s[%d]@%d failed (attempt %d), retrying: %r", record.topic, record.partition,
                            record.offset, attempts, exc)
                time.sleep(self.settings.consumer_retry_backoff_s * 2 ** (attempts - 1))

    def _decode(self, record) -> tuple[Event | None, BaseException | str | None]:
        try:
            event = Event.from_json(record.value)
        except EnvelopeError as exc:
            return None, exc
        try:
            contracts.check_source(record.topic, event)
        except contracts.ForeignSourceError as exc:
            return event, exc
        try:
            contracts.validate(event)
        except contracts.UnknownEventType:
            if "*" not in self.processor.handlers:
                return event, "unknown_type"
            # a catch-all handler (reporting's audit log) keeps events of types it has no schema for
        except contracts.ContractError as exc:
            return event, exc
        return event, None

    def _settle(self, record, event: Event | None, problem: BaseException | str) -> str:
        """The fate of a record no handler may see: dead-lettered, or skipped as of an unknown type."""
        if problem == "unknown_type":
            log.warning("unknown event type %s v%s skipped", event.type, event.version,
                        extra={"event_id": event.id, "topic": record.topic})
            return "unknown_type"
        if isinstance(problem, Unreadable):
            return self.dead_letter(record, problem.error, attempts=problem.attempts)
        return self.dead_letter(record, problem, attempts=1)

    @staticmethod
    def _delivery(record) -> Delivery:
        return Delivery(record.topic, record.partition, record.offset,
                        record.key.decode("utf-8", "replace") if record.key else None, record.timestamp)

    def _apply(self, record, event: Event) -> str:
        """One event in its own transaction, retried with backoff, dead-lettered after the last retry."""
        delivery = self._delivery(record)
        context = wk.extract_context(record.headers)
        attempts = 0
        while True:
            attempts += 1
            with _span(event, record.topic, context):
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

    # --- records in batches -----------------------------------------------------------------------
    def handle_records(self, records):
        """Apply one partition's records in order; yields (record, outcome) as each is done, its database work
        committed. Runs of up to batch_size applicable records share a transaction; the others go alone."""
        if self.batch_size == 1:
            for record in records:
                yield record, self.handle_record(record)
            return
        run: list = []
        for record in records:
            event, problem = self._read(record)
            if problem is None:
                run.append((record, event))
                if len(run) == self.batch_size:
                    yield from self._apply_run(run)
                    run = []
                continue
            yield from self._apply_run(run)
            run = []
            yield record, self._settle(record, event, problem)
        yield from self._apply_run(run)

    def _apply_run(self, run: list):
        if len(run) == 1:
            record, event = run[0]
            yield record, self._apply(record, event)
            return
        if not run:
            return
        try:
            outcomes = self.processor.process_batch(
                [(event, self._delivery(record), wk.extract_context(record.headers)) for record, event in run])
        except Exception as exc:  # noqa: BLE001 - whatever it was, one record at a time settles it as before
            BATCHES.labels(self.runtime.service, "fallback").inc()
            first = run[0][0]
            log.warning("batch of %d records from %s[%d]@%d rolled back (%r); applying them one by one",
                        len(run), first.topic, first.partition, first.offset, exc)
            for record, event in run:
                yield record, self._apply(record, event)
            return
        BATCHES.labels(self.runtime.service, "committed").inc()
        yield from zip((record for record, _ in run), outcomes)

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
        value = record.value
        if value is not None and len(value) > DLT_MAX_VALUE_BYTES:
            headers += wk.headers_from({"wangge.dlt.truncated_from": str(len(value))})
            value = value[:DLT_MAX_VALUE_BYTES]
        try:
            self._dlt_producer.send(f"{record.topic}.dlt", key=record.key, value=value,
                                    headers=headers).get(timeout=30)
        except KafkaError as exc:
            wk.close_producer(self._dlt_producer)
            self._dlt_producer = None
            raise TransientError(f"dead-letter publish failed: {exc}") from exc
        DEAD_LETTERS.labels(self.group_id, record.topic, type(error).__name__).inc()
        log.error("record dead-lettered: %r", error, exc_info=error,
                  extra={"topic": record.topic, "partition": record.partition, "offset": record.offset})
        return "dead_lettered"

    # --- the loop ---------------------------------------------------------------------------------
    def poll_once(self, timeout_ms: int = 500) -> int:
        """Poll, apply the records partition by partition, commit after each partition. Returns records handled.

        Whatever fails (a handler's transient failure, or a commit: KafkaTimeoutError with the broker away,
        CommitFailedError after a rebalance), every assigned partition is rewound before the error propagates: the
        poll has moved positions past records that are not processed, or processed but not committed, and the next
        poll must start from them again (what was processed is a duplicate then, dropped by event id).
        """
        batches = list(self.consumer.poll(timeout_ms=timeout_ms).items())
        for tp, records in batches:
            self.progress.fetched(tp, records[0].offset, records[-1].offset + 1)
        handled = 0
        for tp, records in batches:
            last_done = None
            try:
                for record, outcome in self.handle_records(records):
                    EVENTS.labels(self.runtime.service, record.topic, outcome).inc()
                    last_done = record.offset
                    handled += 1
            except Exception as exc:
                failed_at = records[0].offset if last_done is None else last_done + 1
                log.warning("failure at %s[%d]@%d, rewinding to retry: %s", tp.topic, tp.partition, failed_at, exc)
                if last_done is not None:
                    with contextlib.suppress(Exception):  # if this commit fails too, the rewind goes further back
                        self._commit(tp, last_done + 1)
                self._rewind()
                raise
            if last_done is not None:
                try:
                    self._commit(tp, last_done + 1)
                except Exception as exc:
                    COMMIT_FAILURES.labels(self.group_id).inc()
                    log.warning("commit of %s[%d] up to %d failed, rewinding every partition to its committed "
                                "offset: %r", tp.topic, tp.partition, last_done + 1, exc)
                    self._rewind()
                    raise
        self.progress.observe(self.consumer)
        return handled

    def _commit(self, tp: TopicPartition, next_offset: int) -> None:
        # Bounded: kafka-python retries a commit without a timeout forever (a frozen broker stalls the loop unseen).
        self.consumer.commit({tp: OffsetAndMetadata(next_offset, "", -1)},
                             timeout_ms=self.settings.kafka_request_timeout_ms)
        self.progress.committed(tp, next_offset)

    def _rewind(self) -> None:
        """Seek every assigned partition to the offset the group has committed for it (the beginning if none).

        The committed offsets are asked of the broker; if it cannot answer, the consumer is closed without
        committing and made again on the next loop: a new member starts from the committed offsets all the same.
        """
        try:
            assigned = list(self.consumer.assignment())
            for tp in assigned:
                offset = self.consumer.committed(tp, timeout_ms=self.REWIND_TIMEOUT_MS)
                if offset is None:
                    self.consumer.seek_to_beginning(tp)
                else:
                    self.consumer.seek(tp, offset)
                self.progress.rewound(tp, offset)
        except Exception as exc:  # noqa: BLE001 - whatever stops the rewind, a fresh consumer does it
            log.warning("rewind failed (%r); closing the consumer, a new one resumes from the committed offsets",
                        exc)
            self._drop_consumer()

    def _drop_consumer(self) -> None:
        consumer, self.consumer = self.consumer, None
        self.progress.reset()
        if consumer is not None:
            try:
                consumer.close(autocommit=False)
            except Exception:  # noqa: BLE001 - it is being thrown away
                log.exception("consumer close failed")

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
                self.progress.save_if_due()
                stop.wait(delay)
                continue
            self.progress.save_if_due()
        self.progress.save()
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
