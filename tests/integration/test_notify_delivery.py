"""Notify on the real stack: a case's life reaches the right audiences on the right channels (fake SMS gateway,
local SMTP, a signed webhook), once each, also when notify's consumer and sender are killed mid-batch."""
from __future__ import annotations

import copy
import threading
import time
import uuid
from datetime import datetime, timedelta

from flask import Flask, request
from kafka import KafkaProducer

from notify import domain
from wangge_common import contracts
from wangge_common.testing import event, live_server

from stackhelpers import case_body, eventually

SECRET = "integration-webhook-secret-0001"


class Receiver:
    """An integrator's endpoint: checks the signature, keeps one copy per X-Wangge-Delivery (its idempotency key)."""

    def __init__(self):
        self.lock, self.by_delivery, self.requests, self.bad = threading.Lock(), {}, 0, 0
        self.app = Flask("it_webhook_receiver")
        self.app.add_url_rule("/hook", "hook", self.hook, methods=["POST"])

    def hook(self):
        body = request.get_data()
        with self.lock:
            self.requests += 1
            if not domain.verify(SECRET, body, request.headers.get("X-Wangge-Signature")):
                self.bad += 1
                return "bad signature", 401
            self.by_delivery.setdefault(request.headers["X-Wangge-Delivery"], request.get_json(force=True))
        return "", 204

    def events(self) -> list[dict]:
        with self.lock:
            return list(self.by_delivery.values())


def publish(stack, events) -> None:
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap)
    try:
        for item in events:
            contracts.validate(item)
            producer.send(contracts.contract(item.type, 1).topic, key=item.subject.encode(), value=item.to_json().encode())
        producer.flush(10)
    finally:
        producer.close()


def routing_event(case_id, event_type, **data):
    body = {"case_id": case_id, "reason": "integration test", **data}
    if event_type.startswith("case."):
        body.setdefault("state", "in_progress")
        body.setdefault("previous_state", "signed")
    else:
        body.update(state="dispatched", previous_state=None)
    return event(event_type, case_id, body, source="/wangge/routing")


