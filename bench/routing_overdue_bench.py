"""The deadline scan over 1 M open work orders.

Setup (not timed): a fresh migrated routing database (SQLite in a temporary directory, or BENCH_DATABASE_URL for
PostgreSQL, which must be an empty database) and --orders open work orders bulk-inserted with executemany:
all signed, their next check (the due-soon warning, a day before the deadline) spread over the coming 1–29 days,
except --due of them whose deadline passed a minute ago (half) or whose due-soon moment just arrived (half).

Timed:
1. the scan query alone (what each tick asks the database), with its query plan: it must use the partial index
   ix_work_orders_next_check, never a full scan;
2. one tick of the real job (routing.jobs.scan_work_orders): marks the due orders, writes work_order.overdue /
   work_order.due_soon events to the outbox, moves each order's next check on; commits;
3. the next tick, with nothing due: the cost of a tick over 1 M open orders on a quiet day.

    .venv/bin/python bench/routing_overdue_bench.py [--orders 1000000] [--due 1000]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from wangge_common import auth, contracts, crypto, migrations
from wangge_common.db import utcnow
from wangge_common.runtime import Runtime
from wangge_common.settings import Settings

from routing import jobs
from routing.models import WorkOrder
from routing.service import SPEC

CHUNK = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'routing.db'}"
        _, entry = auth.new_key("bench", ["cases:read"])
        settings = Settings.from_env("routing", {
            "WANGGE_VAR_DIR": tmp, "WANGGE_ROUTING_DATABASE_URL": url, "WANGGE_API_KEYS": json.dumps([entry]),
            "WANGGE_PII_KEY": crypto.new_key(), "WANGGE_KAFKA_BOOTSTRAP": "127.0.0.1:1"})
        migrations.upgrade(SPEC, settings)
        runtime = Runtime(SPEC, settings)
        now = utcnow()
        started = time.perf_counter()
        rng = random.Random(7)
        table = WorkOrder.__table__
        for first in range(0, args.orders, CHUNK):
            with runtime.db.engine.begin() as conn:
                rows = []
                for i in range(first, min(first + CHUNK, args.orders)):
                    due_now = i < args.due
                    overdue = due_now and i % 2 == 0
                    due = now - timedelta(minutes=1) if overdue else now + timedelta(seconds=rng.randint(2 * 86400, 30 * 86400))
                    soon = due - timedelta(hours=24) if not due_now else now - timedelta(minutes=1)
                    rows.append({
                        "id": str(uuid.UUID(int=rng.getrandbits(128))), "case_id": str(uuid.UUID(int=i + 1)),
                        "department_code": f"dept-{i % 40}", "department_name": "镇村镇建设办", "state": "signed",
                        "role": "sole", "created_at": now - timedelta(days=1), "signed_at": now - timedelta(days=1),
                        "due_at": due, "due_soon_at": soon, "due_soon_marked": overdue, "overdue_marked": False,
                        "escalation_step": 0, "next_check_at": due if overdue else soon,
                        "deadline_rule": "request/*/normal: 7 working days"})
                conn.execute(insert(table), rows)
        raw = runtime.db.engine.raw_connection()  # settle the bulk load before timing anything (no transaction)
        try:
            cursor = raw.cursor()
            if runtime.db.dialect == "postgresql":
                raw.commit()
                cursor.execute("ANALYZE work_orders")
            else:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
        setup = time.perf_counter() - started
        with runtime.db.sessions() as session:
            count = session.scalar(select(func.count()).select_from(table).where(table.c.state == "signed"))
        print(f"database: {runtime.db.dialect}; {count:,} open work orders inserted in {setup:.1f} s (not timed)")

        query = (select(WorkOrder).where(WorkOrder.next_check_at.is_not(None), WorkOrder.next_check_at <= now)
                 .order_by(WorkOrder.next_check_at).limit(jobs.BATCH))
        with runtime.db.engine.connect() as conn:
            compiled = query.compile(dialect=runtime.db.engine.dialect, compile_kwargs={"literal_binds": True})
            explain = "EXPLAIN QUERY PLAN " if runtime.db.dialect == "sqlite" else "EXPLAIN "
            plan = [" ".join(str(c) for c in row) for row in conn.execute(text(explain + str(compiled)))]
        print("scan plan:", " | ".join(plan))
        with runtime.db.sessions() as session:
            t = time.perf_counter()
            found = len(session.scalars(query).all())
            print(f"1. scan query alone: {found} due rows (first batch) in {(time.perf_counter() - t) * 1000:.1f} ms")

        contracts.registry()  # loaded and checked once per process, at the scheduler's first event: not a tick cost
        t = time.perf_counter()
        done = jobs.scan_work_orders(runtime, now)
        tick = time.perf_counter() - t
        with runtime.db.sessions() as session:
            outbox = session.scalar(select(func.count()).select_from(SPEC.tables.outbox))
        print(f"2. one tick with {args.due} due: {done} orders handled, {outbox} events written, "
              f"in {tick * 1000:.0f} ms")
        t = time.perf_counter()
        again = jobs.scan_work_orders(runtime, now)
        print(f"3. next tick, nothing due: {again} orders in {(time.perf_counter() - t) * 1000:.1f} ms")
        runtime.db.dispose()


if __name__ == "__main__":
    main()
