"""Helpers the integration tests share: polling with a deadline, a case body, where a case has got to."""
from __future__ import annotations

import time
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
    body = {"channel": "hotline", "grid_id": grid_id, "category": "request", "topic": "road",
            "content": "村口路灯坏了三天，晚上出行不便。", "reporter": {"name": "王秀英", "phone": "13912345678"},
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
