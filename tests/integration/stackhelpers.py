"""Helpers the integration tests share: polling with a deadline, a case body, where a case has got to."""
from __future__ import annotations

import time

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
