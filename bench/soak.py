"""Soak: the one-machine stack under mixed traffic at half its measured capacity for N minutes, with a fault every
few minutes; prints accepted / lost / doubled, the p99 of POST → triaged → notified, and each process's memory (RSS)
at the start and the end.

    .venv/bin/python bench/soak.py                      # 30 minutes, a fault every 3 minutes
    .venv/bin/python bench/soak.py --minutes 5 --fault-every 60

Capacity is measured first: a closed loop of registrations for --measure-s, then the time until the whole pipeline
(work orders, messages, the audit log) has them all; the soak runs at half that end-to-end rate (intake alone accepts
several times more than the audit log appends). The traffic is 60 % registrations (each
with its own reporter phone) and 40 % reads (a case, its work orders, the tracking page, its deliveries). Faults
cycle through: SIGKILL of routing's consumer, notify's consumer, intake's relay, an intake gunicorn worker, notify's
scheduler, and the broker frozen 20 s. Losses and doubles are judged by the fault suite's oracle
(tests/faults/faultkit.py: every accepted case has one work order, every event about it is once in the audit log,
one message per recipient and channel, one SMS per text). SQLite by default; TEST_DATABASE_URL=postgresql://… uses
one fresh PostgreSQL database per service.
"""
from __future__ import annotations

import argparse
import collections
import itertools
import logging
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "faults"))

import faultkit  # noqa: E402 - the fault suite's load, process finder and oracle
from wangge_common.settings import SERVICES  # noqa: E402
from wangge_common.testing import create_test_database, free_port, live_server  # noqa: E402
from wangge_devstack.stack import Stack  # noqa: E402


def rss_by_process(stack) -> dict[str, int]:
    """kB of resident memory per stack process (gunicorn: master and workers summed under '<service>-web')."""
    found = collections.Counter()
    broker = None
    try:
        broker = faultkit.broker_pid(stack)
    except AssertionError:
        pass
    for proc in faultkit.processes():
        argv = proc["argv"]
        if proc["pid"] == broker:
            name = "broker"
        elif proc["var_dir"] != str(stack.var_dir):
            continue
        elif "gunicorn" in " ".join(argv):
            port = next((a.rsplit(":", 1)[1] for a in argv if a.startswith("127.0.0.1:")), None)
            name = next((f"{s}-web" for s, p in stack.ports.items() if str(p) == port), "web?")
        elif "wangge_common.cli" in " ".join(argv) and len(argv) >= 2:
            name = f"{argv[-1]}-{argv[-2]}"
        else:
            continue
        status = faultkit._read(f"/proc/{proc['pid']}/status").decode(errors="replace")
        found[name] += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return dict(found)


class Traffic:
    """Mixed traffic at a fixed rate: registrations (faultkit.Load) and reads of what was registered."""

    def __init__(self, stack, grid_id: str, rate: float, register_share: float = 0.6):
        self.stack, self.rate, self.share = stack, rate, register_share
        self.load = faultkit.Load(stack.url("intake"), stack.demo_key, grid_id, rate=rate)
        self.reads = collections.Counter()
        self.read_errors = collections.Counter()
        self.posted_at = {}  # case id -> wall time the POST started
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=8)
        self._http = threading.local()

    def _session(self):
        if not hasattr(self._http, "session"):
            self._http.session = requests.Session()
            self._http.session.headers["Authorization"] = f"Bearer {self.stack.demo_key}"
        return self._http.session

    def register(self):
        before = set(self.load.accepted)
        started = time.time()
        self.load.register_one()
        for case_id in set(self.load.accepted) - before:
            self.posted_at.setdefault(case_id, started)

    def read(self):
        if not self.load.accepted:
            return
        case_id, code = random.choice(list(self.load.accepted.items()))
        kind, url = random.choice([
            ("case", f"{self.stack.url('intake')}/v1/cases/{case_id}"),
            ("work_orders", f"{self.stack.url('routing')}/v1/work-orders?case_id={case_id}"),
            ("tracking", f"{self.stack.url('intake')}/v1/track/{code}"),
            ("deliveries", f"{self.stack.url('notify')}/v1/deliveries?case_id={case_id}"),
        ])
        try:
            status = self._session().get(url, timeout=15).status_code
        except requests.RequestException as exc:
            self._http.__dict__.pop("session", None)
            status = type(exc).__name__
        (self.reads if status == 200 else self.read_errors)[f"{kind} {status}"] += 1

    def run(self, seconds: float):
        interval, start, sent = 1.0 / self.rate, time.monotonic(), 0
        while not self._stop.is_set() and time.monotonic() - start < seconds:
            self._pool.submit(self.register if random.random() < self.share else self.read)
            sent += 1
            self._stop.wait(max(0.0, start + sent * interval - time.monotonic()))
        self._pool.shutdown(wait=True)


