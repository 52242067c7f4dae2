"""Outbox relay: publishes a service's outbox to Kafka in order, marks rows published, never loses one.

A broker that forgets (Tansu keeps everything in memory; a Kafka cluster rebuilt, or a topic restored from an
older backup) would lose every event the consumers had not read yet, while the outbox says "published". So the
relay keeps a marker record on the broker (BrokerMarker), checks before publishing and every few seconds that the
broker still holds it, and when it does not, puts every published row still retained back to be published again
(consumers drop what they already have by event id). Published rows are kept WANGGE_OUTBOX_RETENTION_HOURS.
"""
from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

from kafka import KafkaConsumer
from kafka.errors import KafkaError
from kafka.structs import TopicPartition
from prometheus_client import Counter, Gauge
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from . import kafka as wk
from .contracts import RELAY_MARKERS_TOPIC
from .leader import RelayLock
from .runtime import Runtime

log = logging.getLogger(__name__)

PUBLISHED = Counter("outbox_published_total", "Outbox events published to Kafka", ["service", "topic"])
PUBLISH_FAILURES = Counter("outbox_publish_failures_total", "Outbox publish attempts that failed", ["service"])
RELAY_LEADER = Gauge("outbox_relay_leader", "1 while this relay holds the outbox lock", ["service"])
REPUBLISHED = Counter("outbox_republished_total", "Outbox events published again, by why they were put back: "
                      "broker_forgot (the relay's marker was gone from the broker) or operator "
                      "(wangge relay --republish-since)", ["service", "reason"])
DELETED = Counter("outbox_deleted_total", "Published outbox rows deleted after the retention period", ["service"])
BROKER_CHECKS = Counter("outbox_broker_checks_total", "Checks that the broker still holds the relay's marker, by "
                        "result (ok, forgot, absent, unknown)", ["service", "result"])
CLEANUP_EVERY_S = 600.0
DELETE_CHUNK = 5000


def republish_since(runtime: Runtime, since: datetime | None, reason: str) -> int:
    """Put every row published at or after `since` (every retained published row when None) back to be published
    again, oldest first like the rest; returns how many. Consumers drop the copies they already have by event id."""
    outbox = runtime.tables.outbox
    query = update(outbox).where(outbox.c.published_at.is_not(None))
    if since is not None:
        query = query.where(outbox.c.published_at >= since)
    with runtime.db.transaction() as session:
        result = session.execute(query.values(published_at=None, republished_at=datetime.now(timezone.utc),
                                              republish_reason=reason))
    return result.rowcount


def delete_published_before(runtime: Runtime, cutoff: datetime) -> int:
    """Delete published rows older than `cutoff`, in chunks (short transactions); returns how many."""
    outbox = runtime.tables.outbox
    total = 0
    while True:
        with runtime.db.transaction() as session:
            ids = session.scalars(select(outbox.c.id).where(outbox.c.published_at.is_not(None),
                                                            outbox.c.published_at < cutoff)
                                  .order_by(outbox.c.id).limit(DELETE_CHUNK)).all()
            if ids:
                session.execute(delete(outbox).where(outbox.c.id.in_(ids)))
        total += len(ids)
        if len(ids) < DELETE_CHUNK:
            return total


def retention_cutoff(runtime: Runtime, now: datetime | None = None) -> datetime | None:
    """Published rows older than this are deleted (None: WANGGE_OUTBOX_RETENTION_HOURS=0 keeps them forever)."""
    hours = runtime.settings.outbox_retention_hours
    if hours <= 0:
        return None
    return (now or datetime.now(timezone.utc)) - timedelta(hours=hours)


def oldest_published(runtime: Runtime) -> datetime | None:
    """The publication time of the oldest published row still kept: how far back a re-publication can reach."""
    outbox = runtime.tables.outbox
    with runtime.db.sessions() as session:
        return session.scalar(select(func.min(outbox.c.published_at)).where(outbox.c.published_at.is_not(None)))


