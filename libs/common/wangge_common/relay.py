"""Outbox relay: publishes a service's outbox to Kafka in order, marks rows published, never loses one."""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import random
import threading
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path

from kafka.errors import KafkaError
from prometheus_client import Counter, Gauge
from sqlalchemy import select, text, update
from sqlalchemy.exc import SQLAlchemyError

from . import kafka as wk
from .runtime import Runtime

log = logging.getLogger(__name__)

PUBLISHED = Counter("outbox_published_total", "Outbox events published to Kafka", ["service", "topic"])
PUBLISH_FAILURES = Counter("outbox_publish_failures_total", "Outbox publish attempts that failed", ["service"])
RELAY_LEADER = Gauge("outbox_relay_leader", "1 while this relay holds the outbox lock", ["service"])


class RelayLock:
    """Only one relay of a service publishes at a time, so per-aggregate order holds across replicas.
    With another `purpose` ("scheduler") the same lock elects one leader for other singleton work."""

    def __init__(self, runtime: Runtime, purpose: str = "relay"):
        self.runtime = runtime
        self.purpose = purpose
        self._key = zlib.crc32(f"wangge-{purpose}-{runtime.service}".encode())
        self._file = None
        self._conn = None

    def acquire(self) -> bool:
        if self.runtime.db.dialect == "sqlite":
            path = Path(self.runtime.settings.database_url.split("sqlite:///", 1)[-1] + f".{self.purpose}.lock")
            handle = open(path, "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._file = handle
            return True
        conn = self.runtime.db.engine.connect()
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar():
            conn.commit()
            self._conn = conn
            return True
        conn.close()
        return False

    def still_held(self) -> bool:
        if self._file is not None:
            return True
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None:
            # The lock belongs to the database session, which a pooled connection outlives: unlock explicitly.
            with contextlib.suppress(SQLAlchemyError):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.commit()
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None


class OutboxRelay:
    """Reads unpublished outbox rows oldest first and publishes them with the idempotent producer."""

    def __init__(self, runtime: Runtime, producer_factory=None):
        self.runtime = runtime
        self.settings = runtime.settings
        self._producer_factory = producer_factory or (lambda: wk.producer(self.settings))
        self._producer = None
        self.failures = 0

    def publish_batch(self) -> int:
        """Publish up to one batch; return how many rows were marked published. Raises on broker failure."""
        outbox = self.runtime.tables.outbox
        with self.runtime.db.sessions() as session:
            rows = session.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.message_key, outbox.c.payload, outbox.c.headers)
                .where(outbox.c.published_at.is_(None)).order_by(outbox.c.id).limit(self.settings.relay_batch_size)
            ).all()
        if not rows:
            return 0
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
        done, error = [], None
        for row, future in futures:
            # Stop at the first failure: marking later rows published could let them overtake it.
            if not future.is_done or future.failed():
                error = future.exception if future.is_done else KafkaError("not acknowledged before flush timeout")
                break
            done.append(row)
        now = datetime.now(timezone.utc)
        with self.runtime.db.transaction() as session:
            if done:
                session.execute(update(outbox).where(outbox.c.id.in_([r.id for r in done])).values(published_at=now))
            if error is not None:
                failed = rows[len(done)]
                session.execute(update(outbox).where(outbox.c.id == failed.id)
                                .values(attempts=outbox.c.attempts + 1, last_error=str(error)[:2000]))
        for row in done:
            PUBLISHED.labels(self.runtime.service, row.topic).inc()
        if error is not None:
            raise error if isinstance(error, Exception) else KafkaError(str(error))
        return len(done)

    def close(self) -> None:
        if self._producer is not None:
            wk.close_producer(self._producer)
            self._producer = None

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
