"""Where a replay's records come from: an export file (`wangge export`, `GET /v1/audit/export`: the log's entries
in order, then its signed checkpoints, one JSON object per line) or the Kafka topics read from the beginning."""
from __future__ import annotations

import heapq
import json
import time
from typing import Iterable, Iterator

from sqlalchemy import select

from wangge_common import contracts
from wangge_common.db import Database
from wangge_common.envelope import EnvelopeError, Event

from ..models import AuditEntry
from ..queries import audit

ENTRY_FIELDS = ("seq", "topic", "partition", "offset", "event_id", "event_type", "source", "subject", "event_time",
                "payload", "prev_hash", "hash")


# --- export ------------------------------------------------------------------------------------------------------
def export_lines(session) -> Iterator[str]:
    """Every entry in log order, then every checkpoint; one JSON object per line, keys sorted."""
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=5000))
    try:
        for e in rows:
            yield json.dumps({"kind": "entry", **{k: getattr(e, k) for k in ENTRY_FIELDS}}, ensure_ascii=False,
                             sort_keys=True)
    finally:
        rows.close()
    for cp in audit.checkpoints(session):
        yield json.dumps({"kind": "checkpoint", **cp}, sort_keys=True)


def export(database_url: str, out) -> int:
    db = Database(database_url)
    count = 0
    try:
        with db.snapshot() as session:  # entries and checkpoints of one moment: no checkpoint beyond the entries
            for line in export_lines(session):
                out.write(line + "\n")
                count += 1
    finally:
        db.dispose()
    return count


# --- sources -----------------------------------------------------------------------------------------------------
def records_from_file(lines: Iterable[str]) -> tuple[list[dict], list[dict]]:
    """Entries and checkpoints of an export file."""
    entries, checkpoints = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number} is not JSON: {exc}") from exc
        (checkpoints if item.pop("kind", "entry") == "checkpoint" else entries).append(item)
    return entries, checkpoints


def records_from_kafka(bootstrap: str, topics: list[str], idle_s: float = 5.0, max_wait_s: float = 300.0,
                       security: dict | None = None) -> list[dict]:
    """Every record of the topics from the beginning, read until nothing arrives for `idle_s` (end offsets are not
    trusted on Tansu), in a deterministic order that keeps every partition's order."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", client_id="wangge-replay", **(security or {}))
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records, last, started = [], time.monotonic(), time.monotonic()
        while time.monotonic() - last < idle_s and time.monotonic() - started < max_wait_s:
            for batch in consumer.poll(timeout_ms=500).values():
                last = time.monotonic()
                for r in batch:
                    records.append({"topic": r.topic, "partition": r.partition, "offset": r.offset,
                                    "timestamp": r.timestamp, "value": r.value.decode("utf-8", "replace")})
    finally:
        consumer.close()
    return _log_entries(_in_log_order(records))


def _in_log_order(records: list[dict]) -> Iterator[dict]:
    """Kafka records merged across partitions by timestamp, each partition kept in its own offset order."""
    by_partition: dict = {}
    for r in records:
        by_partition.setdefault((r["topic"], r["partition"]), []).append(r)
    # Merge partitions by timestamp while keeping each partition's own offset order, which is the order the live
    # consumer applied them in (two producers writing one partition need not have increasing timestamps).
    merged = heapq.merge(*(sorted(rs, key=lambda r: r["offset"]) for _, rs in sorted(by_partition.items())),
                         key=lambda r: (r["timestamp"] or 0, r["topic"], r["partition"], r["offset"]))
    return merged


def _log_entries(records: Iterable[dict]) -> list[dict]:
    """What the live consumer would have logged of these records: valid events (or of unknown types), each event
    id once."""
    entries, seen = [], set()
    for r in records:
        try:
            event = Event.from_json(r["value"])
            contracts.validate(event)
        except contracts.UnknownEventType:
            pass  # the live consumer keeps these in the log too
        except (EnvelopeError, contracts.ContractError):
            continue  # dead-lettered by the live consumer: never in the log
        if event.id in seen:
            continue
        seen.add(event.id)
        entries.append({"topic": r["topic"], "partition": r["partition"], "offset": r["offset"],
                        "event_id": event.id, "event_type": event.type, "source": event.source,
                        "subject": event.subject, "event_time": event.time, "payload": r["value"]})
    return entries