class BrokerMarker:
    """Tells whether the broker is the one this relay published to: a marker record the relay wrote (to a
    compacted topic, keyed by service), looked for at the partition and offset where it landed.

    Found there: the same broker. Another record there, or the partition ending before that offset (the fetch
    responses' high watermark, which is exact on Tansu too, else ListOffsets, which never overcounts): the broker
    forgot. Neither within the timeout: unknown, checked again later. Never decided from end offsets alone being
    high or low by a little (Tansu undercounts them, see STACK_NOTES): only "below the marker" counts.
    """

    OK, FORGOT, ABSENT, UNKNOWN = "ok", "forgot", "absent", "unknown"

    def __init__(self, runtime: Runtime, *, timeout_s: float = 3.0):
        self.runtime = runtime
        self.settings = runtime.settings
        self.timeout_s = timeout_s
        self._consumer = None

    def _marker_row(self):
        table = self.runtime.tables.relay_markers
        with self.runtime.db.sessions() as session:
            return session.execute(select(table).where(table.c.service == self.runtime.service)).first()

    def verify(self) -> str:
        row = self._marker_row()
        if row is None:
            return self.ABSENT
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                bootstrap_servers=self.settings.kafka_bootstrap, client_id=f"wangge-{self.runtime.service}-marker",
                group_id=None, enable_auto_commit=False, auto_offset_reset="earliest", fetch_max_wait_ms=100,
                request_timeout_ms=min(self.settings.kafka_request_timeout_ms, 10000),
                **wk.client_security(self.settings))  # the relay's own principal, like its producer
        tp = TopicPartition(row.topic, row.partition)
        self._consumer.assign([tp])
        self._consumer.seek(tp, row.offset)
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            records = self._consumer.poll(timeout_ms=100).get(tp, [])
            if records:
                first = records[0]
                return self.OK if first.offset == row.offset and _marker_id(first.value) == row.marker_id \
                    else self.FORGOT
            highwater = self._consumer.highwater(tp)
            if highwater is not None and highwater <= row.offset:
                return self.FORGOT
        end = self._consumer.end_offsets([tp]).get(tp)
        if end is not None and end <= row.offset:
            return self.FORGOT
        return self.UNKNOWN

    def write(self, producer) -> None:
        """Publish a new marker and remember where it landed."""
        marker_id = str(uuid.uuid4())
        now = datetime.now(timezone.utc)
        value = json.dumps({"service": self.runtime.service, "marker_id": marker_id,
                            "written_at": now.isoformat()}).encode()
        meta = producer.send(RELAY_MARKERS_TOPIC, key=self.runtime.service.encode(), value=value) \
            .get(timeout=wk.delivery_timeout_s(producer) + 1)
        table = self.runtime.tables.relay_markers
        with self.runtime.db.transaction() as session:
            session.execute(delete(table).where(table.c.service == self.runtime.service))
            session.execute(insert(table).values(service=self.runtime.service, marker_id=marker_id,
                                                 topic=meta.topic, partition=meta.partition, offset=meta.offset,
                                                 written_at=now, verified_at=now))

    def close(self) -> None:
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                self._consumer.close()
            self._consumer = None


def _marker_id(value: bytes | None) -> str | None:
    try:
        return json.loads(value)["marker_id"]
    except (TypeError, ValueError, KeyError):
        return None