def deliveries(stack, api, **query) -> list[dict]:
    answer = api.get(stack.url("notify") + "/v1/deliveries", params={"page_size": 1000, **query})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_a_case_life_reaches_every_audience_once(stack, api, grid, notify_outside):
    notify = stack.url("notify")
    code = f"it-{uuid.uuid4().hex[:6]}"
    department = {"code": code, "name": "集成测试办"}
    dept_mail = f"{code}@town.example.cn"
    assert api.post(notify + "/v1/recipients", json={"audience": "department", "department_code": code,
                                                     "name": "集成测试办", "email": dept_mail}).status_code == 201
    assert api.post(notify + "/v1/recipients", json={"audience": "congress_staff", "name": "镇人大办",
                                                     "email": f"staff-{code}@town.example.cn"}).status_code == 201
    receiver = Receiver()
    with live_server(receiver.app) as hook_url:
        hook = api.post(notify + "/v1/webhooks", json={"name": "综治中心", "url": hook_url + "/hook",
                                                       "event_types": ["case.*", "work_order.*"], "secret": SECRET})
        assert hook.status_code == 201, hook.text
        try:
            body = case_body(grid)
            case_id = api.post(stack.url("intake") + "/v1/cases", json=body).json()["id"]
            eventually(lambda: len(deliveries(stack, api, case_id=case_id, channel="inbox")) >= 2, 15,
                       "notify tells the reporter of receipt and triage")
            work_order = str(uuid.uuid4())
            publish(stack, [
                routing_event(case_id, "work_order.dispatched", work_order_id=work_order, department=department,
                              role="sole", deadline_rule=None),
                routing_event(case_id, "case.answered", on_the_spot=False, department=department,
                              summary="已完成路灯维修。", on_time=True),
                # 谁接待、谁答复: the resident hears the answer with the first receiver's reply
                routing_event(case_id, "case.replied", state="resolved", previous_state="answered",
                              deputy_id=str(uuid.uuid4()), channel="phone", on_time=True),
                routing_event(case_id, "case.escalated", step="supervision", trigger="overdue",
                              work_order_id=work_order, department=department, target="集成测试办"),
            ])

            def settled():
                found = deliveries(stack, api, case_id=case_id)
                done = [d for d in found if d["state"] in ("sent", "gave_up")]
                types = {d["event_type"] for d in found}
                return found if len(done) == len(found) and "case.escalated" in types and len(found) >= 14 else None

            found = eventually(settled, 90, "every delivery of the case is sent or given up")
            eventually(lambda: len([e for e in receiver.events() if e["subject"] == case_id]) >= 5, 30,
                       "the integrator receives the case's five events")
        finally:  # a later test's webhook must be the only one subscribed
            api.patch(f"{notify}/v1/webhooks/{hook.json()['id']}", json={"status": "disabled"})

    keys = [(d["cause_event_id"], d["recipient_ref"], d["channel"]) for d in found]
    assert len(keys) == len(set(keys))
    channels = {(d["event_type"], d["audience"], d["channel"]) for d in found}
    assert {("case.registered", "reporter", "inbox"), ("case.registered", "reporter", "sms"),
            ("case.triaged", "reporter", "inbox"), ("work_order.dispatched", "department", "email"),
            ("case.replied", "reporter", "sms"), ("case.escalated", "congress_staff", "email"),
            ("case.registered", "integrator", "webhook")} <= channels
    assert {d["state"] for d in found if d["channel"] in ("email", "webhook", "inbox")} == {"sent"}
    # SMS: the reporter's phone is fetched from intake at send time (the events carry only reporter_ref)
    sms = [d for d in found if d["channel"] == "sms"]
    assert {(d["event_type"], d["audience"], d["state"]) for d in sms} >= {
        ("case.registered", "reporter", "sent"), ("case.replied", "reporter", "sent")}
    for delivery in sms:
        assert delivery["state"] == "sent", delivery
        (message,) = [m for m in notify_outside["sms"]["messages"] if m["idempotency_key"] == delivery["id"]]
        assert message["to"] == body["reporter"]["phone"] and message["text"] == delivery["body"]
    mails = [m for m in notify_outside["mailbox"].messages if m["To"] == dept_mail]
    assert sorted(m["Subject"] for m in mails) == ["【网格通知】新工单", "【网格通知】督办通知"]
    assert receiver.bad == 0
    mine = [e for e in receiver.events() if e["subject"] == case_id]
    # Routing runs in the stack too, so its own events for the case (case.assigned, ...) reach the integrator as
    # well; each event id arrives once (by_delivery keeps one copy per delivery, and ids are unique).
    assert len({e["id"] for e in mine}) == len(mine)
    assert {"case.answered", "case.escalated", "case.registered", "case.triaged",
            "work_order.dispatched"} <= {e["type"] for e in mine}


