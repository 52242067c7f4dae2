"""Intake: the full registration record (grid resolution, location, attachments, priority, first receiver)."""
import pytest

from intake_testkit import GRID, ID_NUMBER, OTHER_GRID, PHONE, case_body, lifecycle, new_id, serving_deputy


def post(svc, body, path="/v1/cases", **headers):
    return svc.client.post(path, json=body, headers=svc.headers(**headers))


def household(svc, grid=GRID, address="韶山村第一村民小组12号", groups=("elderly_alone",)):
    response = post(svc, {"grid_id": grid, "address": address,
                          "members": [{"relation": "户主", "special_groups": list(groups)}],
                          "contact": {"name": "毛秀兰", "phone": "13700001111"}}, "/v1/households")
    assert response.status_code == 201, response.json
    return response.json


def test_the_first_receiver_is_routings_decision_and_the_record_is_kept(gsvc):
    deputy = serving_deputy(gsvc, GRID)
    response = post(gsvc, case_body(channel="station", received_by={"kind": "deputy", "id": deputy},
                                    received_at="2026-11-20T09:30:00+08:00", urgency="urgent",
                                    location={"address": "韶山村村部", "latitude": 27.91, "longitude": 112.52},
                                    attachments=[{"name": "lamp.jpg", "media_type": "image/jpeg", "size": 1200}]))
    assert response.status_code == 201, response.json
    case = response.json
    assert case["first_receiver_id"] is None and case["priority"] == "urgent"  # until routing triages it
    assert case["received_at"].startswith("2026-11-20T01:30:00")
    assert case["location"] == {"address": "韶山村村部", "latitude": 27.91, "longitude": 112.52}
    assert case["attachments"] == [{"name": "lamp.jpg", "media_type": "image/jpeg", "size": 1200}]
    triaged = lifecycle(case["id"], "case.triaged", first_receiver_deputy_id=deputy)
    assert gsvc.deliver(triaged, "cases.v1") == "processed"
    read = gsvc.client.get(f"/v1/cases/{case['id']}", headers=gsvc.headers("reader")).json
    assert read["first_receiver_id"] == deputy and read["attachments"] == case["attachments"]


def test_a_hotline_case_shows_the_first_receiver_routing_chose(gsvc):
    case = post(gsvc, case_body()).json
    assert case["first_receiver_id"] is None
    township_deputy = new_id()  # routing falls back to the grid's township deputy
    gsvc.deliver(lifecycle(case["id"], "case.triaged", first_receiver_deputy_id=township_deputy), "cases.v1")
    read = gsvc.client.get(f"/v1/cases/{case['id']}", headers=gsvc.headers("reader")).json
    assert read["first_receiver_id"] == township_deputy


@pytest.mark.parametrize("groups, urgency, expected", [
    ([], "normal", "normal"), (["disabled"], "normal", "high"), (["left_behind_child"], "urgent", "urgent")])
def test_special_groups_raise_priority(gsvc, groups, urgency, expected):
    response = post(gsvc, case_body(special_groups=groups, urgency=urgency))
    assert response.json["priority"] == expected


def test_the_grid_comes_from_the_household_file_and_its_flags_count(gsvc):
    home = household(gsvc, grid=OTHER_GRID)
    response = post(gsvc, case_body(grid_id=None, household_id=home["id"]))
    assert response.status_code == 201, response.json
    assert response.json["grid_id"] == OTHER_GRID and response.json["household_id"] == home["id"]
    assert response.json["special_groups"] == ["elderly_alone"] and response.json["priority"] == "high"
    assert gsvc.outbox()[-1].data["special_groups"] == ["elderly_alone"]


def test_the_grid_comes_from_a_household_at_the_address(gsvc):
    household(gsvc, grid=OTHER_GRID, address="韶山村 第一村民小组 12号")
    body = case_body(location={"address": "韶山村第一村民小组12号"})
    del body["grid_id"]
    response = post(gsvc, body)
    assert response.status_code == 201 and response.json["grid_id"] == OTHER_GRID


