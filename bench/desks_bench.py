"""Desks benchmark: page times of the township office's and the department's main lists, at the demo county's size
and with 100,000 more cases.

    .venv/bin/python bench/desks_bench.py [--requests 30] [--cases 100000]

Starts the whole stack (temporary directory, free ports, the demo county, the demo accounts), then:
  1. demo size: registers --demo-cases cases (default 300) through intake's bulk API in the demo township's grids
     and lets routing triage them as it does every case (catalogue lines → work orders, the rest → manual queue);
  2. times each page, one request at a time (closed loop, one signed-in client), p50/p99 in milliseconds:
     township staff: 待分办, 督办, 回访, one case page; department handler: the inbox (新工单, 已逾期), one order page;
  3. writes --cases more cases straight into routing's database (SQLAlchemy Core, 5,000 rows a transaction;
     routing has no bulk-load API and intake + broker would take an hour for 100,000): spread over every grid of
     the county, one in four in the demo township; 60 % closed, the rest open in each state the desks list
     (manual queue, major issue, assigned/signed/in progress with a work order, resolved waiting for a return
     visit) registered in the last 20 days (so about a quarter of the open orders are past their 15-day deadline;
     a third of those under 督办), one open order in ten with an extension request, half the orders going to the
     demo department. The services read them as their own rows; intake never hears of them, so
     only the lists are timed on them (the case and order pages stay on a demo case).
  4. times the same pages again.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, insert

from roster.demo import load_demo
from wangge_common.settings import SERVICES, Settings
from wangge_common.testing import free_port
from wangge_devstack.stack import Stack

CHUNK = 5000
DEPARTMENTS = (("town-office", "镇党政综合办"), ("town-construction", "镇村镇建设办"), ("town-water", "镇水利站"),
               ("town-civil-affairs", "镇民政办"), ("county-natural-resources", "县自然资源局"))


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


def timed(session, url, n):
    session.get(url).raise_for_status()  # warm: connections, token, name caches
    out = []
    for _ in range(n):
        start = time.perf_counter()
        session.get(url).raise_for_status()
        out.append(time.perf_counter() - start)
    return out


def signed_in(base, username, password):
    session = requests.Session()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', session.get(base + "/signin").text).group(1)
    answer = session.post(base + "/signin", data={"csrf_token": csrf, "username": username, "password": password})
    answer.raise_for_status()
    return session


def township_grids(stack, key, township_id):
    roster, hdr = stack.url("roster"), {"Authorization": f"Bearer {key}"}
    grids, frontier = [township_id], [township_id]
    while frontier:
        children = requests.get(roster + "/v1/grids", params={"parent_id": frontier.pop(), "page_size": 1000},
                                headers=hdr).json()["items"]
        grids += [c["id"] for c in children]
        frontier += [c["id"] for c in children]
    return grids


def register_demo_cases(stack, grids, count, department):
    """`count` hotline cases in the township's grids: a mix of topics, a third of them the demo department's."""
    hdr = {"Authorization": f"Bearer {stack.demo_key}"}
    rules = requests.get(stack.url("routing") + "/v1/dispatch-rules", headers=hdr).json()
    theirs = [(r["category"], r["topic"]) for r in rules if r["department_code"] == department]
    rng, topics = random.Random(11), [("request", "road"), ("request", "water"), ("enquiry", None),
                                      ("complaint", "neighbour_dispute"), ("request", "land"), ("suggestion", None)]
    topics += theirs * max(1, len(topics) // (2 * max(1, len(theirs))))
    for first in range(0, count, 100):
        cases = []
        for i in range(first, min(first + 100, count)):
            category, topic = rng.choice(topics)
            cases.append({"channel": "hotline", "grid_id": rng.choice(grids), "category": category, "topic": topic,
                          "content": f"压测诉求第 {i} 件：村口道路破损需要修补。", "received_by": {"kind": "call_taker",
                                                                                     "id": "bench"},
                          "reporter": {"name": "压测", "phone": "13900000000"}})
        answer = requests.post(stack.url("intake") + "/v1/cases/bulk", json={"cases": cases},
                               headers={**hdr, "Idempotency-Key": uuid.uuid4().hex})
        answer.raise_for_status()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # routing triages them from cases.v1
        routed = requests.get(stack.url("routing") + "/v1/cases", params={"page_size": 1}, headers=hdr).json()
        if routed["total"] >= count:
            return
        time.sleep(1)
    raise RuntimeError("routing did not receive the demo cases in time")


def generate(stack, grids_everywhere, grids_township, department, count):
    """`count` cases (and their orders) straight into routing's tables: see the module's docstring."""
    from routing.models import RoutedCase, WorkOrder

    url = Settings.from_env("routing", stack.env_for("routing")).database_url
    engine = create_engine(url)
    rng, now = random.Random(7), datetime.now(timezone.utc)
    cases_t, orders_t = RoutedCase.__table__, WorkOrder.__table__
    for first in range(0, count, CHUNK):
        cases, orders = [], []
        for i in range(first, min(first + CHUNK, count)):
            case_id = str(uuid.UUID(int=rng.getrandbits(128)))
            grid = rng.choice(grids_township) if i % 4 == 0 else rng.choice(grids_everywhere)
            roll = rng.random()
            # closed cases over the past year; open ones registered in the last 20 days (a 15-day deadline: about
            # a quarter of the open orders are overdue, as a busy county's would be)
            age_days = 365 if roll < 0.6 else 20
            registered = now - timedelta(minutes=rng.randint(10, age_days * 24 * 60))
            state, path, order_state = (("closed", "town", "answered") if roll < 0.6 else
                                        ("returned", "manual", None) if roll < 0.65 else
                                        ("escalated", "major_issue", "dispatched") if roll < 0.67 else
                                        ("resolved", "town", "answered") if roll < 0.75 else
                                        ("assigned", "town", "dispatched") if roll < 0.85 else
                                        ("signed", "town", "signed") if roll < 0.92 else
                                        ("in_progress", "town", "in_progress"))
            cases.append({"case_id": case_id, "tracking_code": f"BX{i:08d}", "grid_id": grid, "category": "request",
                          "topic": "road", "urgency": "normal", "state": state, "path": path,
                          "registered_at": registered, "updated_at": registered, "return_count": 0,
                          "reopen_count": 0, "evaluation_round": 1 if state in ("resolved", "closed") else 0,
                          "replied_at": registered + timedelta(days=5) if state in ("resolved", "closed") else None,
                          "outcome": "satisfied" if state == "closed" else None,
                          "closed_at": registered + timedelta(days=8) if state == "closed" else None})
            if order_state is None:
                continue
            code, name = department if rng.random() < 0.5 else rng.choice(DEPARTMENTS)
            due = registered + timedelta(days=15)
            open_ = order_state in ("dispatched", "signed", "in_progress")
            orders.append({"id": str(uuid.UUID(int=rng.getrandbits(128))), "case_id": case_id, "grid_id": grid,
                           "department_code": code, "department_name": name, "state": order_state, "role": "sole",
                           "created_at": registered, "due_at": due, "due_soon_at": due - timedelta(days=1),
                           "sign_due_at": registered + timedelta(days=1), "sign_overdue_marked": False,
                           "signed_at": registered + timedelta(hours=3) if order_state != "dispatched" else None,
                           "answered_at": registered + timedelta(days=4) if not open_ else None,
                           "summary": "已修补。" if not open_ else None, "due_soon_marked": open_ and due < now,
                           "overdue_marked": open_ and due < now, "escalation_step": 0,
                           "supervision": "township" if open_ and due < now and rng.random() < 0.3 else None,
                           "extension_requested_due_at": due + timedelta(days=7) if open_ and rng.random() < 0.1
                           else None, "extension_reason": "等待配件", "next_check_at": None})
        with engine.begin() as conn:
            conn.execute(insert(cases_t), cases)
            if orders:
                conn.execute(insert(orders_t), orders)
    engine.dispose()


def measure(label, base, staff, handler, case_id, order_id, n):
    pages = [("乡镇 待分办", staff, "/desk/township/triage"), ("乡镇 督办", staff, "/desk/township/supervision"),
             ("乡镇 回访", staff, "/desk/township/return-visits"), ("乡镇 诉求页", staff, f"/desk/cases/{case_id}"),
             ("部门 新工单", handler, "/desk/department?tab=new"), ("部门 已逾期", handler, "/desk/department?tab=overdue"),
             ("部门 工单页", handler, f"/desk/orders/{order_id}")]
    print(f"\n{label}")
    for name, session, path in pages:
        times = timed(session, base + path, n)
        print(f"  {name:<10} p50 {pct(times, 50):7.1f} ms  p99 {pct(times, 99):7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--demo-cases", type=int, default=300)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each figure as it comes, also when piped to a file
    tmp = Path(tempfile.mkdtemp(prefix="desks-bench-"))
    stack = Stack(var_dir=tmp, ports={s: free_port() for s in (*SERVICES, "portal")}, broker_port=free_port())
    try:
        stack.start()
        load_demo(stack.url("roster"), stack.demo_key)
        accounts = stack.demo_accounts()
        password = {role: re.search(rf"\s({role})\s+(\S+)", accounts).group(2) for role in ("township", "department")}
        base = stack.url("portal")
        staff, handler = (signed_in(base, role, password[role]) for role in ("township", "department"))
        import sqlite3
        township_id, department = sqlite3.connect(tmp / "portal.db").execute(
            "SELECT (SELECT grid_id FROM accounts WHERE username='township'), "
            "(SELECT department FROM accounts WHERE username='department')").fetchone()
        hdr = {"Authorization": f"Bearer {stack.demo_key}"}
        mine = township_grids(stack, stack.demo_key, township_id)
        everywhere = [g["id"] for level in (1, 2, 3) for g in requests.get(
            stack.url("roster") + "/v1/grids", params={"level": level, "page_size": 1000}, headers=hdr).json()["items"]]
        register_demo_cases(stack, mine, args.demo_cases, department)
        order = requests.get(stack.url("routing") + "/v1/work-orders", params={"department": department,
                                                                               "page_size": 1}, headers=hdr).json()
        if not order["items"]:
            raise RuntimeError(f"no demo case went to {department}")
        order = order["items"][0]
        print(f"demo county: {len(everywhere)} grids, {len(mine)} in the demo township; "
              f"{args.demo_cases} cases registered through intake; department {department}")
        measure("demo size", base, staff, handler, order["case_id"], order["id"], args.requests)
        started = time.perf_counter()
        generate(stack, everywhere, mine, (department, order["department_name"]), args.cases)
        print(f"\n{args.cases} cases written to routing's database in {time.perf_counter() - started:.0f} s")
        measure(f"with {args.cases} more cases", base, staff, handler, order["case_id"], order["id"], args.requests)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
