"""Issue 18 item 12: staff link two cases by hand; the duplicate search looks in the village's other grids too."""
from wangge_common.testing import event
from intake_testkit import GRID, OTHER_GRID, case_body, new_id


def register(svc, **changes):
    response = svc.client.post("/v1/cases", json=case_body(**changes), headers=svc.headers())
    assert response.status_code == 201, response.json
    return response.json


def link(svc, case_id, related, reason="同一盏路灯，两位群众分别反映", key="all"):
    return svc.client.post("/v1/case-links", json={"case_id": case_id, "related_case_id": related, "reason": reason},
                           headers=svc.headers(key))


def grid(svc, grid_id, parent_id, code):
    assert svc.deliver(event("grid.created", grid_id, {
        "grid_id": grid_id, "code": code, "name": code, "level": 3 if parent_id else 2, "parent_id": parent_id,
        "kind": "rural_village", "households": 200, "population": 600, "difficulty": 2, "leader": None},
        source="/wangge/roster"), "roster.v1") == "processed"
    return grid_id


def test_staff_link_two_cases_by_hand_and_can_undo_it(gsvc):
    first = register(gsvc, content="村口路灯坏了三天，晚上出行不便。")
    second = register(gsvc, content="晚上村头黑漆漆的，灯一直不亮，老人摔了一跤。")
    assert gsvc.client.get(f"/v1/cases/{second['id']}/links", headers=gsvc.headers("reader")).json == []
    response = link(gsvc, second["id"], first["id"], reason="同一盏路灯，联系电话13912345678")
    assert response.status_code == 201, response.json
    made = response.json
    assert made["basis"] == "manual" and made["status"] == "confirmed" and made["decided_by"] == "apikey:all"
    linked, confirmed = [e for e in gsvc.outbox() if e.subject == made["id"]]
    assert (linked.type, confirmed.type) == ("case.related_linked", "case.related_confirmed")
    assert linked.data["basis"] == "manual" and linked.data["related_case_id"] == first["id"]
    assert "13912345678" not in linked.to_json() and linked.actor == "apikey:all"
    assert [l["id"] for l in gsvc.client.get(f"/v1/cases/{first['id']}/links",
                                             headers=gsvc.headers("reader")).json] == [made["id"]]
    undone = gsvc.client.post(f"/v1/case-links/{made['id']}/undo", json={"reason": "其实是两盏灯"},
                              headers=gsvc.headers())
    assert undone.status_code == 200 and undone.json["status"] == "undone"
    assert link(gsvc, first["id"], second["id"]).status_code == 201  # linked again after the undo


def test_a_link_already_made_either_way_is_409_naming_it(gsvc):
    first = register(gsvc, content="村口路灯坏了三天，晚上出行不便。")
    second = register(gsvc, content="垃圾站三天没有清运了，气味很大。")
    made = link(gsvc, second["id"], first["id"]).json
    for pair in ((second["id"], first["id"]), (first["id"], second["id"])):
        again = link(gsvc, *pair)
        assert again.status_code == 409 and again.json["existing_link_id"] == made["id"]


def test_bad_links_are_refused_with_the_field(gsvc):
    case = register(gsvc)
    itself = link(gsvc, case["id"], case["id"])
    assert itself.status_code == 422 and itself.json["errors"][0]["field"] == "related_case_id"
    unknown = link(gsvc, case["id"], new_id())
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "related_case_id"
    no_reason = gsvc.client.post("/v1/case-links", json={"case_id": case["id"], "related_case_id": new_id()},
                                 headers=gsvc.headers())
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reason"
    assert link(gsvc, case["id"], new_id(), key="reader").status_code == 403
    assert not [e for e in gsvc.outbox() if e.type.startswith("case.related")]


def test_a_person_links_only_cases_of_their_grids(gsvc):
    mine, theirs = register(gsvc), register(gsvc, grid_id=OTHER_GRID, content="垃圾站三天没有清运了。")
    response = gsvc.client.post("/v1/case-links", json={"case_id": mine["id"], "related_case_id": theirs["id"],
                                                        "reason": "同一件事"},
                                headers=gsvc.person("acc-7", grids=[GRID]))
    assert response.status_code == 403


def test_the_duplicate_search_looks_in_the_neighbouring_grids_of_the_village(svc):
    village, other_village = new_id(), new_id()
    grid(svc, village, None, "SS-01")
    grid(svc, other_village, None, "SS-02")
    first_group, second_group = grid(svc, new_id(), village, "SS-01-01"), grid(svc, new_id(), village, "SS-01-02")
    elsewhere = grid(svc, new_id(), other_village, "SS-02-01")
    first = register(svc, grid_id=first_group, content="两组交界处的桥栏杆断了，孩子上学很危险。")
    across = register(svc, grid_id=second_group, content="两组交界处桥栏杆断了，孩子上学很危险！")
    [found] = svc.client.get(f"/v1/cases/{across['id']}/links", headers=svc.headers("reader")).json
    assert found["related_case_id"] == first["id"] and found["basis"] == "similar_content"
    far = register(svc, grid_id=elsewhere, content="两组交界处的桥栏杆断了，孩子上学很危险。")
    assert svc.client.get(f"/v1/cases/{far['id']}/links", headers=svc.headers("reader")).json == []
    similar = svc.client.get("/v1/cases/similar", query_string={"grid_id": second_group,
                                                                  "content": "两组交界处的桥栏杆断了，孩子上学很危险。"},
                             headers=svc.headers("reader")).json
    assert [s["case"]["id"] for s in similar] in ([first["id"]], [across["id"]])
