"""Household files (一户一档), the visit log (走访) and reception-day records (接待活动记录)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake_testkit import DEPUTY, DEPUTY_2, GRID, OTHER_GRID, case_body, new_id


def post(svc, path, body, **headers):
    return svc.client.post(path, json=body, headers=svc.headers(**headers))


def open_household(svc, **changes):
    body = {"grid_id": GRID, "address": "韶山村第一村民小组12号",
            "members": [{"relation": "户主", "special_groups": ["disabled"]},
                        {"relation": "孙子", "special_groups": ["left_behind_child"]}],
            "contact": {"name": "毛秀兰", "phone": "13700001111"}, **changes}
    response = post(svc, "/v1/households", body)
    assert response.status_code == 201, response.json
    return response.json


def test_a_household_file_lists_its_flags_cases_and_visits(gsvc):
    home = open_household(gsvc)
    assert home["special_groups"] == ["disabled", "left_behind_child"]
    assert home["contact"] == {"name": "毛*兰", "phone": "137****1111"}
    case = post(gsvc, "/v1/cases", case_body(household_id=home["id"])).json
    visit = post(gsvc, "/v1/visits", {"deputy_id": DEPUTY, "grid_id": GRID, "visited_on": "2026-11-20",
                                      "household_ids": [home["id"]], "residents_reached": 3,
                                      "case_ids": [case["id"]], "notes": "了解到路灯问题"}).json
    file = gsvc.client.get(f"/v1/households/{home['id']}", headers=gsvc.headers("reader")).json
    assert [c["id"] for c in file["cases"]] == [case["id"]]
    assert [v["id"] for v in file["visits"]] == [visit["id"]]
    # the whole address, spaces and punctuation aside (it is stored encrypted: no part of it can be searched)
    found = gsvc.client.get("/v1/households?address=韶山村 第一村民小组，12号", headers=gsvc.headers("reader")).json
    assert found["total"] == 1 and found["items"][0]["id"] == home["id"]
    assert found["items"][0]["address"] == "韶山村第一村民小组12号"
    assert gsvc.client.get(f"/v1/households?grid_id={OTHER_GRID}", headers=gsvc.headers("reader")).json["total"] == 0


@pytest.mark.parametrize("change, field", [
    ({"grid_id": new_id()}, "grid_id"), ({"address": ""}, "address"),
    ({"members": [{"relation": "户主", "special_groups": ["rich"]}]}, "members.0.special_groups.0"),
    ({"contact": {"phone": "123"}}, "contact.phone"),
])
def test_bad_household_fields_are_named(gsvc, change, field):
    response = gsvc.client.post("/v1/households", json={"grid_id": GRID, "address": "韶山村12号", **change},
                                headers=gsvc.headers())
    assert response.status_code == 422 and field in [e["field"] for e in response.json["errors"]], response.json


def test_an_unknown_household_file_is_404(gsvc):
    assert gsvc.client.get(f"/v1/households/{new_id()}", headers=gsvc.headers("reader")).status_code == 404


def test_a_visit_is_logged_and_announced_for_reporting(gsvc):
    home, deputy = open_household(gsvc), DEPUTY
    response = post(gsvc, "/v1/visits", {"deputy_id": deputy, "grid_id": GRID, "visited_on": "2026-11-20",
                                         "household_ids": [home["id"]], "residents_reached": 3,
                                         "kind": "contact_household"})
    assert response.status_code == 201, response.json
    recorded = gsvc.outbox()[-1]
    assert recorded.type == "visit.recorded" and recorded.subject == response.json["id"]
    assert recorded.data == {"visit_id": response.json["id"], "deputy_id": deputy, "grid_id": GRID,
                             "visited_on": "2026-11-20", "household_ids": [home["id"]], "residents_reached": 3,
                             "cases_registered": 0, "kind": "contact_household"}
    log = gsvc.client.get(f"/v1/visits?deputy_id={deputy}&from=2026-11-01&to=2026-11-30",
                          headers=gsvc.headers("reader")).json
    assert log["total"] == 1
    assert gsvc.client.get(f"/v1/visits?deputy_id={deputy}&from=2026-12-01",
                           headers=gsvc.headers("reader")).json["total"] == 0


@pytest.mark.parametrize("change, field", [
    ({"household_ids": ["00000000-0000-4000-8000-000000000000"]}, "household_ids"),
    ({"case_ids": ["00000000-0000-4000-8000-000000000000"]}, "case_ids"),
    ({"grid_id": "00000000-0000-4000-8000-000000000000"}, "grid_id"),
    ({"residents_reached": -1}, "residents_reached"), ({"kind": "party"}, "kind"),
    ({"visited_on": "yesterday"}, "visited_on"),
])
def test_bad_visits_are_refused_and_not_announced(gsvc, change, field):
    body = {"deputy_id": DEPUTY, "grid_id": GRID, "visited_on": "2026-11-20", "residents_reached": 1, **change}
    response = post(gsvc, "/v1/visits", body)
    assert response.status_code == 422 and field in [e["field"] for e in response.json["errors"]], response.json
    assert [e for e in gsvc.outbox() if e.type == "visit.recorded"] == []


CHINA = ZoneInfo("Asia/Shanghai")
DAY = (datetime.now(CHINA) - timedelta(days=3)).date().isoformat()  # a reception day that has taken place


def session_body(**changes):
    return {"grid_id": GRID, "deputies": [{"deputy_id": DEPUTY, "kind": "npc_deputy"},
                                          {"deputy_id": DEPUTY_2, "kind": "party_delegate"}],
            "started_at": f"{DAY}T09:00:00+08:00", "ended_at": f"{DAY}T11:10:00+08:00",
            "residents_received": 6, **changes}


def test_a_reception_day_is_recorded_with_its_length_checked(gsvc):
    case = post(gsvc, "/v1/cases", case_body(channel="station", received_by={"kind": "deputy", "id": DEPUTY})).json
    response = post(gsvc, "/v1/reception-sessions", session_body(case_ids=[case["id"]]))
    assert response.status_code == 201, response.json
    assert response.json["minutes"] == 130 and response.json["meets_two_hours"] is True
    recorded = gsvc.outbox()[-1]
    assert recorded.type == "reception_session.recorded"
    assert recorded.data["started_at"] == f"{DAY}T01:00:00Z" and recorded.data["case_ids"] == [case["id"]]
    short = post(gsvc, "/v1/reception-sessions", session_body(ended_at=f"{DAY}T10:00:00+08:00")).json
    assert short["meets_two_hours"] is False
    listed = gsvc.client.get(f"/v1/reception-sessions?grid_id={GRID}", headers=gsvc.headers("reader")).json
    assert listed["total"] == 2


@pytest.mark.parametrize("change, field", [
    ({"ended_at": f"{DAY}T08:00:00+08:00"}, "ended_at"), ({"deputies": []}, "deputies"),
    ({"grid_id": None}, "grid_id"), ({"case_ids": ["00000000-0000-4000-8000-000000000000"]}, "case_ids"),
    ({"deputies": [{"deputy_id": "00000000-0000-4000-8000-000000000001"}] * 2}, "deputies"),
    ({"deputies": [{"deputy_id": "00000000-0000-4000-8000-000000000001", "kind": "mayor"}]}, "deputies.0.kind"),
])
def test_bad_reception_records_are_refused(gsvc, change, field):
    response = post(gsvc, "/v1/reception-sessions", session_body(**change))
    assert response.status_code == 422 and field in [e["field"] for e in response.json["errors"]], response.json
    assert gsvc.outbox() == []


def test_a_reception_session_cannot_be_recorded_before_it_took_place(gsvc):
    now = datetime.now(CHINA)
    later = post(gsvc, "/v1/reception-sessions", session_body(started_at=(now + timedelta(days=1)).isoformat(),
                                                              ended_at=(now + timedelta(days=1, hours=2)).isoformat()))
    assert later.status_code == 422 and {"started_at", "ended_at"} <= {e["field"] for e in later.json["errors"]}
    running = post(gsvc, "/v1/reception-sessions", session_body(started_at=(now - timedelta(hours=1)).isoformat(),
                                                                ended_at=(now + timedelta(hours=1)).isoformat()))
    assert running.status_code == 422 and [e["field"] for e in running.json["errors"]] == ["ended_at"]
    assert gsvc.outbox() == []
    just_ended = post(gsvc, "/v1/reception-sessions", session_body(started_at=(now - timedelta(hours=2)).isoformat(),
                                                                   ended_at=now.isoformat()))
    assert just_ended.status_code == 201, just_ended.json


def test_a_visit_cannot_be_logged_for_a_day_still_to_come(gsvc):
    today = datetime.now(CHINA).date()
    body = {"deputy_id": DEPUTY, "grid_id": GRID, "residents_reached": 1}
    tomorrow = post(gsvc, "/v1/visits", {**body, "visited_on": (today + timedelta(days=1)).isoformat()})
    assert tomorrow.status_code == 422 and tomorrow.json["errors"][0]["field"] == "visited_on"
    assert gsvc.outbox() == []
    assert post(gsvc, "/v1/visits", {**body, "visited_on": today.isoformat()}).status_code == 201
