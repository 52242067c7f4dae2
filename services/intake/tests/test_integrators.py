"""Integrators' API: Idempotency-Key on every POST, bulk submit, and the Open311 GeoReport v2 facade."""
import pytest

from intake_testkit import GRID, PHONE, case_body, new_id


def integration_case(external_id: str, **changes):
    return case_body(channel="integration", received_by={"kind": "system", "id": "zongzhi"},
                     external_ref={"system": "zongzhi", "id": external_id}, **changes)


POSTS = [
    ("/v1/households", lambda: {"grid_id": GRID, "address": "韶山村12号"}, lambda: {"grid_id": GRID, "address": "韶山村13号"}),
    ("/v1/visits", lambda: {"deputy_id": "d0000000-0000-4000-8000-000000000007", "grid_id": GRID,
                            "visited_on": "2026-11-20", "residents_reached": 1},
     lambda: {"deputy_id": "d0000000-0000-4000-8000-000000000007", "grid_id": GRID, "visited_on": "2026-11-21",
              "residents_reached": 1}),
    ("/v1/reception-sessions", lambda: {"grid_id": GRID, "deputies": [{"deputy_id": "d0000000-0000-4000-8000-000000000007"}],
                                        "started_at": "2026-11-10T01:00:00Z", "ended_at": "2026-11-10T03:00:00Z",
                                        "residents_received": 2},
     lambda: {"grid_id": GRID, "deputies": [{"deputy_id": "d0000000-0000-4000-8000-000000000007"}],
              "started_at": "2026-11-10T01:00:00Z", "ended_at": "2026-11-10T04:00:00Z", "residents_received": 2}),
    ("/v1/cases/bulk", lambda: {"cases": [case_body()]}, lambda: {"cases": [case_body(topic="water")]}),
]


@pytest.mark.parametrize("path, body, other", POSTS, ids=[p[0] for p in POSTS])
def test_every_post_replays_a_retry_and_refuses_a_reused_key(gsvc, path, body, other):
    headers = gsvc.headers(**{"Idempotency-Key": "retry-1"})
    first = gsvc.client.post(path, json=body(), headers=headers)
    events = len(gsvc.outbox())
    again = gsvc.client.post(path, json=body(), headers=headers)
    assert first.status_code in (200, 201) and again.status_code == first.status_code
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert len(gsvc.outbox()) == events
    refused = gsvc.client.post(path, json=other(), headers=headers)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "Idempotency-Key"


