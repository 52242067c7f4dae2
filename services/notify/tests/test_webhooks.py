"""Webhooks for integrators: subscriptions per event type, HMAC-SHA256 signature, backoff, gave_up, disabled."""
from datetime import timedelta

from notifyfakes import DAYTIME, Receiver, registered, triaged
from wangge_common.testing import live_server

SECRET = "s3cret-for-the-receiver-0123456789"


def subscribe(svc, url, event_types=("case.registered",), **extra):
    answer = svc.client.post("/v1/webhooks", json={"name": "综治中心", "url": url, "event_types": list(event_types),
                                                   "secret": SECRET, **extra}, headers=svc.headers())
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_subscribed_event_arrives_signed_once(world):
    svc, receiver = world.svc, Receiver(SECRET)
    with live_server(receiver.app) as url:
        hook = subscribe(svc, url + "/hook", event_types=("case.*",))
        assert hook["secret"] == SECRET and hook["status"] == "active"
        case = registered()
        sent_on = triaged(case)
        for _ in range(2):
            svc.deliver(case, "cases.v1")
            svc.deliver(sent_on, "cases.v1")
        world.send()
        world.send()
    assert receiver.bad_signatures == 0
    assert sorted(event_type for _, event_type, _ in receiver.received) == ["case.registered", "case.triaged"]
    delivered = {body["id"] for _, _, body in receiver.received}
    assert case.id in delivered
    assert {d["state"] for d in world.deliveries(channel="webhook")} == {"sent"}
    listed = svc.client.get("/v1/webhooks", headers=svc.headers()).json
    assert "secret" not in listed[0] and listed[0]["consecutive_failures"] == 0


def test_only_the_subscribed_types_go_out(world):
    svc, receiver = world.svc, Receiver(SECRET)
    with live_server(receiver.app) as url:
        subscribe(svc, url + "/hook", event_types=("case.triaged",))
        case = registered()
        svc.deliver(case, "cases.v1")
        svc.deliver(triaged(case), "cases.v1")
        world.send()
    assert [event_type for _, event_type, _ in receiver.received] == ["case.triaged"]


def test_a_wrong_secret_is_seen_by_the_receiver(world):
    svc, receiver = world.svc, Receiver("another-secret-entirely-0000")
    with live_server(receiver.app) as url:
        subscribe(svc, url + "/hook")
        svc.deliver(registered(), "cases.v1")
        world.send()
    assert receiver.bad_signatures == 1 and receiver.received == []
    (delivery,) = world.deliveries(channel="webhook")
    assert delivery["state"] == "failed" and "401" in delivery["last_error"]


def test_a_failing_webhook_is_retried_with_backoff_then_given_up(world):
    svc, receiver = world.svc, Receiver(SECRET)
    receiver.status = 503
    with live_server(receiver.app) as url:
        subscribe(svc, url + "/hook")
        svc.deliver(registered(), "cases.v1")
        moments = [DAYTIME, DAYTIME + timedelta(seconds=10), DAYTIME + timedelta(seconds=30)]
        for moment in moments:
            world.send(moment)
            world.send(moment)  # not due again until its backoff has passed
    (delivery,) = world.deliveries(channel="webhook")
    assert delivery["state"] == "gave_up" and delivery["attempts"] == 3 and "503" in delivery["last_error"]
    failed = [e for e in world.events("notification.failed") if e.data["channel"] == "webhook"]
    assert [e.data["attempts"] for e in failed] == [1, 2]
    assert [e.data["next_attempt_at"] for e in failed] == [
        (DAYTIME + timedelta(seconds=s)).isoformat().replace("+00:00", "Z") for s in (10, 30)]
    (gave_up,) = [e for e in world.events("notification.gave_up") if e.data["channel"] == "webhook"]
    assert gave_up.data["audience"] == "integrator"


def test_repeated_failures_disable_the_subscription_until_re_enabled(world):
    svc, receiver = world.svc, Receiver(SECRET)
    receiver.status = 500
    with live_server(receiver.app) as url:
        hook = subscribe(svc, url + "/hook")
        for _ in range(5):
            svc.deliver(registered(), "cases.v1")
        world.send()
        shown = svc.client.get(f"/v1/webhooks/{hook['id']}", headers=svc.headers()).json
        assert shown["status"] == "disabled" and "5 failed deliveries in a row" in shown["disabled_reason"]
        svc.deliver(registered(), "cases.v1")  # a disabled subscription gets no new deliveries
        assert len(world.deliveries(channel="webhook")) == 5
        world.send(DAYTIME + timedelta(seconds=11))  # retries of the earlier ones give up: nobody listens
        assert {d["state"] for d in world.deliveries(channel="webhook")} == {"gave_up"}
        receiver.status = 200
        again = svc.client.patch(f"/v1/webhooks/{hook['id']}", json={"status": "active"}, headers=svc.headers())
        assert again.status_code == 200 and again.json["status"] == "active" and again.json["disabled_reason"] is None
        svc.deliver(registered(), "cases.v1")
        world.send(DAYTIME + timedelta(seconds=12))
    assert len(receiver.received) == 1


def test_subscriptions_are_validated_and_admin_only(world):
    svc = world.svc
    bad = svc.client.post("/v1/webhooks", json={"name": "x", "url": "ftp://nowhere", "event_types": ["case.lost"]},
                          headers=svc.headers())
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {e["field"] for e in bad.json["errors"]} == {"url", "event_types"}
    assert svc.client.get("/v1/webhooks", headers=svc.headers("reader")).status_code == 403
    generated = svc.client.post("/v1/webhooks", json={"name": "x", "url": "http://127.0.0.1:9/h",
                                                      "event_types": ["*"]}, headers=svc.headers())
    assert generated.status_code == 201 and len(generated.json["secret"]) >= 32


def _documented_receiver(secret: str):
    """The receiver docs/integrators.md shows integrators, run as written (with this test's secret)."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "integrators.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    namespace: dict = {"__name__": "__main__"}  # as when the integrator runs it as a script
    exec(compile(code.replace("the subscription's secret", secret), "docs/integrators.md", "exec"), namespace)
    return namespace


def test_the_documented_receiver_verifies_real_deliveries_and_refuses_a_tampered_one(world):
    import requests

    receiver = _documented_receiver(SECRET)
    with live_server(receiver["app"]) as url:
        subscribe(world.svc, url + "/wangge-events", event_types=("case.*",))
        case = registered()
        world.svc.deliver(case, "cases.v1")
        world.send()
        assert {d["state"] for d in world.deliveries(channel="webhook")} == {"sent"}
        assert case.id in receiver["seen"]
        body = b'{"id": "forged", "type": "case.closed"}'
        forged = requests.post(url + "/wangge-events", data=body, timeout=5,
                               headers={"X-Wangge-Signature": "sha256=" + "0" * 64})
        assert forged.status_code == 401 and "forged" not in receiver["seen"]
