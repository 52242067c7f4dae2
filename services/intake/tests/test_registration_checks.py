"""Issue 18 item 7: a case is checked against reality — the receiving deputy, blank or binary content, dates,
ID numbers' check digits, the dispatch catalogue's topics, a second push, tracking codes in any case."""
import pytest

from wangge_common.testing import event
from intake_testkit import GRID, OTHER_GRID, announce_deputy, assign, case_body, new_id, serving_deputy


def post(svc, body, **headers):
    return svc.client.post("/v1/cases", json=body, headers=svc.headers(**headers))


def station(deputy_id, **changes):
    return case_body(channel="station", received_by={"kind": "deputy", "id": deputy_id}, **changes)


def refused(response, field):
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    reasons = {e["field"]: e["reason"] for e in response.json["errors"]}
    assert field in reasons, reasons
    return reasons[field]


def test_the_receiving_deputy_must_exist(gsvc):
    assert "no deputy" in refused(post(gsvc, station(new_id())), "received_by.id")


def test_the_receiving_deputy_must_serve_the_grid(gsvc):
    elsewhere = serving_deputy(gsvc, OTHER_GRID)
    assert "does not serve grid" in refused(post(gsvc, station(elsewhere)), "received_by.id")
    assert post(gsvc, station(serving_deputy(gsvc, GRID))).status_code == 201


def test_a_deputy_serves_their_home_grid_and_the_grids_under_an_assigned_one(gsvc):
    assert post(gsvc, station(announce_deputy(gsvc, home_grid=GRID))).status_code == 201
    town = new_id()
    gsvc.deliver(event("grid.created", town, {
        "grid_id": town, "code": "SS", "name": "韶山乡", "level": 1, "parent_id": None, "kind": "rural_village",
        "households": 0, "population": 0, "difficulty": 1, "leader": None}, source="/wangge/roster"), "roster.v1")
    child = new_id()
    gsvc.deliver(event("grid.created", child, {
        "grid_id": child, "code": "SS-09", "name": "九组", "level": 3, "parent_id": town, "kind": "rural_village",
        "households": 0, "population": 0, "difficulty": 1, "leader": None}, source="/wangge/roster"), "roster.v1")
    township_deputy = announce_deputy(gsvc)
    assign(gsvc, town, township_deputy)
    assert post(gsvc, station(township_deputy, grid_id=child)).status_code == 201


def test_a_deputy_who_left_or_whose_assignment_ended_receives_no_more(gsvc):
    deputy = serving_deputy(gsvc, GRID)
    gsvc.deliver(event("assignment.ended", GRID, {"grid_id": GRID, "deputy_id": deputy, "reason": "调整"},
                       source="/wangge/roster"), "roster.v1")
    assert "does not serve" in refused(post(gsvc, station(deputy)), "received_by.id")
    gone = serving_deputy(gsvc, GRID)
    gsvc.deliver(event("deputy.ended", gone, {"deputy_id": gone, "ended_on": "2026-11-30", "reason": "任期届满"},
                       source="/wangge/roster"), "roster.v1")
    assert "not serving (ended)" in refused(post(gsvc, station(gone)), "received_by.id")
    suspended = announce_deputy(gsvc, home_grid=GRID, status="suspended")
    assert "not serving (suspended)" in refused(post(gsvc, station(suspended)), "received_by.id")


@pytest.mark.parametrize("content", ["      ", "\u3000\u3000\u3000\u3000\u3000\u3000", " \n\t \n  "])
def test_content_of_only_spaces_is_refused(gsvc, content):
    assert "only spaces" in refused(post(gsvc, case_body(content=content)), "content")


def test_content_with_a_nul_byte_is_refused(gsvc):
    raw = '{"channel": "hotline", "grid_id": "%s", "category": "request", "content": "路灯坏了\\u0000三天了", ' \
          '"received_by": {"kind": "call_taker", "id": "ct"}}' % GRID
    response = gsvc.client.post("/v1/cases", data=raw, content_type="application/json", headers=gsvc.headers())
    assert response.status_code == 422 and response.mimetype == "application/problem+json", response.json
    assert [e["field"] for e in response.json["errors"]] == ["content"]


@pytest.mark.parametrize("moment, words", [("1999-12-31T23:59:59Z", "before 2000"), ("0001-01-01T00:00:00Z", "before 2000"),
                                           ("2999-01-01T00:00:00Z", "in the future")])
