"""Fakes and fixtures for notify tests: a fake SMS gateway, a local SMTP server (aiosmtpd), a webhook receiver,
and fake intake/roster/routing; a migrated notify service per test (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
import copy
import dataclasses
import email
import email.policy
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, jsonify, request

from wangge_common import clock, contracts
from wangge_common.testing import free_port
from wangge_common.testing import ServiceHarness, event, live_server
from notify import domain
from notify.app import create_app
from notify.fakegateway import create_gateway
from notify.jobs import send_due
from notify.service import SPEC

# 10:00 in Beijing tomorrow: outside quiet hours, and after every delivery a test creates (they are due at once,
# by the wall clock), so the sender run at DAYTIME finds them due whatever day the tests run.
_TOMORROW = datetime.now(clock.CHINA).date() + timedelta(days=1)
DAYTIME = datetime(_TOMORROW.year, _TOMORROW.month, _TOMORROW.day, 10, 0, tzinfo=clock.CHINA).astimezone(timezone.utc)
# intake mints a reporter_ref per case: rp_abc2 is the same resident as rp_abc, reporting another matter
PHONES = {"rp_abc": "13812345678", "rp_abc2": "+86 138 1234 5678", "rp_other": "13700000000", "rp_nophone": None}
D1, D2 = "d0000000-0000-4000-8000-000000000001", "d0000000-0000-4000-8000-000000000002"
G1 = "a0000000-0000-4000-8000-000000000001"
DEPUTY_PHONES = {D1: "13900000001", D2: "13900000002"}


@pytest.fixture
def svc(tmp_path):
    harness = ServiceHarness(SPEC, create_app, tmp_path)
    yield harness
    harness.close()


class Mailbox:
    """aiosmtpd handler keeping every message it was given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


def contacts_app() -> Flask:
    """intake's and roster's contact endpoints, as notify calls them."""
    app = Flask("fake_contacts")
    app.config["calls"] = []

    @app.get("/v1/internal/reporters/<ref>/contact")
    def reporter(ref):
        app.config["calls"].append((ref, request.headers.get("Authorization")))
        if ref not in PHONES:
            return jsonify(title="Not Found"), 404
        return jsonify(name="李*梅", phone=PHONES[ref], email=None)

    @app.get("/v1/internal/deputies/<deputy_id>/contact")
    def deputy(deputy_id):
        if deputy_id not in DEPUTY_PHONES:
            return jsonify(title="Not Found"), 404
        return jsonify(name="王代表", phone=DEPUTY_PHONES[deputy_id], email=None)

    return app


class Receiver:
    """A webhook endpoint that checks the signature and answers with `status` (settable)."""

    def __init__(self, secret: str):
        self.secret, self.status, self.received, self.bad_signatures = secret, 200, [], 0
        self.lock = threading.Lock()
        self.app = Flask("webhook_receiver")
        self.app.add_url_rule("/hook", "hook", self.hook, methods=["POST"])

    def hook(self):
        body = request.get_data()
        with self.lock:
            if not domain.verify(self.secret, body, request.headers.get("X-Wangge-Signature")):
                self.bad_signatures += 1
                return "bad signature", 401
            if self.status >= 300:
                return "down", self.status
            self.received.append((request.headers["X-Wangge-Delivery"], request.headers["X-Wangge-Event"],
                                  request.get_json(force=True)))
        return "", 204


def configure(svc, **changes):
    """Other settings for the running service, as a restart with another environment would give them: its typed
    state (runtime.state) is built again from them."""
    svc.runtime.settings = dataclasses.replace(svc.runtime.settings, **changes)
    svc.runtime.state = SPEC.state(svc.runtime)


@pytest.fixture
def world(svc, smtp):
    """notify wired to the fakes: settings point at them, as the environment would in production."""
    gateway, contacts = create_gateway(token="sms-token"), contacts_app()
    controller, mailbox = smtp
    with live_server(gateway) as gateway_url, live_server(contacts) as contacts_url:
        extra = {"WANGGE_NOTIFY_SMS_URL": gateway_url + "/sms", "WANGGE_NOTIFY_SMS_TOKEN": "sms-token",
                 "WANGGE_NOTIFY_SMTP_HOST": "127.0.0.1", "WANGGE_NOTIFY_SMTP_PORT": str(controller.port),
                 "WANGGE_NOTIFY_SMTP_FROM": "notify@wangge.test", "WANGGE_NOTIFY_RETRY_BASE_S": "10",
                 "WANGGE_NOTIFY_MAX_ATTEMPTS": "3", "WANGGE_NOTIFY_WEBHOOK_DISABLE_AFTER": "5",
                 "WANGGE_NOTIFY_PUBLIC_URL": "https://wangge.example.cn",
                 # the webhook receivers of these tests listen on loopback, refused unless allowed
                 "WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
        urls = {**svc.settings.service_urls, "intake": contacts_url, "roster": contacts_url}
        svc.runtime.settings = svc.settings
        configure(svc, extra=extra, service_urls=urls, service_key="wg_service_key")
        yield World(svc, gateway.config["gateway_state"], mailbox, contacts)


@dataclasses.dataclass
class World:
    svc: ServiceHarness
    gateway: dict
    mailbox: Mailbox
    contacts: Flask

    def send(self, now=DAYTIME) -> int:
        return send_due(self.svc.runtime, now)

    def sms(self) -> list[dict]:
        return self.gateway["messages"]

    def deliveries(self, **query) -> list[dict]:
        answer = self.svc.client.get("/v1/deliveries", query_string={"page_size": 1000, **query},
                                     headers=self.svc.headers())
        assert answer.status_code == 200, answer.json
        return answer.json["items"]

    def events(self, event_type: str) -> list:
        return [e for e in self.svc.outbox() if e.type == event_type]


# --- events per the contracts --------------------------------------------------------------------------------------
REGISTERED = contracts.contract("case.registered", 1).schema["examples"][0]


def registered(reporter_ref="rp_abc", *, grid_id=G1, urgency="normal", received_by=None):
    data = copy.deepcopy(REGISTERED)
    data.update(case_id=str(uuid.uuid4()), reporter_ref=reporter_ref, tracking_code="WG7K3M9Q2P", grid_id=grid_id,
                urgency=urgency, received_by=received_by or {"kind": "deputy", "id": D1})
    return event("case.registered", data["case_id"], data, source="/wangge/intake")


def case_event(case, event_type, **data):
    """A later case event (routing's) with the fields every case.* event carries."""
    body = {"case_id": case.subject, "reason": "test", **data}
    if event_type.startswith("case.") and event_type != "case.triaged":
        body.setdefault("state", "assigned")
        body.setdefault("previous_state", "triaged")
    if event_type.startswith("work_order."):
        body.setdefault("state", "dispatched")
        body.setdefault("previous_state", None)
        body.setdefault("department", {"code": "town-construction", "name": "镇村镇建设办"})
        body.setdefault("work_order_id", str(uuid.uuid4()))
    made = event(event_type, case.subject, body, source="/wangge/routing")
    contracts.validate(made)
    return made


def triaged(case, department=("town-construction", "镇村镇建设办")):
    return case_event(case, "case.triaged", path="town" if department else "manual",
                      department={"code": department[0], "name": department[1]} if department else None,
                      work_order_id=str(uuid.uuid4()) if department else None, rule_id=1 if department else None)
