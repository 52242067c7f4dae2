"""Triage + work-order creation throughput through the path routing's Kafka consumer uses.

What is measured: N case.registered events (the contract's example with fresh ids and a mix of topics) handed to
`wangge_common.consumer.EventProcessor.process`, exactly as `ConsumerRunner.handle_record` does after decoding a
record: per event one transaction that checks the processed-events table, triages against the dispatch catalogue,
writes the routed case, the work order, three outbox events (case.triaged, work_order.dispatched, case.assigned),
their history rows and the processed-event row, then commits. No broker (decoding and offset commits are not
counted; see bench/README.md for the consumer's own figures). A fresh migrated database in a temporary
directory; SQLite unless BENCH_DATABASE_URL is given (a PostgreSQL database that will be dropped and recreated).

    .venv/bin/python bench/routing_triage_bench.py [--cases 5000] [--processes 2]

--processes P runs P processes on separate consumer partitions (as P consumer instances of one group would),
each with its share of the cases, against the same database; the figure is total cases / wall time.

--batch B (default 1 = what the shared consumer does today) runs the same handler and the same processed-event
rows for B events in one transaction, each event still its own causation: what a batching consumer (one commit
per poll) would do. The shared consumer has no such mode; the figure shows what it would gain.
"""
from __future__ import annotations

import argparse
import copy
import json
import multiprocessing as mp
import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert

from wangge_common import auth, contracts, crypto, migrations
from wangge_common.consumer import Delivery, EventProcessor
from wangge_common.runtime import Runtime
from wangge_common.settings import Settings
from wangge_common.testing import event

from routing.service import SPEC

TOPICS = [("request", "road"), ("request", "water"), ("complaint", "food_safety"), ("request", "something_new"),
          ("complaint", "neighbour_dispute"), ("enquiry", "legal"), ("suggestion", None), ("request", "land")]


def settings_for(var_dir: Path, database_url: str) -> Settings:
    _, entry = auth.new_key("bench", ["cases:read"])
    return Settings.from_env("routing", {
        "WANGGE_VAR_DIR": str(var_dir), "WANGGE_ROUTING_DATABASE_URL": database_url,
        "WANGGE_API_KEYS": json.dumps([entry]), "WANGGE_PII_KEY": crypto.new_key(),
        "WANGGE_KAFKA_BOOTSTRAP": "127.0.0.1:1"})


def make_events(n: int, seed: int):
    example = contracts.contract("case.registered", 1).schema["examples"][0]
    out = []
    for i in range(n):
        data = copy.deepcopy(example)
        category, topic = TOPICS[(i + seed) % len(TOPICS)]
        data.update(case_id=str(uuid.uuid4()), category=category, topic=topic)
        out.append(event("case.registered", data["case_id"], data, source="/wangge/intake"))
    return out


def process_batch(runtime: Runtime, events, partition: int) -> None:
    """The handlers of several events in one transaction, each recorded as processed (a batching consumer)."""
    processed = runtime.tables.processed
    with runtime.unit_of_work(actor="service:routing") as uow:
        for offset, e in enumerate(events):
            uow.causation, uow.correlation_id = e, e.correlationid
            uow.delivery = Delivery("cases.v1", partition, offset, e.subject, None)
            SPEC.handlers[e.type](uow, e)
        uow.session.execute(insert(processed), [{"consumer": "bench", "event_id": e.id, "event_type": e.type}
                                                for e in events])


def worker(settings: Settings, events, partition: int, batch: int, start_at, results) -> None:
    runtime = Runtime(SPEC, settings)
    processor = EventProcessor(runtime, "bench")
    for e in events[:20]:  # warm the connection pool, the statement caches and the contract registry
        processor.process(e, Delivery("cases.v1", partition, 0, e.subject, None))
    start_at.wait()
    began = time.perf_counter()
    timed = events[20:]
    if batch == 1:
        for offset, e in enumerate(timed, start=1):
            assert processor.process(e, Delivery("cases.v1", partition, offset, e.subject, None)) == "processed"
    else:
        for first in range(0, len(timed), batch):
            process_batch(runtime, timed[first:first + batch], partition)
    results.put((len(timed), began, time.perf_counter()))
    runtime.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'routing.db'}"
        settings = settings_for(Path(tmp), database_url)
        migrations.upgrade(SPEC, settings)
        per = args.cases // args.processes
        ctx = mp.get_context("fork")
        start_at, results = ctx.Barrier(args.processes + 1), ctx.Queue()
        procs = [ctx.Process(target=worker, args=(settings, make_events(per + 20, p), p, args.batch, start_at, results))
                 for p in range(args.processes)]
        for proc in procs:
            proc.start()
        start_at.wait()
        runs = [results.get() for _ in procs]
        for proc in procs:
            proc.join()
        done = sum(n for n, _, _ in runs)
        wall = max(end for _, _, end in runs) - min(began for _, began, _ in runs)
        runtime = Runtime(SPEC, settings)
        with runtime.db.sessions() as session:
            from sqlalchemy import func, select

            from routing.models import RoutedCase, WorkOrder
            cases = session.scalar(select(func.count()).select_from(RoutedCase))
            orders = session.scalar(select(func.count()).select_from(WorkOrder))
            outbox = session.scalar(select(func.count()).select_from(SPEC.tables.outbox))
        runtime.db.dispose()
        print(f"database: {runtime.db.dialect}; processes: {args.processes}; events per transaction: {args.batch}")
        print(f"triaged {done} cases in {wall:.2f} s: {done / wall:,.0f} cases/s "
              f"({wall / done * 1000:.2f} ms per case per process)")
        print(f"rows after the run: {cases} routed cases, {orders} work orders, {outbox} outbox events")


if __name__ == "__main__":
    main()