class OutboxRelay:
    """Reads unpublished outbox rows oldest first and publishes them with the idempotent producer."""

    def __init__(self, runtime: Runtime, producer_factory=None, marker: BrokerMarker | None = None):
        self.runtime = runtime
        self.settings = runtime.settings
        # With a producer of its own (tests' fakes) there is no broker to look for a marker on, unless given one.
        self.marker = marker if marker is not None or producer_factory is not None else BrokerMarker(runtime)
        self._producer_factory = producer_factory or (lambda: wk.producer(self.settings))
        self._producer = None
        self.failures = 0
        self._check_now = True  # before the first publish, and again after every reconnect
        self._checked_at = float("-inf")
        self._cleaned_at = float("-inf")

    def publish_batch(self) -> int:
        """Publish up to one batch; return how many rows were marked published. Raises on broker failure."""
        outbox = self.runtime.tables.outbox
        with self.runtime.db.sessions() as session:
            rows = session.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.message_key, outbox.c.payload, outbox.c.headers,
                       outbox.c.republish_reason)
                .where(outbox.c.published_at.is_(None)).order_by(outbox.c.id).limit(self.settings.relay_batch_size)
            ).all()
        if not rows:
            return 0
        done, error = self._send(rows)
        self._mark(rows, done, error)
        if error is not None:
            raise error if isinstance(error, Exception) else KafkaError(str(error))
        return len(done)

    def _send(self, rows) -> tuple[list, BaseException | None]:
        """Send the rows and wait for the broker: the rows acknowledged in order, and the first failure (after which
        nothing counts as sent: marking later rows published could let them overtake it)."""
        if self._producer is None:
            self._producer = self._producer_factory()
        futures = [
            (row, self._producer.send(row.topic, key=row.message_key.encode(), value=row.payload.encode(),
                                      headers=wk.headers_from({**json.loads(row.headers),
                                                               "content-type": "application/cloudevents+json"})))
            for row in rows
        ]
        try:
            self._producer.flush(timeout=wk.delivery_timeout_s(self._producer) + 1)
        except KafkaError:
            pass  # rows not acknowledged stay pending below and are sent again; consumers dedupe by event id
        done = []
        for row, future in futures:
            if not future.is_done or future.failed():
                return done, future.exception if future.is_done else KafkaError("not acknowledged before flush timeout")
            done.append(row)
        return done, None

    def _mark(self, rows, done: list, error) -> None:
        """Mark the acknowledged rows published and count the failed one's attempt, in one transaction."""
        outbox = self.runtime.tables.outbox
        now = datetime.now(timezone.utc)
        with self.runtime.db.transaction() as session:
            if done:
                session.execute(update(outbox).where(outbox.c.id.in_([r.id for r in done]))
                                .values(published_at=now, republish_reason=None))
            if error is not None:
                failed = rows[len(done)]
                session.execute(update(outbox).where(outbox.c.id == failed.id)
                                .values(attempts=outbox.c.attempts + 1, last_error=str(error)[:2000]))
        for row in done:
            PUBLISHED.labels(self.runtime.service, row.topic).inc()
            if row.republish_reason:
                REPUBLISHED.labels(self.runtime.service, row.republish_reason).inc()

    def close(self) -> None:
        if self._producer is not None:
            wk.close_producer(self._producer)
            self._producer = None
        if self.marker is not None:
            self.marker.close()
        self._check_now = True

    def check_broker(self) -> str:
        """Is the broker still the one this relay published to? If it forgot, put every retained published row
        back to be published again (before anything newer goes out) through a new producer; write a marker where
        there is none.
        Raises KafkaError when the broker cannot be reached."""
        result = self.marker.verify()
        BROKER_CHECKS.labels(self.runtime.service, result).inc()
        if result == BrokerMarker.FORGOT:
            # A broker without its data numbers producer ids from the start again and may give this producer's id
            # to another service's; an idempotent producer from the old broker would then have its records taken
            # for the other's duplicates, acknowledged and dropped. Everything from here on goes through a new one.
            if self._producer is not None:
                wk.close_producer(self._producer)
                self._producer = None
            count = republish_since(self.runtime, retention_cutoff(self.runtime), "broker_forgot")
            log.error("the broker no longer holds this relay's marker (restarted without its data, or replaced): "
                      "%d published events put back to be published again", count,
                      extra={"service": self.runtime.service})
        if result in (BrokerMarker.FORGOT, BrokerMarker.ABSENT):
            if self._producer is None:
                self._producer = self._producer_factory()
            self.marker.write(self._producer)
        self._check_now = False  # unknown too: checked again after the interval, not before every batch
        self._checked_at = time.monotonic()
        return result

    def _housekeeping(self) -> None:
        if self.marker is not None and (self._check_now or
                                        time.monotonic() - self._checked_at >= self.settings.relay_check_interval_s):
            result = self.check_broker()
            if result == BrokerMarker.UNKNOWN:
                log.warning("could not tell whether the broker still holds this relay's marker; checking again",
                            extra={"service": self.runtime.service})
        if time.monotonic() - self._cleaned_at >= CLEANUP_EVERY_S:
            self._cleaned_at = time.monotonic()
            cutoff = retention_cutoff(self.runtime)
            if cutoff is not None:
                deleted = delete_published_before(self.runtime, cutoff)
                if deleted:
                    DELETED.labels(self.runtime.service).inc(deleted)
                    log.info("%d published outbox rows older than %s deleted", deleted, cutoff.isoformat(),
                             extra={"service": self.runtime.service})

    def backoff(self) -> float:
        """Exponential backoff with jitter, 0.25 s doubling to 30 s."""
        return min(30.0, 0.25 * 2 ** min(self.failures, 8)) * random.uniform(0.5, 1.0)

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set; with the broker down, retry with backoff and keep every row."""
        lock = RelayLock(self.runtime)
        while True:  # once more after stop is set: a relay that gets the lock then drains the outbox
            if not lock.acquire():
                RELAY_LEADER.labels(self.runtime.service).set(0)
                if stop.is_set():
                    break
                stop.wait(2.0)
                continue
            RELAY_LEADER.labels(self.runtime.service).set(1)
            log.info("outbox relay is the leader", extra={"service": self.runtime.service})
            try:
                self._lead(stop, lock)
            finally:
                RELAY_LEADER.labels(self.runtime.service).set(0)
                lock.release()
            if stop.is_set():
                break
        self.close()

    def _lead(self, stop: threading.Event, lock: RelayLock) -> None:
        while not stop.is_set():
            try:
                self._housekeeping()
                published = self.publish_batch()
                self.failures = 0
                if published == 0:
                    stop.wait(self.settings.relay_poll_interval_s)
                    if not lock.still_held():
                        return
            except (KafkaError, SQLAlchemyError, OSError) as exc:
                self.failures += 1
                PUBLISH_FAILURES.labels(self.runtime.service).inc()
                delay = self.backoff()
                log.warning("outbox publish failed, retrying in %.1fs: %s", delay, exc,
                            extra={"service": self.runtime.service})
                if isinstance(exc, KafkaError):
                    self.close()  # a fresh producer reconnects cleanly after a broker restart
                stop.wait(delay)
                if not lock.still_held():
                    return
        self.drain()

    def drain(self) -> int:
        """On stop (the web processes have stopped by now, see docs/operations.md): publish what the outbox still
        holds, starting no batch after relay_drain_s; what is left stays pending for the next start. Returns rows
        published."""
        deadline, drained = time.monotonic() + self.settings.relay_drain_s, 0
        while time.monotonic() < deadline:
            try:
                published = self.publish_batch()
            except (KafkaError, SQLAlchemyError, OSError) as exc:
                log.warning("outbox drain on stop gave up: %s", exc, extra={"service": self.runtime.service})
                break
            if published == 0:
                break
            drained += published
        log.info("outbox drained on stop: %d published", drained, extra={"service": self.runtime.service})
        return drained