def measure_capacity(stack, grid_id: str, seconds: float, sms, threads: int = 8) -> tuple[float, float]:
    """(intake's accepted registrations per second with `threads` clients posting back to back, the whole
    pipeline's: those cases over the time until every one has its work order, its messages and every event in the
    audit log). The soak runs at half the second: intake alone accepts far more than the audit log appends."""
    load = faultkit.Load(stack.url("intake"), stack.demo_key, grid_id)
    started = time.monotonic()
    stop = started + seconds

    def client():
        while time.monotonic() < stop:
            load.register_one()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    verdict, _ = faultkit.settle(stack, load, sms, timeout=600)
    if not verdict.clean:
        raise SystemExit(f"the capacity run itself did not settle: {faultkit.describe(verdict)}")
    return len(load.accepted) / seconds, len(load.accepted) / (time.monotonic() - started)


FREEZE_S = 20


def faults(stack):
    """The faults, in turn: (name, inject)."""
    def freeze():
        pid = faultkit.broker_pid(stack)
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(FREEZE_S)
        finally:
            os.kill(pid, signal.SIGCONT)

    return itertools.cycle([
        ("SIGKILL routing consumer", lambda: faultkit.kill(faultkit.pids_of(stack, "consume", "routing"))),
        ("SIGKILL notify consumer", lambda: faultkit.kill(faultkit.pids_of(stack, "consume", "notify"))),
        ("SIGKILL intake relay", lambda: faultkit.kill(faultkit.pids_of(stack, "relay", "intake"))),
        ("SIGKILL an intake gunicorn worker", lambda: faultkit.kill(faultkit.web_workers(stack, "intake")[:1])),
        ("SIGKILL notify scheduler", lambda: faultkit.kill(faultkit.pids_of(stack, "schedule", "notify"))),
        (f"broker frozen {FREEZE_S} s", freeze),
    ])


def latencies(stack, posted_at: dict) -> dict:
    """Seconds from POST to case.triaged (routing's outbox) and to the reporter's 'triaged' message (notify)."""
    triaged = {r[0]: r[1] for r in faultkit._rows(faultkit.database_url(stack, "routing"),
                                                   "SELECT message_key, created_at FROM outbox"
                                                   " WHERE event_type = 'case.triaged'")}
    notified = {r[0]: r[1] for r in faultkit._rows(faultkit.database_url(stack, "notify"),
                                                    "SELECT case_id, created_at FROM deliveries WHERE"
                                                    " event_type = 'case.triaged' AND channel = 'inbox'")}

    def seconds(moments):
        out = []
        for case_id, posted in posted_at.items():
            moment = moments.get(case_id)
            if moment is None:
                continue
            if isinstance(moment, str):
                moment = datetime.fromisoformat(moment)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            out.append(moment.timestamp() - posted)
        return out

    return {"triaged": seconds(triaged), "notified": seconds(notified)}