def test_a_key_is_bound_to_its_endpoint_and_case_actions_replay_too(gsvc):
    case = gsvc.client.post("/v1/cases", json=case_body(), headers=gsvc.headers()).json
    headers = gsvc.headers(**{"Idempotency-Key": "act-1"})
    path = f"/v1/cases/{case['id']}/supplements"
    first = gsvc.client.post(path, json={"reason": "照片", "content_added": "补充说明"}, headers=headers)
    again = gsvc.client.post(path, json={"reason": "照片", "content_added": "补充说明"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert [e.type for e in gsvc.outbox()].count("case.supplemented") == 1
    elsewhere = gsvc.client.post(f"/v1/cases/{case['id']}/withdrawal", headers=headers,
                                 json={"reason": "照片", "requested_by": "reporter"})
    assert elsewhere.status_code == 422 and elsewhere.json["errors"][0]["field"] == "Idempotency-Key"
    assert "case.withdrawn" not in [e.type for e in gsvc.outbox()]


def test_a_refusal_is_not_remembered_under_the_key(gsvc):
    headers = gsvc.headers(**{"Idempotency-Key": "fix-and-retry"})
    assert gsvc.client.post("/v1/cases", json=case_body(grid_id=new_id()), headers=headers).status_code == 422
    assert gsvc.client.post("/v1/cases", json=case_body(), headers=headers).status_code == 201


def test_an_overlong_key_is_refused(gsvc):
    response = gsvc.client.post("/v1/cases", json=case_body(), headers=gsvc.headers(**{"Idempotency-Key": "k" * 201}))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "Idempotency-Key"


def test_bulk_gives_each_case_its_own_result(gsvc):
    gsvc.client.post("/v1/cases", json=integration_case("ZZ-1"), headers=gsvc.headers())
    response = gsvc.client.post("/v1/cases/bulk", headers=gsvc.headers(), json={"cases": [
        integration_case("ZZ-2"), integration_case("ZZ-1"), {"channel": "fax"}, integration_case("ZZ-3", grid_id=new_id()),
        integration_case("ZZ-4"), integration_case("ZZ-4")]})
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [r["status"] for r in results] == [201, 409, 422, 422, 201, 409]
    assert response.json["registered"] == 2 and response.json["refused"] == 4
    assert "channel" in [e["field"] for e in results[2]["errors"]] and results[3]["errors"][0]["field"] == "grid_id"
    registered = [e for e in gsvc.outbox() if e.type == "case.registered"]
    assert [e.data["external_ref"]["id"] for e in registered] == ["ZZ-1", "ZZ-2", "ZZ-4"]
    found = gsvc.client.get("/v1/cases?external_system=zongzhi&external_id=ZZ-4", headers=gsvc.headers("reader"))
    assert found.json["items"][0]["id"] == results[4]["case"]["id"]


def test_bulk_size_is_bounded(gsvc):
    too_many = gsvc.client.post("/v1/cases/bulk", headers=gsvc.headers(), json={"cases": [case_body()] * 101})
    assert too_many.status_code == 422 and too_many.json["errors"][0]["field"] == "cases"
    empty = gsvc.client.post("/v1/cases/bulk", headers=gsvc.headers(), json={"cases": []})
    assert empty.status_code == 422


# --- Open311 -------------------------------------------------------------------------------------------
def open311_form(**changes):
    form = {"service_code": "request", "description": "村口路灯坏了三天，晚上出行不便。", "lat": "27.91", "long": "112.52",
            "attribute[grid_id]": GRID, "phone": PHONE, "first_name": "秀英", "last_name": "王",
            "media_url": "https://pics.example.cn/lamp.jpg"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_open311_services_list_the_categories(gsvc):
    services = gsvc.client.get("/open311/v2/services.json")
    assert services.status_code == 200
    assert [s["service_code"] for s in services.json] == ["request", "enquiry", "complaint", "suggestion"]
    assert services.json[0]["service_name"] == "求决"
    definition = gsvc.client.get("/open311/v2/services/request.json").json
    assert "grid_id" in [a["code"] for a in definition["attributes"]]
    missing = gsvc.client.get("/open311/v2/services/gossip.json")
    assert missing.status_code == 404 and missing.json[0]["code"] == 404


def test_an_open311_request_becomes_a_case_and_reads_back(gsvc):
    created = gsvc.client.post("/open311/v2/requests.json", data=open311_form(), headers=gsvc.headers())
    assert created.status_code == 201, created.json
    request_id = created.json[0]["service_request_id"]
    case = gsvc.client.get(f"/v1/cases/{request_id}", headers=gsvc.headers("reader")).json
    assert case["channel"] == "online" and case["grid_id"] == GRID and case["location"]["latitude"] == 27.91
    assert case["reporter"]["phone"] == "139****5678" and case["tracking_code"] in created.json[0]["service_notice"]
    one = gsvc.client.get(f"/open311/v2/requests/{request_id}.json", headers=gsvc.headers("reader"))
    assert one.status_code == 200 and one.json[0]["status"] == "open" and one.json[0]["service_code"] == "request"
    assert one.json[0]["media_url"] == "https://pics.example.cn/lamp.jpg" and one.json[0]["lat"] == 27.91
    listed = gsvc.client.get("/open311/v2/requests.json?status=open&service_code=request", headers=gsvc.headers("reader"))
    assert [r["service_request_id"] for r in listed.json] == [request_id]
    assert gsvc.client.get("/open311/v2/requests.json?status=closed", headers=gsvc.headers("reader")).json == []
    by_id = gsvc.client.get(f"/open311/v2/requests.json?service_request_id={request_id}", headers=gsvc.headers("reader"))
    assert len(by_id.json) == 1


def test_an_open311_json_request_with_an_external_id_is_an_integration_case(gsvc):
    created = gsvc.client.post("/open311/v2/requests.json", headers=gsvc.headers(),
                               json=open311_form(**{"attribute[external_id]": "GP-9"}))
    assert created.status_code == 201, created.json
    registered = gsvc.outbox()[-1].data
    assert registered["channel"] == "integration" and registered["external_ref"] == {"system": "all", "id": "GP-9"}
    again = gsvc.client.post("/open311/v2/requests.json", headers=gsvc.headers(),
                             json=open311_form(**{"attribute[external_id]": "GP-9"}))
    assert again.status_code == 409 and again.json[0]["code"] == 409
    assert again.json[0]["description"].endswith(f"service_request_id {created.json[0]['service_request_id']}")


@pytest.mark.parametrize("changes, status, text", [
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "gossip"}, 404, "service_code"),
    ({"description": None}, 400, "description"),
    ({"lat": None, "long": None}, 400, "location"),
    ({"phone": "123"}, 400, "phone"),
    ({"attribute[grid_id]": "00000000-0000-4000-8000-000000000000"}, 400, "attribute[grid_id]"),
    ({"lat": "north"}, 400, "lat"),
])
def test_invalid_open311_requests_are_refused_the_open311_way(gsvc, changes, status, text):
    response = gsvc.client.post("/open311/v2/requests.json", data=open311_form(**changes), headers=gsvc.headers())
    assert response.status_code == status, response.json
    assert isinstance(response.json, list) and response.json[0]["code"] == status
    assert text in " ".join(e["description"] for e in response.json)
    assert gsvc.outbox() == []


def test_open311_errors_for_keys_and_unknown_requests(gsvc):
    unauthorised = gsvc.client.post("/open311/v2/requests.json", data=open311_form())
    assert unauthorised.status_code == 403 and unauthorised.json[0]["code"] == 403  # GeoReport v2: 403 for keys
    forbidden = gsvc.client.post("/open311/v2/requests.json", data=open311_form(), headers=gsvc.headers("reader"))
    assert forbidden.status_code == 403
    missing = gsvc.client.get(f"/open311/v2/requests/{new_id()}.json", headers=gsvc.headers("reader"))
    assert missing.status_code == 404 and missing.json[0]["code"] == 404
    bad_date = gsvc.client.get("/open311/v2/requests.json?start_date=soon", headers=gsvc.headers("reader"))
    assert bad_date.status_code == 400
