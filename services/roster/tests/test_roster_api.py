"""Roster: the grid tree and deputies through the API, with the events each change emits."""
import uuid

import pytest


def make_grid(svc, code, level, parent=None, kind="rural_village", **extra):
    body = {"code": code, "name": f"网格{code}", "level": level, "kind": kind, "parent_id": parent, **extra}
    response = svc.client.post("/v1/grids", json=body, headers=svc.headers())
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_a_three_level_tree_is_built_and_each_grid_announced(svc):
    town = make_grid(svc, "SS-01", 1)
    village = make_grid(svc, "SS-01-01", 2, town)
    group = make_grid(svc, "SS-01-01-01", 3, village, households=260, population=830)
    events = svc.outbox()
    assert [e.type for e in events] == ["grid.created"] * 3
    assert events[2].subject == group and events[2].data["parent_id"] == village and events[2].actor == "apikey:all"
    listed = svc.client.get(f"/v1/grids?parent_id={village}", headers=svc.headers()).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == group


@pytest.mark.parametrize("level, parent_level, reason", [
    (3, 1, "must sit under a level-2 grid"),
    (2, None, "needs a parent of level 1"),
    (1, 1, "has no parent"),
])
def test_an_invalid_tree_is_refused_with_the_reason(svc, level, parent_level, reason):
    parent = make_grid(svc, "P", 1) if parent_level else None
    response = svc.client.post("/v1/grids", json={"code": "X", "name": "x", "level": level, "kind": "rural_village",
                                                  "parent_id": parent}, headers=svc.headers())
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert reason in response.json["errors"][0]["reason"]
    assert [e.type for e in svc.outbox()] == (["grid.created"] if parent else [])


def test_unknown_parent_and_duplicate_code_are_refused(svc):
    response = svc.client.post("/v1/grids", json={"code": "X", "name": "x", "level": 2, "kind": "rural_village",
                                                  "parent_id": str(uuid.uuid4())}, headers=svc.headers())
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "parent_id"
    make_grid(svc, "DUP", 1)
    again = svc.client.post("/v1/grids", json={"code": "DUP", "name": "y", "level": 1, "kind": "rural_village"},
                            headers=svc.headers())
    assert again.status_code == 409


@pytest.mark.parametrize("kind, households, flags", [
    ("urban_community", 800, ["households_outside_range:300-500"]),
    ("urban_community", 299, ["households_outside_range:300-500"]),
    ("urban_community", 500, []),
    ("rural_village", 180, ["households_outside_range:200-300"]),
    ("rural_village", 301, ["households_outside_range:200-300"]),
    ("rural_village", 200, []),
    ("industrial_park", 2000, []),  # special zones may differ (000)
])
def test_a_bottom_grid_outside_the_household_range_is_allowed_but_flagged(svc, kind, households, flags):
    town = make_grid(svc, "T", 1)
    village = make_grid(svc, "V", 2, town)
    make_grid(svc, "G", 3, village, kind=kind, households=households)
    grid = svc.client.get(f"/v1/grids?parent_id={village}", headers=svc.headers()).json["items"][0]
    assert grid["flags"] == flags
    changed = svc.client.patch(f"/v1/grids/{grid['id']}", json={"households": 250 if kind == "rural_village" else 400},
                               headers=svc.headers())
    assert changed.json["flags"] == []


DEPUTY = {"name": "李红梅", "gender": "female", "level": "township", "mobile": "13812345678",
          "position": "村党支部书记", "pledge": "认真倾听群众呼声。"}


def test_a_deputy_is_registered_with_the_mobile_masked_and_kept_out_of_the_event(svc):
    grid = make_grid(svc, "T", 1)
    response = svc.client.post("/v1/deputies", json={**DEPUTY, "home_grid_id": grid}, headers=svc.headers())
    assert response.status_code == 201
    assert response.json["mobile_masked"] == "138****5678" and "mobile" not in response.json
    event = svc.outbox()[-1]
    assert event.type == "deputy.registered" and event.data["home_grid_id"] == grid
    assert "13812345678" not in event.to_json()


@pytest.mark.parametrize("change, field", [
    ({"mobile": "1234"}, "mobile"), ({"level": "village"}, "level"), ({"gender": "x"}, "gender"),
    ({"phone_display": "office"}, "office_phone"), ({"home_grid_id": str(uuid.uuid4())}, "home_grid_id"),
    ({"term_start": "2026-01-01", "term_end": "2025-01-01"}, "term_end"),
])
def test_bad_deputy_fields_are_named_in_the_problem(svc, change, field):
    response = svc.client.post("/v1/deputies", json={**DEPUTY, **change}, headers=svc.headers())
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json["errors"]]