def test_received_at_before_the_epoch_or_in_the_future_is_refused(gsvc, moment, words):
    assert words in refused(post(gsvc, case_body(received_at=moment)), "received_at")


@pytest.mark.parametrize("id_number, words", [("430382199001091235", "wrong check digit"),
                                              ("43038219900109123x", "18-character"),
                                              ("４３０３８２１９９００１０９１２３４", "18-character")])
def test_an_id_number_with_a_wrong_check_digit_is_refused(gsvc, id_number, words):
    body = case_body(reporter={"name": "王秀英", "phone": "13912345678", "id_number": id_number})
    assert words in refused(post(gsvc, body), "reporter.id_number")
    valid = case_body(reporter={"name": "王秀英", "phone": "13912345678", "id_number": "11010519491231002X"})
    assert post(gsvc, valid).status_code == 201


def test_a_topic_the_dispatch_catalogue_does_not_know_is_refused(gsvc):
    reason = refused(post(gsvc, case_body(topic="ufo_sighting")), "topic")
    assert "dispatch catalogue" in reason and "road" in reason
    assert post(gsvc, case_body(topic=None, content="没有主题的诉求内容。")).status_code == 201


def test_the_catalogue_read_copy_follows_routings_changes(gsvc):
    changed = event("catalogue.changed", "dispatch-catalogue", {
        "kind": "dispatch_rule", "action": "created", "item": "30", "version": 1, "lineage_id": 30,
        "values": {"topic": "ufo_sighting"}, "reason": "新增", "topics": ["road", "ufo_sighting"]},
        source="/wangge/routing")
    assert gsvc.deliver(changed, "cases.v1") == "processed"
    deadline = event("catalogue.changed", "deadline_rule:4", {
        "kind": "deadline_rule", "action": "created", "item": "4", "version": 1, "lineage_id": 4,
        "values": {"topic": "road"}, "reason": "时限"}, source="/wangge/routing")
    assert gsvc.deliver(deadline, "cases.v1") == "processed"  # no topic list: the copy stays
    assert post(gsvc, case_body(topic="ufo_sighting")).status_code == 201
    assert "dispatch catalogue" in refused(post(gsvc, case_body(topic="water")), "topic")


def test_a_second_push_of_an_external_case_names_the_case_already_registered(gsvc):
    body = case_body(channel="integration", received_by={"kind": "system", "id": "zz"},
                     external_ref={"system": "zongzhi", "id": "ZZ-77"})
    first = post(gsvc, body)
    assert first.status_code == 201
    again = post(gsvc, {**body, "content": "同一件事再推送一次。"})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert again.json["existing_case_id"] == first.json["id"]
    bulk = gsvc.client.post("/v1/cases/bulk", json={"cases": [body]}, headers=gsvc.headers())
    assert bulk.json["results"][0]["status"] == 409
    assert bulk.json["results"][0]["existing_case_id"] == first.json["id"]


def test_tracking_codes_are_case_insensitive_everywhere(gsvc):
    code = post(gsvc, case_body()).json["tracking_code"]
    for typed in (code.lower(), f" {code.lower()} ", code.swapcase()):
        found = gsvc.client.get("/v1/cases", query_string={"tracking_code": typed}, headers=gsvc.headers()).json
        assert [c["tracking_code"] for c in found["items"]] == [code], typed
        assert gsvc.client.get(f"/v1/track/{typed.strip()}").status_code == 200
        assert gsvc.client.get(f"/track/{typed.strip()}").status_code == 200


def test_staff_find_a_special_groups_cases_by_priority(gsvc):
    high = post(gsvc, case_body(special_groups=["left_behind_child"])).json
    post(gsvc, case_body(content="另一件一般的事情。"))
    assert high["priority"] == "high"
    assert [e.data["priority"] for e in gsvc.outbox() if e.type == "case.registered"] == ["high", "normal"]
    found = gsvc.client.get("/v1/cases", query_string={"priority": "high"}, headers=gsvc.headers()).json
    assert [c["id"] for c in found["items"]] == [high["id"]]
    bad = gsvc.client.get("/v1/cases", query_string={"priority": "vip"}, headers=gsvc.headers())
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "priority"
