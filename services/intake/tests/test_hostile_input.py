"""Issue 13.2 on intake: lone surrogates and runaway JSON are refused with the field named, nothing half-written."""
import json

from intake_testkit import case_body


def test_a_lone_surrogate_in_a_case_is_a_422_naming_content_and_nothing_is_registered(gsvc):
    body = json.dumps(case_body(content="路灯坏了\ud800三天了啊")).encode()  # json.dumps escapes it as \ud800
    response = gsvc.client.post("/v1/cases", data=body, headers=gsvc.headers(**{
        "Content-Type": "application/json", "Idempotency-Key": "surrogate-1"}))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == ["content"]
    assert gsvc.outbox() == []


def test_a_body_nested_a_thousand_levels_is_a_400(gsvc):
    body = b'{"content": ' + b"[" * 1200 + b"]" * 1200 + b"}"
    response = gsvc.client.post("/v1/cases", data=body, headers=gsvc.headers(**{
        "Content-Type": "application/json", "Idempotency-Key": "deep-1"}))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_list_pages_are_bounded(gsvc):
    for path in ("/v1/cases", "/v1/households", "/v1/visits", "/v1/reception-sessions"):
        response = gsvc.client.get(f"{path}?page=4611686018427387904", headers=gsvc.headers())
        assert response.status_code == 422, path
        assert response.json["errors"][0]["field"] == "page"
        assert gsvc.client.get(f"{path}?page_size=1001", headers=gsvc.headers()).status_code == 422
        assert set(gsvc.client.get(path, headers=gsvc.headers()).json) == {"items", "page", "page_size", "total"}


def test_open311_errors_stay_a_georeport_list(gsvc):
    response = gsvc.client.post("/open311/v2/requests.json", data=b"[" * 2000, headers=gsvc.headers(**{
        "Content-Type": "application/json", "Idempotency-Key": "o311-deep"}))
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert isinstance(response.json, list) and {"code", "description"} <= set(response.json[0])


def test_received_at_in_year_one_is_refused(gsvc):
    response = gsvc.client.post("/v1/cases", json=case_body(received_at="0001-01-01T00:00:00+00:00"),
                                headers=gsvc.headers(**{"Idempotency-Key": "year-one"}))
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["received_at"]
    ok = gsvc.client.post("/v1/cases", json=case_body(received_at="2026-11-30T08:00:00+08:00"), headers=gsvc.headers())
    assert ok.status_code == 201, ok.json


def test_an_empty_idempotency_key_is_invalid_by_the_document_too(gsvc):
    doc = gsvc.client.get("/openapi.json").json
    header = next(p for p in doc["paths"]["/v1/cases"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    assert header["schema"]["minLength"] == 1
    response = gsvc.client.post("/v1/cases", json=case_body(), headers=gsvc.headers(**{"Idempotency-Key": ""}))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "Idempotency-Key"


def test_a_case_command_with_a_stale_if_match_is_412(gsvc):
    case = gsvc.client.post("/v1/cases", json=case_body(), headers=gsvc.headers()).json
    read = gsvc.client.get(f"/v1/cases/{case['id']}", headers=gsvc.headers())
    tag = read.headers["ETag"]
    assert gsvc.client.get(f"/v1/cases/{case['id']}", headers=gsvc.headers(**{"If-None-Match": tag})).status_code \
        == 304
    supplement = {"reason": "补充照片", "content_added": "路灯已坏两周。"}
    added = gsvc.client.post(f"/v1/cases/{case['id']}/supplements", json=supplement,
                             headers=gsvc.headers(**{"If-Match": tag}))
    assert added.status_code == 201, added.json  # the case itself (its ETag) is unchanged by a supplement
    withdrawn = gsvc.client.post(f"/v1/cases/{case['id']}/withdrawal", json={"reason": "已自行解决", "requested_by": "reporter"},
                                 headers=gsvc.headers(**{"If-Match": tag}))
    assert withdrawn.status_code == 200, withdrawn.json
    stale = gsvc.client.post(f"/v1/cases/{case['id']}/supplements", json=supplement,
                             headers=gsvc.headers(**{"If-Match": tag}))
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert [e.type for e in gsvc.outbox()].count("case.supplemented") == 1
