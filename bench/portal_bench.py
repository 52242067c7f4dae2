"""Portal benchmark: what the portal costs over calling the services straight.

    .venv/bin/python bench/portal_bench.py [--requests 200]

Starts the whole stack (temporary directory, free ports, demo county, demo accounts), then measures, one request
at a time (closed loop, one client):
  1. the deputy's home page (我的网格) through the portal, against the same service calls made straight with the
     deputy's access token (roster assignments, intake households, routing cases, roster reception days);
  2. submitting the online form (网上联络站) through the portal (CSRF, validation, Idempotency-Key, the case to
     intake), against POST /v1/cases straight to intake with an API key.
Prints p50/p99 in milliseconds and the ratio portal / straight.
"""
from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from roster.demo import load_demo
from wangge_common.testing import free_port
from wangge_devstack.stack import Stack
from wangge_common.settings import SERVICES
from wangge_common.tokens import TokenIssuer


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


def timed(n, call):
    call()  # warm: connections, caches
    out = []
    for i in range(n):
        start = time.perf_counter()
        call(i)
        out.append(time.perf_counter() - start)
    return out


def report(name, portal, straight):
    p50, p99, s50, s99 = pct(portal, 50), pct(portal, 99), pct(straight, 50), pct(straight, 99)
    print(f"{name:<28} portal p50 {p50:7.1f} ms  p99 {p99:7.1f} ms | straight p50 {s50:7.1f} ms  p99 {s99:7.1f} ms"
          f" | ratio p50 {p50 / s50:4.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    stack = Stack(var_dir=tmp, ports={s: free_port() for s in (*SERVICES, "portal")}, broker_port=free_port(),
                  extra_env={"WANGGE_PORTAL_ONLINE_LIMIT": "100000 per minute"})
    try:
        stack.start()
        load_demo(stack.url("roster"), stack.demo_key)
        accounts = stack.demo_accounts()
        password = re.search(r"\s(deputy)\s+(\S+)", accounts).group(2)
        base = stack.url("portal")
        n = args.requests

        deputy = requests.Session()
        page = deputy.get(base + "/signin").text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        deputy.post(base + "/signin", data={"csrf_token": csrf, "username": "deputy", "password": password})
        home = timed(n, lambda i=0: deputy.get(base + "/deputy").raise_for_status())

        # the same reads, straight to the services with the deputy's own token
        issuer = TokenIssuer(stack.url("portal"), stack.portal_signing_key)
        row = sqlite3.connect(tmp / "portal.db").execute(
            "SELECT id, deputy_id FROM accounts WHERE username='deputy'").fetchone()
        direct = requests.Session()

        def straight_home(i=0):
            grids = direct.get(stack.url("roster") + "/v1/assignments", params={
                "deputy_id": row[1], "current": "true", "page_size": 100}, headers=hdr).json()["items"]
            for a in grids:
                gid = a["grid_id"]
                direct.get(stack.url("intake") + "/v1/households", params={"grid_id": gid, "page_size": 1},
                           headers=hdr).raise_for_status()
                direct.get(stack.url("routing") + "/v1/cases", params={"grid_id": gid, "page_size": 200},
                           headers=hdr).raise_for_status()
                direct.get(stack.url("roster") + "/v1/reception-days", params={"grid_id": gid, "page_size": 5},
                           headers=hdr).raise_for_status()
            direct.get(stack.url("routing") + "/v1/cases", params={"first_receiver": row[1], "state": "answered"},
                       headers=hdr).raise_for_status()

        first = direct.get(stack.url("roster") + "/v1/assignments", params={"deputy_id": row[1], "current": "true"},
                           headers={"Authorization": f"Bearer {stack.demo_key}"}).json()["items"]
        token = issuer.mint(row[0], scopes=["cases:read", "cases:write", "roster:read"], name="bench",
                            grids=[a["grid_id"] for a in first])
        hdr = {"Authorization": f"Bearer {token}"}
        home_straight = timed(n, straight_home)
        report("deputy home 我的网格", home, home_straight)

        resident = requests.Session()
        form_url = base + "/online/form?grid=" + first[0]["grid_id"]

        def portal_submit(i=0):
            page = resident.get(form_url).text  # not timed separately: a resident loads the form first
            csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            start = time.perf_counter()
            answer = resident.post(form_url, allow_redirects=False, data={
                "csrf_token": csrf, "nonce": uuid.uuid4().hex, "grid": first[0]["grid_id"], "category": "request",
                "topic": "lighting", "content": f"村口路灯坏了，第 {i} 次测试反映。{uuid.uuid4().hex[:6]}",
                "name": "王秀英", "mobile": "13912345678", "consent": "y"})
            assert answer.status_code == 302, answer.text[:500]
            return time.perf_counter() - start

        def straight_submit(i=0):
            answer = direct.post(stack.url("intake") + "/v1/cases", headers={
                "Authorization": f"Bearer {stack.demo_key}", "Idempotency-Key": uuid.uuid4().hex}, json={
                "channel": "online", "grid_id": first[0]["grid_id"], "category": "request", "topic": "lighting",
                "content": f"村口路灯坏了，第 {i} 次直连反映。{uuid.uuid4().hex[:6]}",
                "reporter": {"name": "王秀英", "phone": "13912345678"},
                "received_by": {"kind": "system", "id": "online-station"}})
            assert answer.status_code == 201, answer.text[:500]

        portal_submit()
        submits = [portal_submit(i) for i in range(n)]
        report("online form submit 网上联络站", submits, timed(n, straight_submit))
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
