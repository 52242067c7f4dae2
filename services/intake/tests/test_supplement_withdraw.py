"""Supplementing (补充材料) and withdrawing (撤回) a case, as events with an actor and a reason."""
from intake_testkit import case_body, lifecycle, new_id


def register(svc):
    response = svc.client.post("/v1/cases", json=case_body(), headers=svc.headers())
    assert response.status_code == 201
    return response.json


def test_a_supplement_adds_to_the_case_and_is_announced(gsvc):
    case = register(gsvc)
    response = gsvc.client.post(f"/v1/cases/{case['id']}/supplements", headers=gsvc.headers(), json={
        "reason": "reporter added a photo", "content_added": "路灯已坏两周，附照片。",
        "attachments": [{"name": "lamp.jpg", "media_type": "image/jpeg", "size": 120311}]})
    assert response.status_code == 201, response.json
    supplemented = gsvc.outbox()[-1]
    assert supplemented.type == "case.supplemented" and supplemented.actor == "apikey:all"
    assert supplemented.data["state"] == "registered" and supplemented.data["attachments"][0]["size"] == 120311
    read = gsvc.client.get(f"/v1/cases/{case['id']}", headers=gsvc.headers("reader")).json
    assert read["attachments"][-1]["name"] == "lamp.jpg"
    history = gsvc.client.get(f"/v1/cases/{case['id']}/history", headers=gsvc.headers("reader")).json
    assert [h["event_type"] for h in history] == ["case.registered", "case.supplemented"]


def test_an_empty_supplement_is_refused(gsvc):
    case = register(gsvc)
    response = gsvc.client.post(f"/v1/cases/{case['id']}/supplements", headers=gsvc.headers(), json={"reason": "x"})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "content_added"


def test_a_withdrawn_case_cannot_be_withdrawn_or_supplemented_again(gsvc):
    case = register(gsvc)
    path = f"/v1/cases/{case['id']}/withdrawal"
    response = gsvc.client.post(path, headers=gsvc.headers(), json={"reason": "邻里已协商解决", "requested_by": "reporter"})
    assert response.status_code == 200 and response.json["status"] == "withdrawn"
    withdrawn = gsvc.outbox()[-1]
    assert withdrawn.type == "case.withdrawn" and withdrawn.data["requested_by"] == "reporter"
    again = gsvc.client.post(path, headers=gsvc.headers(), json={"reason": "again", "requested_by": "reporter"})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    more = gsvc.client.post(f"/v1/cases/{case['id']}/supplements", headers=gsvc.headers(),
                            json={"reason": "x", "content_added": "更多信息"})
    assert more.status_code == 409


def test_a_closed_case_cannot_be_withdrawn(gsvc):
    case = register(gsvc)
    assert gsvc.deliver(lifecycle(case["id"], "case.closed"), "cases.v1") == "processed"
    response = gsvc.client.post(f"/v1/cases/{case['id']}/withdrawal", headers=gsvc.headers(),
                                json={"reason": "x", "requested_by": "reporter"})
    assert response.status_code == 409


def test_unknown_cases_and_bad_requests(gsvc):
    missing = gsvc.client.post(f"/v1/cases/{new_id()}/withdrawal", headers=gsvc.headers(),
                               json={"reason": "x", "requested_by": "reporter"})
    assert missing.status_code == 404
    case = register(gsvc)
    bad = gsvc.client.post(f"/v1/cases/{case['id']}/withdrawal", headers=gsvc.headers(),
                           json={"reason": "x", "requested_by": "mayor"})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "requested_by"
    reader = gsvc.client.post(f"/v1/cases/{case['id']}/withdrawal", headers=gsvc.headers("reader"),
                              json={"reason": "x", "requested_by": "reporter"})
    assert reader.status_code == 403
