"""Oversight desks benchmark: page times of the supervisor's and the auditor's main pages, at the demo county's size
and with 100,000 cases.

    .venv/bin/python bench/oversight_bench.py [--demo-cases 200] [--cases 100000] [--repeat 15]

Starts the whole stack (temporary directory, free ports, the demo county, the demo accounts), then:
  1. demo size: registers `--demo-cases` cases through intake's API (hotline, the demo's group grids, the road
     topic, so the catalogue dispatches each to a department), puts every tenth order under 督办 through routing's
     API, waits until reporting counts them all, and times each page through the portal, signed in as the demo
     supervisor and auditor (requests, one at a time, `--repeat` times after one warm-up);
  2. `--cases` total: adds synthetic cases straight into the running stack's SQLite databases, the way a replay
     loads them (not measured): routing gets one routed case and one work order per case (7 % open, of which one in
     five at 催办/督办/提级督办), reporting gets the same cases as its case projection with the KPI cells rebuilt from
     every case (reporting's Projector). Cases are spread over the demo county's real group grids and deputies
     (bench/reporting_kpis.py's generator, remapped), so the pages name real grids. Then it times the pages again.
The audit log is not grown synthetically (its entries are hash-chained): verify over 1 M events is measured by
bench/reporting_replay.py. Prints p50/p95 in milliseconds per page.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, delete, insert, select

sys.path.insert(0, str(Path(__file__).parent))

from reporting_kpis import rows as synthetic_cases  # noqa: E402
from roster.demo import load_demo  # noqa: E402
from wangge_common.settings import SERVICES  # noqa: E402
from wangge_common.testing import free_port  # noqa: E402
from wangge_devstack.stack import Stack  # noqa: E402

SUPERVISOR = ["/supervisor", "/supervisor/ladder", "/supervisor/misses?kpi=closure_rate", "/supervisor/deputies",
              "/supervisor/grids", "GRID"]
AUDITOR = ["/auditor", "/auditor/events?all=1", "EVENTS", "/auditor/proofs/inclusion?seq=1", "/auditor/verify"]


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


def sign_in(base, username, password) -> requests.Session:
    session = requests.Session()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', session.get(base + "/signin").text).group(1)
    answer = session.post(base + "/signin", data={"csrf_token": csrf, "username": username, "password": password})
    assert answer.ok and "/signin" not in answer.url, answer.text[:300]
    return session


def time_pages(label, session, base, paths, repeat):
    for path in paths:
        took = []
        for attempt in range(repeat + 1):  # the first one warms connections, caches, the grid directory
            start = time.perf_counter()
            answer = session.get(base + path)
            if answer.status_code != 200:
                print(f"  {label:<8} {path[:60]:<60} FAILED: {answer.status_code} after "
                      f"{time.perf_counter() - start:.1f} s (the portal waits 10 s for a service)", flush=True)
                break
            if attempt:
                took.append(time.perf_counter() - start)
        if len(took) == repeat:
            print(f"  {label:<8} {path[:60]:<60} p50 {pct(took, 50):8.1f} ms  p95 {pct(took, 95):8.1f} ms",
                  flush=True)


def time_straight(api, url, repeat):
    """The service call a page waits on most, made straight with the API key: what the portal adds is the rest."""
    took = []
    for _ in range(repeat):
        start = time.perf_counter()
        api.get(url, timeout=120).raise_for_status()
        took.append(time.perf_counter() - start)
    print(f"  straight {url.split('/', 3)[-1][:60]:<60} p50 {pct(took, 50):8.1f} ms  p95 {pct(took, 95):8.1f} ms",
          flush=True)


def demo_cases(stack, api, groups, n):
    intake, routing = stack.url("intake"), stack.url("routing")
    codes = []
    for i in range(n):
        answer = api.post(intake + "/v1/cases", json={
            "channel": "hotline", "grid_id": groups[i % len(groups)]["id"], "category": "request", "topic": "road",
            "content": f"道路坑洼第 {i} 处，雨天积水。", "reporter": {"name": "王秀英", "phone": "13912345678"},
            "received_by": {"kind": "call_taker", "id": "bench"}})
        assert answer.status_code == 201, answer.text[:300]
        codes.append((answer.json()["id"], answer.json()["tracking_code"]))
    deadline = time.time() + 300
    supervised = 0
    for case_id, _ in codes[::10]:
        while time.time() < deadline:
            orders = api.get(routing + "/v1/work-orders", params={"case_id": case_id}).json()["items"]
            if orders:
                api.post(routing + f"/v1/work-orders/{orders[0]['id']}/supervise",
                         json={"step": "supervision", "reason": "基准测试督办"}).raise_for_status()
                supervised += 1
                break
            time.sleep(0.2)
    while time.time() < deadline:
        if api.get(stack.url("reporting") + "/v1/kpis").json()["cases_total"] >= n:
            break
        time.sleep(0.5)
    print(f"demo size: {n} cases registered through intake, {supervised} orders under 督办", flush=True)
    return codes


def bulk_cases(stack, api, groups, total, already):
    """Synthetic cases into routing's and reporting's databases, as a replay would load them (not measured)."""
    from reporting.models import CaseFact, DeputyCaseCount, KpiCell
    from reporting.projections import MemoryStore, Projector
    from routing.models import RoutedCase, WorkOrder

    n = total - already
    started = time.perf_counter()
    deputies = api.get(stack.url("roster") + "/v1/deputies", params={"page_size": 1000}).json()["items"]
    _, _, cases = synthetic_cases(n, random.Random(5))
    grid_of = {}
    for i, case in enumerate(cases):
        case["grid_id"] = grid_of.setdefault(case["grid_id"], groups[len(grid_of) % len(groups)]["id"])
        case["deputy_id"] = deputies[i % len(deputies)]["id"]
        case["tracking_code"] = f"BN{i:08d}"
    routing_db = create_engine(f"sqlite:///{stack.var_dir / 'routing.db'}")
    reporting_db = create_engine(f"sqlite:///{stack.var_dir / 'reporting.db'}")
    rng = random.Random(9)
    routed, orders = [], []
    for case in cases:
        registered = datetime.fromisoformat(case["registered_at"].replace("Z", "+00:00"))
        routed.append({"case_id": case["case_id"], "tracking_code": case["tracking_code"], "grid_id": case["grid_id"],
                       "category": case["category"], "topic": "road", "urgency": "normal", "state": case["state"],
                       "path": "town", "registered_at": registered, "updated_at": registered,
                       "return_count": 0, "reopen_count": case["reopen_count"], "evaluation_round": 0,
                       "outcome": case["outcome"], "on_time": case["on_time"] if case["closed"] else None,
                       "closed_at": datetime(2026, 12, 1, tzinfo=timezone.utc) if case["closed"] else None})
        step = rng.choice((1, 2, 3)) if not case["closed"] and rng.random() < 0.2 else 0
        orders.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "case_id": case["case_id"],
                       "department_code": case["department"], "department_name": f"部门{case['department'][-2:]}",
                       "state": "answered" if case["closed"] else "in_progress", "role": "sole",
                       "created_at": registered, "due_at": registered, "overdue_marked": step > 0,
                       "escalation_step": step, "supervision": {2: "township", 3: "county"}.get(step)})
    with routing_db.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(RoutedCase.__table__), routed[start:start + 5000])
            conn.execute(insert(WorkOrder.__table__), orders[start:start + 5000])
    store = MemoryStore()
    columns = [c.name for c in CaseFact.__table__.columns]
    with reporting_db.begin() as conn:
        for row in conn.execute(select(CaseFact.__table__)):  # the demo cases stay and count too
            store.put(CaseFact, dict(zip(columns, row)))
        for case in cases:  # every column given (an executemany needs the same keys in every row)
            case["department_name"] = f"部门{case['department'][-2:]}"
            store.put(CaseFact, {c: case.get(c) for c in columns})
        Projector(store, incremental_cells=False).build_cells()
        conn.execute(delete(KpiCell.__table__))
        conn.execute(delete(CaseFact.__table__))
        conn.execute(delete(DeputyCaseCount.__table__))
        for model, rows_ in store.sorted_tables():
            if model in (CaseFact, KpiCell, DeputyCaseCount):
                for start in range(0, len(rows_), 5000):
                    conn.execute(insert(model.__table__), rows_[start:start + 5000])
    routing_db.dispose()
    reporting_db.dispose()
    print(f"{total:,} cases: {n:,} synthetic ones loaded in {time.perf_counter() - started:.0f} s (not measured)",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo-cases", type=int, default=200)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="oversight-bench-"))
    stack = Stack(var_dir=tmp, ports={s: free_port() for s in (*SERVICES, "portal")}, broker_port=free_port())
    try:
        stack.start()
        load_demo(stack.url("roster"), stack.demo_key)
        stack.demo_accounts()
        passwords = json.loads((tmp / "portal-demo-accounts.json").read_text())
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {stack.demo_key}"
        groups = api.get(stack.url("roster") + "/v1/grids", params={"level": 3, "page_size": 1000}).json()["items"]
        township = api.get(stack.url("roster") + "/v1/grids", params={"level": 1}).json()["items"][0]["id"]
        codes = demo_cases(stack, api, groups, args.demo_cases)
        base = stack.url("portal")
        supervisor = sign_in(base, "supervisor", passwords["supervisor"])
        auditor = sign_in(base, "auditor", passwords["auditor"])
        paths = [p.replace("GRID", f"/grids/{township}") for p in SUPERVISOR]
        events = [p.replace("EVENTS", f"/auditor/events?code={codes[0][1]}") for p in AUDITOR]
        for size in ("demo", "bulk"):
            if size == "bulk":
                bulk_cases(stack, api, groups, args.cases, args.demo_cases)
            print(f"pages with {args.demo_cases if size == 'demo' else args.cases:,} cases:", flush=True)
            time_pages("督查", supervisor, base, paths, args.repeat)
            time_pages("审计", auditor, base, events, args.repeat)
            time_straight(api, stack.url("reporting") + "/v1/deputies/performance", max(3, args.repeat // 3))
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
