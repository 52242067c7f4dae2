"""The real stack for integration tests: Tansu, five services under gunicorn, relays and consumers.

Free ports, a temporary directory, SQLite files — or one new PostgreSQL database per service when
TEST_DATABASE_URL is set. The pytest-docker path runs only where a Docker engine answers.
"""
from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from wangge_common.settings import SERVICES
from wangge_common.testing import create_test_database, free_port
from wangge_devstack.stack import Stack

from stackhelpers import case_body, eventually


def _docker_unavailable() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client"
    for argv, what in ((["docker", "compose", "version"], "docker compose v2"), (["docker", "info"], "a Docker engine")):
        try:
            subprocess.run(argv, check=True, capture_output=True, timeout=20)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            return f"{what} is not available here (`{' '.join(argv)}` failed)"
    return None


def pytest_collection_modifyitems(config, items):
    docker_items = [item for item in items if "docker" in item.keywords]
    if not docker_items:
        return
    reason = _docker_unavailable()
    if reason:
        for item in docker_items:
            item.add_marker(pytest.mark.skip(reason=f"needs Docker: {reason}"))


class _Mailbox:
    """aiosmtpd handler: the local SMTP server notify's e-mails reach in integration tests."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture(scope="session")
def notify_outside():
    """What notify talks to outside the suite: the fake SMS gateway and a local SMTP server, and the settings."""
    from aiosmtpd.controller import Controller
    from notify.fakegateway import create_gateway
    from wangge_common.testing import live_server

    gateway, mailbox = create_gateway(token="it-sms-token"), _Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with live_server(gateway) as gateway_url:
            yield {"sms": gateway.config["gateway_state"], "mailbox": mailbox, "env": {
                "WANGGE_NOTIFY_SMS_URL": gateway_url + "/sms", "WANGGE_NOTIFY_SMS_TOKEN": "it-sms-token",
                "WANGGE_NOTIFY_SMTP_HOST": "127.0.0.1", "WANGGE_NOTIFY_SMTP_PORT": str(smtp.port),
                "WANGGE_NOTIFY_QUIET_HOURS": "off", "WANGGE_NOTIFY_RETRY_BASE_S": "1",
                "WANGGE_NOTIFY_MAX_ATTEMPTS": "3", "WANGGE_NOTIFY_LEASE_S": "5",
                # the tests' webhook receivers listen on loopback, which notify refuses unless allowed
                "WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}}
    finally:
        smtp.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, notify_outside):
    base = tmp_path_factory.mktemp("stack")
    databases, drops = {}, []
    for service in SERVICES:
        url, drop = create_test_database(service, base)
        drops.append(drop)
        if not url.startswith("sqlite"):
            databases[service] = url
    running = Stack(var_dir=base, ports={s: free_port() for s in (*SERVICES, "portal")}, broker_port=free_port(),
                    database_urls=databases, session_timeout_ms=2000, web_workers=2,
                    supervision_metrics_port=free_port(),
                    extra_env=notify_outside["env"])
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for drop in drops:
            drop()


@pytest.fixture(scope="session")
def api(stack):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stack.demo_key}"
    # gunicorn closes a keep-alive connection after 2 idle seconds; a GET sent on it at that moment meets a
    # closed socket (RemoteDisconnected). Reads are retried on a fresh connection; writes are never resent here.
    retry = Retry(total=3, connect=3, read=2, status=0, backoff_factor=0.05,
                  allowed_methods=frozenset({"GET", "HEAD"}), raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


@pytest.fixture(scope="session")
def grid(stack, api):
    """A grid created in roster and known to intake (which learns it from roster.v1)."""
    code = f"IT-{uuid.uuid4().hex[:6]}"
    response = api.post(stack.url("roster") + "/v1/grids",
                        json={"code": code, "name": "集成测试乡", "level": 1, "kind": "rural_village"})
    assert response.status_code == 201, response.text
    grid_id = response.json()["id"]

    def intake_knows():
        probe = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid_id, content="探测网格是否已同步。"))
        return probe.status_code == 201

    eventually(intake_knows, 60, "intake learns the new grid from roster.v1")
    return grid_id




@pytest.fixture
def served_grid(stack, api):
    """A group grid (township → village → group) with a township deputy published to it, known to intake and
    routing: cases a call taker registers there have a first receiver (首问责任), who replies."""
    roster, suffix = stack.url("roster"), uuid.uuid4().hex[:6]

    def create(path, body):
        response = api.post(roster + path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    town = create("/v1/grids", {"code": f"SG-{suffix}", "name": "首问乡", "level": 1, "kind": "rural_village"})
    village = create("/v1/grids", {"code": f"SG-{suffix}-01", "name": "首问村", "level": 2, "kind": "rural_village",
                                   "parent_id": town["id"]})
    group = create("/v1/grids", {"code": f"SG-{suffix}-01-01", "name": "首问村第一组", "level": 3,
                                 "kind": "rural_village", "parent_id": village["id"], "households": 240})
    deputy = create("/v1/deputies", {"name": "周建华", "gender": "male", "level": "township",
                                     "mobile": f"137{uuid.uuid4().int % 10**8:08d}", "home_grid_id": group["id"]})
    plan = create("/v1/assignment-plans", {"scope_grid_id": town["id"]})
    assert plan["feasible"], plan["violations"]
    create(f"/v1/assignment-plans/{plan['id']}/approve", {})
    create(f"/v1/assignment-plans/{plan['id']}/publish", {})

    def routing_knows():
        probe = api.post(stack.url("intake") + "/v1/cases",
                         json=case_body(group["id"], content=f"探测代表派驻{uuid.uuid4().hex[:6]}"))
        if probe.status_code != 201:
            return False  # intake has not learnt the grid yet
        found = api.get(stack.url("routing") + f"/v1/cases/{probe.json()['id']}")
        return found.status_code == 200 and found.json().get("first_receiver_deputy_id") == deputy["id"]

    eventually(routing_knows, 120, "intake and routing learn the grid and its deputy from roster.v1")
    return group["id"]
