"""Issue 17, item 13: changes of templates, recipients (mailboxes) and webhook subscriptions are events
(notify_settings.changed) with their actor, which reporting's audit log keeps; never a secret, a mailbox masked."""
from notifyfakes import configure


def changes(svc, kind):
    return [e for e in svc.outbox() if e.type == "notify_settings.changed" and e.data["kind"] == kind]


def test_template_versions_are_events_with_actor_and_reason(svc):
    body = "您反映的问题已受理，编号{{ tracking_code }}。"
    saved = svc.client.put("/v1/templates/case.registered/reporter", headers=svc.headers(),
                           json={"body": body, "reason": "统一受理短信用语"})
    assert saved.status_code == 201, saved.json
    refused = svc.client.put("/v1/templates/case.registered/reporter", headers=svc.headers(),
                             json={"body": "{{ phone }}", "reason": "x"})
    assert refused.status_code == 422
    (event,) = changes(svc, "template")
    assert event.actor == "apikey:all" and event.subject == "template:case.registered/reporter"
    assert (event.data["action"], event.data["version"], event.data["values"], event.data["reason"]) == (
        "updated", 1, {"body": body}, "统一受理短信用语")


def test_recipients_are_events_with_the_address_masked(svc):
    made = svc.client.post("/v1/recipients", headers=svc.headers(), json={
        "audience": "department", "department_code": "town-construction", "name": "村镇建设办",
        "email": "jsb@town.example.cn"}).json
    assert svc.client.patch(f"/v1/recipients/{made['id']}", headers=svc.headers(),
                            json={"active": False}).status_code == 200
    created, updated = changes(svc, "recipient")
    assert (created.data["action"], updated.data["action"]) == ("created", "updated")
    assert created.data["item"] == made["id"] and updated.data["values"]["active"] is False
    assert "jsb@town.example.cn" not in created.to_json() and created.data["values"]["email"]
    assert created.actor == updated.actor == "apikey:all"


def test_webhook_subscriptions_are_events_without_their_secret(svc):
    configure(svc, extra={**svc.runtime.settings.extra, "WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"})
    made = svc.client.post("/v1/webhooks", headers=svc.headers(), json={
        "name": "综治中心", "url": "http://127.0.0.1:9/hook", "event_types": ["case.*"],
        "secret": "s3cret-shared-with-the-receiver"})
    assert made.status_code == 201, made.json
    assert svc.client.patch(f"/v1/webhooks/{made.json['id']}", headers=svc.headers(),
                            json={"status": "disabled"}).status_code == 200
    created, updated = changes(svc, "webhook")
    assert created.data["values"] == {"name": "综治中心", "url": "http://127.0.0.1:9/hook", "event_types": ["case.*"],
                                      "status": "active"}
    assert updated.data["values"]["status"] == "disabled"
    assert all("s3cret" not in e.to_json() for e in (created, updated))
