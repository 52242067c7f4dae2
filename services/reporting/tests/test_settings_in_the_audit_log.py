"""Issue 17, item 13: the audit log keeps routing's and notify's rule and settings changes with their actor, hashed
into the chain like every other event, and they move no KPI."""
from wangge_common import contracts
from wangge_common.testing import event


def _example(event_type):
    return contracts.contract(event_type, 1).schema["examples"][0]


def test_rule_and_settings_changes_are_logged_with_their_actor(svc):
    before = svc.client.get("/v1/kpis", headers=svc.headers()).json
    changed = event("catalogue.changed", "dispatch_rule:3", _example("catalogue.changed"), source="/wangge/routing",
                    actor="user:staff-li")
    settings = event("notify_settings.changed", "template:case.registered/reporter",
                     _example("notify_settings.changed"), source="/wangge/notify", actor="apikey:ops")
    assert svc.deliver(changed, "cases.v1") == "processed"
    assert svc.deliver(settings, "notify.v1") == "processed"
    for event_type, actor in (("catalogue.changed", "user:staff-li"), ("notify_settings.changed", "apikey:ops")):
        (entry,) = svc.client.get(f"/v1/audit/events?type={event_type}", headers=svc.headers()).json["items"]
        assert entry["event"]["actor"] == actor and entry["event"]["data"]["reason"]
    assert svc.client.get("/v1/audit/verify", headers=svc.headers()).json["valid"] is True
    assert svc.client.get("/v1/kpis", headers=svc.headers()).json == before
