"""A consumer's progress per partition: the consumer_lag metric, and one row per partition in the service's own
database (consumer_progress) that the web process's /readyz reads to report a consumer that stopped advancing.

Lag never comes from ListOffsets (some brokers undercount it, see STACK_NOTES): the end of a partition is the
larger of the high watermark the fetch responses carried and the offset after the last record fetched.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import Gauge
from sqlalchemy import and_, delete, insert, or_, select

from .db import utcnow

log = logging.getLogger(__name__)

LAG = Gauge("consumer_lag", "Records known on the partition but not yet committed (the larger of the fetch "
            "responses' high watermark and the last record fetched + 1, minus the committed offset)",
            ["service", "topic", "partition"])
SINCE_ADVANCE = Gauge("consumer_seconds_since_advance", "Seconds since the partition's committed offset last moved "
                      "while it had lag (0 when it has none)", ["service", "topic", "partition"])


@dataclass
class _Partition:
    committed: int | None = None
    fetched_end: int = 0  # the offset after the last record a poll returned
    highwater: int = 0  # the latest fetch response's (a broker that forgot reports a lower one)
    advanced_at: datetime = field(default_factory=utcnow)

    @property
    def end(self) -> int:
        return max(self.fetched_end, self.highwater)

    @property
    def lag(self) -> int:
        return 0 if self.committed is None else max(0, self.end - self.committed)


class ProgressTracker:
    """What the consumer loop knows of each assigned partition; saved to the database every few seconds."""

    def __init__(self, runtime, group_id: str):
        self.runtime = runtime
        self.group_id = group_id
        self.parts: dict = {}
        self._saved_at = float("-inf")

    def _part(self, tp) -> _Partition:
        found = self.parts.get(tp)
        if found is None:
            found = self.parts[tp] = _Partition()
        return found

    def fetched(self, tp, first_offset: int, end: int) -> None:
        """A poll returned records first_offset .. end - 1 of tp."""
        part = self._part(tp)
        if part.committed is None:
            # the position a poll starts from is where the group stands (the loop rewinds on every failure)
            part.committed = first_offset
        part.fetched_end = max(part.fetched_end, end)

    def committed(self, tp, offset: int) -> None:
        part = self._part(tp)
        if part.committed is None or offset > part.committed:
            part.advanced_at = utcnow()
        part.committed = offset
        self._export(tp, part)

    def rewound(self, tp, offset: int | None) -> None:
        if offset is None:  # nothing committed (a new group, or a broker that forgot): start afresh
            self.parts[tp] = _Partition()
        else:
            self._part(tp).committed = offset

    def reset(self) -> None:
        self.parts.clear()

    def observe(self, consumer) -> None:
        """After a poll: the high watermarks the fetches reported; forget partitions no longer assigned."""
        assigned = set(consumer.assignment())
        for tp in list(self.parts):
            if tp not in assigned:
                del self.parts[tp]
        for tp in assigned:
            highwater = consumer.highwater(tp)
            part = self._part(tp)
            if highwater is not None:
                part.highwater = highwater
            self._export(tp, part)

    def _export(self, tp, part: _Partition) -> None:
        now = utcnow()
        if part.lag == 0:
            part.advanced_at = now
        labels = (self.runtime.service, tp.topic, str(tp.partition))
        LAG.labels(*labels).set(part.lag)
        SINCE_ADVANCE.labels(*labels).set((now - part.advanced_at).total_seconds())

    def save_if_due(self) -> None:
        if time.monotonic() - self._saved_at >= self.runtime.settings.consumer_progress_interval_s:
            self.save()

    def save(self) -> None:
        """Write one row per known partition (replacing this group's rows for them); never raises."""
        self._saved_at = time.monotonic()
        if not self.parts:
            return
        table = self.runtime.tables.consumer_progress
        now = utcnow()
        rows = [{"consumer": self.group_id, "topic": tp.topic, "partition": tp.partition,
                 "committed_offset": part.committed, "end_offset": part.end, "lag": part.lag,
                 "advanced_at": part.advanced_at, "updated_at": now} for tp, part in self.parts.items()]
        mine = or_(*(and_(table.c.topic == tp.topic, table.c.partition == tp.partition) for tp in self.parts))
        try:
            with self.runtime.db.transaction() as session:
                session.execute(delete(table).where(table.c.consumer == self.group_id, mine))
                session.execute(insert(table), rows)
        except Exception as exc:  # noqa: BLE001 - progress is for observers; consuming goes on without it
            log.warning("consumer progress not saved: %r", exc, extra={"group": self.group_id})


def stalled(runtime, *, now: datetime | None = None) -> list[str]:
    """The partitions whose consumer has lag and has not advanced, or has not reported, for consumer_stall_s:
    one line each, naming the consumer group."""
    now = now or utcnow()
    window = timedelta(seconds=runtime.settings.consumer_stall_s)
    table = runtime.tables.consumer_progress
    with runtime.db.sessions() as session:
        rows = session.execute(select(table).where(table.c.lag > 0)).all()
    found = []
    for row in rows:
        since = now - min(row.advanced_at, row.updated_at)
        if since > window:
            found.append(f"{row.consumer} {row.topic}[{row.partition}] lag {row.lag}, "
                         f"not advanced for {int(since.total_seconds())}s")
    return sorted(found)