def test_killing_notify_mid_batch_neither_loses_nor_doubles_a_message(stack, api, grid):
    receiver = Receiver()
    example = contracts.contract("case.registered", 1).schema["examples"][0]
    cases = []
    for n in range(40):
        data = copy.deepcopy(example)
        data.update(case_id=str(uuid.uuid4()), grid_id=grid, reporter_ref=f"rp_it_kill_{n}",
                    tracking_code=f"WGK{n:07d}", received_by={"kind": "call_taker", "id": "ct-it"})
        cases.append(event("case.registered", data["case_id"], data, source="/wangge/intake"))
    with live_server(receiver.app) as hook_url:
        answer = api.post(stack.url("notify") + "/v1/webhooks", json={
            "name": "kill test", "url": hook_url + "/hook", "event_types": ["case.registered"], "secret": SECRET})
        assert answer.status_code == 201
        try:
            time.sleep(1)
            publish(stack, cases)
            time.sleep(0.3)
            for name in ("notify-consumer", "notify-scheduler"):
                stack.processes[name].kill()  # SIGKILL: no clean shutdown, no commit of the batch in hand
            # nobody starts them again here: the stack's supervision does, as in `make run`
            wanted = {c.id for c in cases}

            def all_received():
                got = [e["id"] for e in receiver.events() if e["id"] in wanted]
                return got if len(set(got)) == len(wanted) else None

            got = eventually(all_received, 60, "the integrator receives every case after the restart")
        finally:
            api.patch(f"{stack.url('notify')}/v1/webhooks/{answer.json()['id']}", json={"status": "disabled"})
    assert len(got) == len(set(got)), "one delivery id per event: a resend reuses the idempotency key"
    for case in cases:
        inbox = deliveries(stack, api, cause_event_id=case.id, channel="inbox")
        assert len(inbox) == 1 and inbox[0]["recipient_ref"] == case.data["reporter_ref"]
        assert len(deliveries(stack, api, cause_event_id=case.id, channel="webhook")) == 1
        assert len(deliveries(stack, api, cause_event_id=case.id, channel="sms")) == 1


class Failing:
    """An integrator's endpoint that is down (503) but checks every signature it is sent."""

    def __init__(self):
        self.lock, self.attempts, self.bad = threading.Lock(), {}, 0
        self.app = Flask("it_failing_receiver")
        self.app.add_url_rule("/hook", "hook", self.hook, methods=["POST"])

    def hook(self):
        with self.lock:
            if not domain.verify(SECRET, request.get_data(), request.headers.get("X-Wangge-Signature")):
                self.bad += 1
            delivery = request.headers["X-Wangge-Delivery"]
            self.attempts[delivery] = self.attempts.get(delivery, 0) + 1
        return "unavailable", 503


def test_a_failing_webhook_is_retried_with_backoff_then_given_up(stack, api, grid):
    notify, reporting = stack.url("notify"), stack.url("reporting")
    receiver = Failing()
    with live_server(receiver.app) as hook_url:
        hook = api.post(notify + "/v1/webhooks", json={"name": "down", "url": hook_url + "/hook",
                                                       "event_types": ["case.registered"], "secret": SECRET})
        assert hook.status_code == 201, hook.text
        try:
            case_id = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid)).json()["id"]

            def given_up():
                found = [d for d in deliveries(stack, api, case_id=case_id, channel="webhook")
                         if d["recipient_ref"] == f"webhook:{hook.json()['id']}"]
                return found if found and found[0]["state"] == "gave_up" else None

            (delivery,) = eventually(given_up, 60, "the webhook delivery is retried, then given up")
        finally:
            api.patch(f"{notify}/v1/webhooks/{hook.json()['id']}", json={"status": "disabled"})
    # MAX_ATTEMPTS=3 and RETRY_BASE_S=1 in this stack: three signed attempts, 1 s then 2 s apart at least
    assert delivery["attempts"] == 3 and "503" in delivery["last_error"]
    assert receiver.attempts[delivery["id"]] == 3 and receiver.bad == 0
    assert datetime.fromisoformat(delivery["updated_at"]) - datetime.fromisoformat(delivery["created_at"]) >= \
        timedelta(seconds=3)
    shown = api.get(f"{notify}/v1/webhooks/{hook.json()['id']}").json()
    assert shown["consecutive_failures"] >= 3

    def audited():  # the audit trail has each failed attempt and the giving up, from notify.v1
        entries = api.get(reporting + "/v1/audit/events", params={"subject": delivery["id"]}).json()["items"]
        types = [e["event_type"] for e in entries]
        return types if types == ["notification.failed", "notification.failed", "notification.gave_up"] else None

    eventually(audited, 30, "reporting's audit log records notification.failed twice, then notification.gave_up")