def p(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--fault-every", type=float, default=180.0, help="seconds between faults (default 180)")
    parser.add_argument("--measure-s", type=float, default=20.0, help="capacity measurement (default 20 s)")
    parser.add_argument("--settle-s", type=float, default=300.0, help="bound for delivery after the load; what is "
                        "not delivered by then counts as lost")
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fake SMS gateway's request lines
    base = Path(tempfile.mkdtemp(prefix="wangge-soak-"))
    from notify.fakegateway import create_gateway

    gateway = create_gateway(token="soak-token")
    databases, drops = {}, []
    for service in SERVICES:
        url, drop = create_test_database(service, base)
        drops.append(drop)
        if not url.startswith("sqlite"):
            databases[service] = url
    with live_server(gateway) as gateway_url:
        stack = Stack(var_dir=base / "var", ports={s: free_port() for s in SERVICES}, broker_port=free_port(),
                      database_urls=databases, session_timeout_ms=2000, web_workers=2, extra_env={
                          "WANGGE_NOTIFY_SMS_URL": gateway_url + "/sms", "WANGGE_NOTIFY_SMS_TOKEN": "soak-token",
                          "WANGGE_NOTIFY_QUIET_HOURS": "off", "WANGGE_NOTIFY_RETRY_BASE_S": "1",
                          "WANGGE_NOTIFY_SMS_DAILY_CAP": "100000", "WANGGE_KAFKA_REQUEST_TIMEOUT_MS": "10000"})
        try:
            print(f"soak: starting the stack in {base} ({'PostgreSQL' if databases else 'SQLite'})", flush=True)
            stack.start()
            grid_id = make_grid(stack)
            sms = lambda: list(gateway.config["gateway_state"]["messages"])  # noqa: E731
            intake_capacity, capacity = measure_capacity(stack, grid_id, args.measure_s, sms)
            rate = max(1.0, capacity / 2 / 0.6)  # registrations at half the pipeline's capacity, plus the reads
            print(f"soak: intake accepts {intake_capacity:.1f} registrations/s; the pipeline delivers "
                  f"{capacity:.1f} cases/s end to end; traffic {rate:.1f} requests/s (60 % registrations) for "
                  f"{args.minutes:g} min, a fault every {args.fault_every:g} s", flush=True)
            time.sleep(5)
            rss_start = rss_by_process(stack)
            traffic = Traffic(stack, grid_id, rate)
            runner = threading.Thread(target=traffic.run, args=(args.minutes * 60,))
            started = time.monotonic()
            runner.start()
            injected = []
            for name, inject in faults(stack):
                wait = started + (len(injected) + 1) * args.fault_every - time.monotonic()
                if time.monotonic() + wait >= started + args.minutes * 60 - 30:
                    break
                time.sleep(max(0.0, wait))
                try:
                    inject()
                    injected.append(name)
                except AssertionError as exc:  # e.g. a process that was not restarted after the last fault
                    injected.append(f"{name} (not injected: {exc})")
                print(f"soak: t={time.monotonic() - started:.0f}s fault: {injected[-1]}", flush=True)
            runner.join()
            verdict, took = faultkit.settle(stack, traffic.load, sms, timeout=args.settle_s)
            rss_end = rss_by_process(stack)
            timing = latencies(stack, traffic.posted_at)
            report(args, capacity, rate, injected, traffic, verdict, took, timing, rss_start, rss_end)
            return 0 if verdict.clean else 1
        finally:
            stack.stop()
            for drop in drops:
                drop()


def make_grid(stack) -> str:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {stack.demo_key}"
    answer = api.post(stack.url("roster") + "/v1/grids", json={"code": "SOAK-01", "name": "浸泡测试乡", "level": 1,
                                                               "kind": "rural_village"})
    answer.raise_for_status()
    grid_id = answer.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if api.post(stack.url("intake") + "/v1/cases",
                    json=faultkit.case_body(grid_id, "13700000000")).status_code == 201:
            return grid_id
        time.sleep(0.3)
    raise SystemExit("intake did not learn the grid within 60 s")


def report(args, capacity, rate, injected, traffic, verdict, took, timing, rss_start, rss_end) -> None:
    lost = sum(len(v) for v in verdict.lost.values())
    doubled = sum(len(v) for v in verdict.doubled.values())
    print("\n=== soak ===")
    print(f"duration {args.minutes:g} min; pipeline capacity {capacity:.1f} cases/s; traffic {rate:.1f} requests/s "
          f"(60 % registrations)")
    print(f"faults ({len(injected)}): " + "; ".join(injected))
    print(f"accepted {verdict.accepted}   lost {lost}   doubled {doubled}   (settled {took:.0f} s after the load)")
    for what, ids in verdict.lost.items():
        if ids:
            print(f"  lost {what}: {len(ids)}")
    for what, ids in verdict.doubled.items():
        if ids:
            print(f"  doubled {what}: {len(ids)}")
    refused = dict(traffic.load.refused)
    print(f"registrations refused after retries: {sum(refused.values())} {refused or ''}")
    print(f"reads ok {sum(traffic.reads.values())}, failed {sum(traffic.read_errors.values())} "
          f"{dict(traffic.read_errors) or ''}")
    for what in ("triaged", "notified"):
        values = timing[what]
        if values:
            print(f"POST → {what}: p50 {statistics.median(values):.2f} s, p99 {p(values, 0.99):.2f} s, "
                  f"max {max(values):.2f} s ({len(values)} cases)")
    print("memory (RSS, MB)        start      end")
    for name in sorted(set(rss_start) | set(rss_end)):
        start, end = rss_start.get(name), rss_end.get(name)
        print(f"  {name:<22} {start / 1024 if start else float('nan'):>7.1f}  {end / 1024 if end else float('nan'):>7.1f}")


if __name__ == "__main__":
    sys.exit(main())
