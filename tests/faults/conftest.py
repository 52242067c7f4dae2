"""One stack for the fault rows (Tansu, five services, relays, consumers, schedulers) on free ports in a temporary
directory — SQLite files, or one new PostgreSQL database per service when TEST_DATABASE_URL is set — with a fake SMS
gateway that keeps every message, and a grid whose cases routing's catalogue dispatches."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from wangge_common.settings import SERVICES
from wangge_common.testing import create_test_database, free_port
from wangge_devstack.stack import Stack

from faultkit import case_body


@pytest.fixture(scope="module")
def sms_gateway():
    from notify.fakegateway import create_gateway
    from wangge_common.testing import live_server

    gateway = create_gateway(token="fault-sms-token")
    with live_server(gateway) as url:
        yield {"url": url + "/sms", "state": gateway.config["gateway_state"]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, sms_gateway):
    """Shared by the rows (a stack starts in ~30 s): each row judges only its own cases and their events."""
    tmp_path = tmp_path_factory.mktemp("faults")
    databases, drops = {}, []
    for service in SERVICES:
        url, drop = create_test_database(service, tmp_path)
        drops.append(drop)
        if not url.startswith("sqlite"):
            databases[service] = url
    env = {"WANGGE_NOTIFY_SMS_URL": sms_gateway["url"], "WANGGE_NOTIFY_SMS_TOKEN": "fault-sms-token",
           "WANGGE_NOTIFY_QUIET_HOURS": "off", "WANGGE_NOTIFY_RETRY_BASE_S": "1", "WANGGE_NOTIFY_LEASE_S": "5",
           "WANGGE_NOTIFY_SMS_DAILY_CAP": "1000",
           # reporting's scheduled reconciliation: often, over what is at least 3 s old
           "WANGGE_REPORTING_RECONCILE_INTERVAL_S": "5", "WANGGE_REPORTING_RECONCILE_GRACE_S": "3",
           # a frozen broker must outlast the clients' request timeout; 10 s keeps that row short (see README)
           "WANGGE_KAFKA_REQUEST_TIMEOUT_MS": "10000"}
    running = Stack(var_dir=tmp_path / "var", ports={s: free_port() for s in SERVICES}, broker_port=free_port(),
                    database_urls=databases, session_timeout_ms=2000, web_workers=2, extra_env=env)
    running.started_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for drop in drops:
            drop()


@pytest.fixture(scope="module")
def grid(stack):
    """A grid created in roster, known to intake (from roster.v1) before the load starts."""
    import time

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {stack.demo_key}"
    answer = api.post(stack.url("roster") + "/v1/grids", json={"code": f"FT-{uuid.uuid4().hex[:6]}",
                                                              "name": "故障演练乡", "level": 1,
                                                              "kind": "rural_village"})
    assert answer.status_code == 201, answer.text
    grid_id = answer.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        probe = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid_id, "13700000000"))
        if probe.status_code == 201:
            return grid_id
        time.sleep(0.3)
    pytest.fail("intake did not learn the grid from roster.v1 within 60 s")
