"""Duplicates (相关件): a new case like an open one of the same grid is linked, not merged; staff decide."""
from intake_testkit import OTHER_GRID, case_body, lifecycle


def register(svc, **changes):
    response = svc.client.post("/v1/cases", json=case_body(**changes), headers=svc.headers())
    assert response.status_code == 201, response.json
    return response.json


def links(svc, case_id):
    return svc.client.get(f"/v1/cases/{case_id}/links", headers=svc.headers("reader")).json


def test_near_identical_content_in_the_same_grid_is_linked_not_merged(gsvc):
    first = register(gsvc, content="村口路灯坏了三天，晚上出行不便。")
    second = register(gsvc, content="村口 路灯坏了三天 晚上出行不便！", channel="online",
                      received_by={"kind": "resident", "id": "web"})
    assert first["id"] != second["id"]  # both kept
    [link] = links(gsvc, second["id"])
    assert link["related_case_id"] == first["id"] and link["basis"] == "similar_content" and link["status"] == "suggested"
    assert links(gsvc, first["id"]) == [link]
    linked = gsvc.outbox()[-1]
    assert linked.type == "case.related_linked" and linked.subject == link["id"] and linked.data["case_id"] == second["id"]
    assert linked.data["related_case_id"] == first["id"] and linked.data["state"] == "registered"


def test_a_report_differing_by_a_character_or_two_is_linked(gsvc):
    first = register(gsvc, content="三组王家门口的排水沟堵塞了，下雨天污水漫到路上，影响大家出行。")
    second = register(gsvc, content="三组王家门口排水沟堵塞了，下雨天污水漫到路上，影响大家出行！！")
    [link] = links(gsvc, second["id"])
    assert link["related_case_id"] == first["id"] and link["basis"] == "similar_content"


def test_the_same_topic_told_differently_is_not_a_duplicate():
    from intake.domain import near_identical

    assert near_identical("村口路灯坏了三天，晚上出行不便。", "村口路灯坏了三天 晚上出行不便")
    assert not near_identical("村口路灯坏了三天，晚上出行不便。", "村口路灯坏了，孩子放学回家看不见路。")
    assert not near_identical("村口路灯坏了三天，晚上出行不便。", "垃圾站三天没有清运了。")


def test_other_grids_other_content_and_closed_cases_are_not_linked(gsvc):
    first = register(gsvc)
    register(gsvc, grid_id=OTHER_GRID)
    register(gsvc, content="垃圾站三天没有清运了。")
    assert links(gsvc, first["id"]) == []
    gsvc.deliver(lifecycle(first["id"], "case.closed"), "cases.v1")
    later = register(gsvc)
    assert links(gsvc, later["id"]) == []


def test_cases_of_the_same_household_are_linked(gsvc):
    home = gsvc.client.post("/v1/households", json={"grid_id": OTHER_GRID, "address": "韶山村12号"},
                            headers=gsvc.headers()).json
    first = register(gsvc, grid_id=None, household_id=home["id"])
    second = register(gsvc, grid_id=None, household_id=home["id"], content="家里的低保补助这个月没有到账。")
    [link] = links(gsvc, second["id"])
    assert link["related_case_id"] == first["id"] and link["basis"] == "same_household"


def test_staff_confirm_or_undo_and_a_decision_is_an_event(gsvc):
    first = register(gsvc)
    second = register(gsvc)
    [link] = links(gsvc, second["id"])
    path = f"/v1/case-links/{link['id']}"
    confirmed = gsvc.client.post(path + "/confirm", json={"reason": "同一路灯"}, headers=gsvc.headers())
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert confirmed.json["decided_by"] == "apikey:all"
    assert gsvc.client.post(path + "/confirm", json={"reason": "again"}, headers=gsvc.headers()).status_code == 409
    undone = gsvc.client.post(path + "/undo", json={"reason": "其实是不同路段"}, headers=gsvc.headers())
    assert undone.status_code == 200 and undone.json["status"] == "undone"
    assert gsvc.client.post(path + "/undo", json={"reason": "again"}, headers=gsvc.headers()).status_code == 409
    decisions = [e for e in gsvc.outbox() if e.type.startswith("case.related_")]
    assert [e.type for e in decisions] == ["case.related_linked", "case.related_confirmed", "case.related_undone"]
    assert decisions[-1].data["reason"] == "其实是不同路段" and decisions[-1].data["case_id"] == second["id"]
    assert {e.subject for e in decisions} == {link["id"]} and [e.sequence for e in decisions] == [1, 2, 3]
    assert gsvc.client.get(f"/v1/cases/{first['id']}", headers=gsvc.headers("reader")).status_code == 200


def test_deciding_needs_a_reason_a_known_link_and_the_write_scope(gsvc):
    register(gsvc)
    second = register(gsvc)
    [link] = links(gsvc, second["id"])
    path = f"/v1/case-links/{link['id']}/confirm"
    assert gsvc.client.post(path, json={}, headers=gsvc.headers()).status_code == 422
    assert gsvc.client.post(path, json={"reason": "x"}, headers=gsvc.headers("reader")).status_code == 403
    unknown = gsvc.client.post("/v1/case-links/00000000-0000-4000-8000-000000000000/undo", json={"reason": "x"},
                               headers=gsvc.headers())
    assert unknown.status_code == 404