def test_a_term_ends_only_through_its_endpoint_not_at_registration(svc):
    response = svc.client.post("/v1/deputies", json={**DEPUTY, "status": "ended"}, headers=svc.headers())
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "status"
    assert svc.outbox() == []


def test_the_office_number_on_file_is_enough_to_show_it_and_none_is_refused(svc):
    on_file = svc.client.post("/v1/deputies", json={**DEPUTY, "office_phone": "0731-55681234"},
                              headers=svc.headers()).json
    shown = svc.client.patch(f"/v1/deputies/{on_file['id']}", json={"phone_display": "office"}, headers=svc.headers())
    assert shown.status_code == 200 and shown.json["public_phone"] == "0731-55681234"
    dropped = svc.client.patch(f"/v1/deputies/{on_file['id']}", json={"office_phone": None}, headers=svc.headers())
    assert dropped.status_code == 422 and dropped.json["errors"][0]["field"] == "office_phone"
    bare = svc.client.post("/v1/deputies", json={**DEPUTY, "mobile": "13812345679"}, headers=svc.headers()).json
    refused = svc.client.patch(f"/v1/deputies/{bare['id']}", json={"phone_display": "office"}, headers=svc.headers())
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "office_phone"
    bad = svc.client.patch(f"/v1/deputies/{bare['id']}", json={"office_phone": "55681234"}, headers=svc.headers())
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "office_phone"
    assert [e.type for e in svc.outbox()] == ["deputy.registered", "deputy.updated", "deputy.registered"]


def test_updating_a_deputy_emits_the_whole_new_state(svc):
    deputy = svc.client.post("/v1/deputies", json=DEPUTY, headers=svc.headers()).json
    response = svc.client.patch(f"/v1/deputies/{deputy['id']}", json={"position": "村委会主任"}, headers=svc.headers())
    assert response.status_code == 200 and response.json["position"] == "村委会主任"
    updated = svc.outbox()[-1]
    assert updated.type == "deputy.updated" and updated.sequence == 2 and updated.data["name"] == "李红梅"
    assert "reason" not in updated.data


def test_a_suspension_says_why_and_the_reason_travels_with_the_event(svc):
    deputy = svc.client.post("/v1/deputies", json=DEPUTY, headers=svc.headers()).json
    bare = svc.client.patch(f"/v1/deputies/{deputy['id']}", json={"status": "suspended"}, headers=svc.headers())
    assert bare.status_code == 422 and bare.json["errors"][0]["field"] == "reason"
    assert "serving → suspended" in bare.json["errors"][0]["reason"]
    response = svc.client.patch(f"/v1/deputies/{deputy['id']}", json={"status": "suspended", "reason": "暂停执行代表职务"},
                                headers=svc.headers())
    assert response.status_code == 200 and response.json["status"] == "suspended"
    event = svc.outbox()[-1]
    assert (event.type, event.data["status"], event.data["reason"]) == ("deputy.updated", "suspended", "暂停执行代表职务")
    resumed = svc.client.patch(f"/v1/deputies/{deputy['id']}", json={"status": "serving", "reason": "恢复执行代表职务"},
                               headers=svc.headers())
    assert resumed.status_code == 200 and svc.outbox()[-1].data["reason"] == "恢复执行代表职务"
    assert [e.data["status"] for e in svc.outbox()] == ["serving", "suspended", "serving"]


def test_keys_and_scopes_are_enforced(svc):
    assert svc.client.get("/v1/grids").status_code == 401
    assert svc.client.get("/v1/grids", headers={"Authorization": "Bearer wg_forged"}).status_code == 401
    assert svc.client.get("/v1/grids", headers=svc.headers("none")).status_code == 403
    assert svc.client.post("/v1/grids", json={}, headers=svc.headers("reader")).status_code == 403
    assert svc.client.get("/v1/grids", headers=svc.headers("reader")).status_code == 200


def test_unknown_ids_are_404_problems(svc):
    response = svc.client.get(f"/v1/deputies/{uuid.uuid4()}", headers=svc.headers())
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_term_cannot_end_before_it_started_even_when_patched_alone(svc):
    deputy = svc.client.post("/v1/deputies", json={**DEPUTY, "term_start": "2021-12-01"}, headers=svc.headers()).json
    response = svc.client.patch(f"/v1/deputies/{deputy['id']}", json={"term_end": "2020-01-01"}, headers=svc.headers())
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "term_end"
