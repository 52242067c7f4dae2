"""Helpers the integration tests share: polling with a deadline, a case body, where a case has got to."""
from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests


def eventually(check, timeout: float, what: str, interval: float = 0.1):
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(interval)
    pytest.fail(f"{what} within {timeout:.0f}s (last seen: {last!r})")


def case_body(grid_id: str, **changes) -> dict:
    """A hotline case; each reporter has a phone of their own, because notify sends one number at most
    WANGGE_NOTIFY_SMS_DAILY_CAP (5) texts a day, and a shared number would hold back later tests' messages."""
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    body = {"channel": "hotline", "grid_id": grid_id, "category": "request", "topic": "road",
            "content": "村口路灯坏了三天，晚上出行不便。", "reporter": {"name": "王秀英", "phone": phone},
            "received_by": {"kind": "call_taker", "id": "ct-04"}}
    body.update(changes)
    return body


def case_everywhere(stack, api, case_id: str) -> dict | None:
    """The case's traces in routing, notify and reporting once all are there, else None."""
    orders = api.get(stack.url("routing") + "/v1/work-orders", params={"case_id": case_id}).json()["items"]
    notes = api.get(stack.url("notify") + "/v1/notifications", params={"case_id": case_id}).json()["items"]
    audit = api.get(stack.url("reporting") + "/v1/audit/events", params={"subject": case_id}).json()["items"]
    types = [entry["event_type"] for entry in audit]
    if orders and len(notes) >= 2 and types[:2] == ["case.registered", "case.triaged"]:
        return {"orders": orders, "notes": notes, "audit": audit}
    return None


def publish_group_grid(stack, api, *, code: str, names: tuple[str, str, str], deputy: dict) -> dict:
    """Create township → village → group in roster, a township deputy living in the group, and publish the plan
    that assigns the deputy to it. Returns {"town", "village", "group", "deputy"} as roster answered them."""
    roster = stack.url("roster")

    def create(path, body):
        response = api.post(roster + path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    town = create("/v1/grids", {"code": code, "name": names[0], "level": 1, "kind": "rural_village"})
    village = create("/v1/grids", {"code": f"{code}-01", "name": names[1], "level": 2, "kind": "rural_village",
                                   "parent_id": town["id"]})
    group = create("/v1/grids", {"code": f"{code}-01-01", "name": names[2], "level": 3, "kind": "rural_village",
                                 "parent_id": village["id"], "households": 240})
    # roster refuses the same person twice (same mobile): each deputy made here gets a mobile of its own
    mobile = f"137{uuid.uuid4().int % 10**8:08d}"
    person = create("/v1/deputies", {"gender": "male", "level": "township", "mobile": mobile, **deputy,
                                     "home_grid_id": group["id"]})
    plan = create("/v1/assignment-plans", {"scope_grid_id": town["id"]})
    assert plan["feasible"], plan["violations"]
    create(f"/v1/assignment-plans/{plan['id']}/approve", {})
    create(f"/v1/assignment-plans/{plan['id']}/publish", {})
    return {"town": town, "village": village, "group": group, "deputy": person, "mobile": mobile}


def wait_until_routing_serves(stack, api, grid_id: str, deputy_id: str, timeout: float = 120) -> None:
    """Wait until intake accepts cases for the grid and routing names the deputy first receiver of a new one.

    Routing learns the grid's deputies from roster.v1 asynchronously and triages each case when it consumes it:
    a probe is posted only when the previous one has been triaged (so probes never pile up ahead of the consumer),
    and one triaged before routing learnt the assignment is answered by the next probe."""
    intake, routing = stack.url("intake"), stack.url("routing")
    deadline, last = time.monotonic() + timeout, "no probe accepted yet"
    while time.monotonic() < deadline:
        probe = api.post(intake + "/v1/cases", json=case_body(grid_id, content=f"探测代表派驻{time.monotonic_ns()}"))
        if probe.status_code != 201:
            last = f"intake answered {probe.status_code}: it has not learnt the grid yet"
            time.sleep(0.5)
            continue
        case_id = probe.json()["id"]
        while time.monotonic() < deadline:
            found = api.get(f"{routing}/v1/cases/{case_id}")
            if found.status_code == 200:
                receiver = found.json().get("first_receiver_deputy_id")
                if receiver == deputy_id:
                    return
                last = f"routing triaged probe {case_id} with first receiver {receiver!r}"
                break
            last = f"routing has not triaged probe {case_id} yet ({found.status_code})"
            time.sleep(0.2)
        time.sleep(0.3)
    pytest.fail(f"intake and routing learn the grid and its deputy from roster.v1 within {timeout:.0f}s "
                f"(last seen: {last})")


@contextmanager
def running_stack(base: Path, *, extra_env: dict, web_workers: int = 2):
    """A whole stack on free ports (SQLite, or PostgreSQL with TEST_DATABASE_URL), started, then stopped and its
    databases dropped."""
    from wangge_common.settings import SERVICES
    from wangge_common.testing import create_test_database, free_port
    from wangge_devstack.stack import Stack

    databases, drops = {}, []
    for service in SERVICES:
        url, drop = create_test_database(service, base)
        drops.append(drop)
        if not url.startswith("sqlite"):
            databases[service] = url
    running = Stack(var_dir=base, ports={s: free_port() for s in (*SERVICES, "portal")}, broker_port=free_port(),
                    database_urls=databases, session_timeout_ms=2000, web_workers=web_workers,
                    supervision_metrics_port=free_port(), extra_env=extra_env)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for drop in drops:
            drop()