@pytest.mark.parametrize("change, field", [
    ({"grid_id": None}, "grid_id"),
    ({"grid_id": None, "location": {"address": "没有登记的地址"}}, "grid_id"),
    ({"household_id": "00000000-0000-4000-8000-000000000000"}, "household_id"),
    ({"location": {"latitude": 27.9}}, "location.latitude"),
    ({"location": {"latitude": 127.9, "longitude": 10}}, "location.latitude"),
    ({"attachments": [{"name": "a.jpg", "media_type": "jpeg", "size": 1}]}, "attachments.0.media_type"),
    ({"attachments": [{"name": "a.jpg", "media_type": "image/jpeg", "size": -1}]}, "attachments.0.size"),
    ({"attachments": [{"name": "a", "media_type": "image/jpeg", "size": 1}] * 21}, "attachments"),
    ({"reporter": {"name": "王秀英"}}, "reporter.phone"),
    ({"reporter": {"phone": PHONE, "email": "not-an-email"}}, "reporter.email"),
    ({"received_by": {"kind": "call_taker"}}, "received_by.id"),
    ({"received_at": "2026-11-20T09:30:00"}, "received_at"),
    ({"channel": "station", "received_by": {"kind": "call_taker", "id": "x"}}, "received_by.kind"),
])
def test_bad_registration_fields_are_named(gsvc, change, field):
    response = post(gsvc, case_body(**change))
    assert response.status_code == 422 and response.mimetype == "application/problem+json", response.json
    assert field in [e["field"] for e in response.json["errors"]], response.json
    assert gsvc.outbox() == []


def test_a_household_in_another_grid_than_the_one_given_is_refused(gsvc):
    home = household(gsvc, grid=OTHER_GRID)
    response = post(gsvc, case_body(household_id=home["id"]))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "grid_id"


def test_an_unknown_field_is_refused(gsvc):
    response = post(gsvc, case_body(colour="red"))
    assert response.status_code == 422 and "colour" in [e["field"] for e in response.json["errors"]]


def test_a_body_that_is_not_json_is_refused_as_a_problem(gsvc):
    response = gsvc.client.post("/v1/cases", data="channel=hotline", headers=gsvc.headers(),
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


def test_the_oversized_body_answer_is_a_problem_document(gsvc):
    response = gsvc.client.post("/v1/cases", data=b'{"content": "' + b"x" * (1024 * 1024) + b'"}',
                                headers=gsvc.headers(), content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_cases_are_found_by_external_id_and_tracking_code(gsvc):
    body = case_body(channel="integration", received_by={"kind": "system", "id": "zz"},
                     external_ref={"system": "zongzhi", "id": "ZZ-77"})
    created = post(gsvc, body).json
    post(gsvc, case_body())
    by_external = gsvc.client.get("/v1/cases?external_id=ZZ-77", headers=gsvc.headers("reader")).json
    assert [c["id"] for c in by_external["items"]] == [created["id"]] and by_external["total"] == 1
    by_both = gsvc.client.get("/v1/cases?external_system=zongzhi&external_id=ZZ-77", headers=gsvc.headers("reader"))
    assert by_both.json["items"][0]["external_ref"] == {"system": "zongzhi", "id": "ZZ-77"}
    by_code = gsvc.client.get(f"/v1/cases?tracking_code={created['tracking_code']}", headers=gsvc.headers("reader"))
    assert by_code.json["total"] == 1
    everything = gsvc.client.get(f"/v1/cases?grid_id={GRID}&page_size=1", headers=gsvc.headers("reader")).json
    assert everything["total"] == 2 and len(everything["items"]) == 1


def test_responses_show_personal_data_masked(gsvc):
    body = post(gsvc, case_body()).json
    assert body["reporter"]["phone"] == "139****5678" and body["reporter"]["name"] == "王*英"
    assert body["reporter"]["id_number"] == "430382********1234"
    text = gsvc.client.get(f"/v1/cases/{body['id']}", headers=gsvc.headers("reader")).get_data(as_text=True)
    assert PHONE not in text and ID_NUMBER not in text and "王秀英" not in text


def test_a_matter_cannot_be_taken_in_in_the_future(gsvc):
    from datetime import datetime, timedelta, timezone

    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    response = post(gsvc, case_body(received_at=later))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "received_at"
    assert gsvc.outbox() == []
    skewed = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()  # a pushing system's clock ahead
    assert post(gsvc, case_body(received_at=skewed)).status_code == 201
