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

from wangge_common.testing import free_port

from stackhelpers import (case_body, eventually, publish_group_grid, running_stack,
                          wait_until_routing_serves)


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
                "WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                # every test browser signs in from 127.0.0.1: the session's desks sign in far more than ten people
                # a minute (the limit itself is tested in services/portal/tests/test_signin.py)
                "WANGGE_PORTAL_SIGNIN_LIMIT": "1000 per minute"}}
    finally:
        smtp.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, notify_outside):
    with running_stack(tmp_path_factory.mktemp("stack"), extra_env=notify_outside["env"]) as running:
        yield running


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
    made = publish_group_grid(stack, api, code=f"SG-{uuid.uuid4().hex[:6]}", names=("首问乡", "首问村", "首问村第一组"),
                              deputy={"name": "周建华"})
    wait_until_routing_serves(stack, api, made["group"]["id"], made["deputy"]["id"])
    return made["group"]["id"]
