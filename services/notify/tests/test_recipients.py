"""Mailboxes of departments and township congress staff, managed through the API."""
from notifyfakes import case_event, registered


def test_mailboxes_are_validated_listed_and_deactivated(world):
    svc = world.svc
    missing = svc.client.post("/v1/recipients", json={"audience": "department", "name": "村镇建设办",
                                                      "email": "jsb@town.example.cn"}, headers=svc.headers())
    assert missing.status_code == 422 and missing.json["errors"] == [
        {"field": "department_code", "reason": "required for a department's mailbox"}]
    bad = svc.client.post("/v1/recipients", json={"audience": "mayor", "name": "", "email": "not-mail"},
                          headers=svc.headers())
    assert bad.status_code == 422 and {e["field"] for e in bad.json["errors"]} == {"audience", "name", "email"}
    created = svc.client.post("/v1/recipients", json={"audience": "department", "department_code": "town-construction",
                                                      "name": "村镇建设办", "email": "jsb@town.example.cn"},
                              headers=svc.headers())
    assert created.status_code == 201
    assert svc.client.get("/v1/recipients?audience=department", headers=svc.headers()).json["total"] == 1
    assert svc.client.post("/v1/recipients", json={}, headers=svc.headers("reader")).status_code == 403

    off = svc.client.patch(f"/v1/recipients/{created.json['id']}", json={"active": False}, headers=svc.headers())
    assert off.status_code == 200 and off.json["active"] is False
    case = registered()
    svc.deliver(case, "cases.v1")
    svc.deliver(case_event(case, "work_order.dispatched", role="sole", deadline_rule=None), "cases.v1")
    assert world.deliveries(channel="email") == []  # an inactive mailbox gets nothing
    assert [d["recipient_ref"] for d in world.deliveries(audience="department")] == ["dept:town-construction"]
