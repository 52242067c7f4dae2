"""The dispatch catalogue, deadline rules and holiday calendar: edited through the API, with history."""
from datetime import date, datetime, timedelta

import pytest

from routing import domain

LINE = {"category": "request", "topic": "bridge", "level": "county", "department_code": "county-transport",
        "department_name": "县交通运输局", "priority": 20, "reason": "桥梁归县交通运输局管养"}


def test_a_catalogue_edit_adds_a_version_and_keeps_the_old_one(svc):
    created = svc.post("/v1/dispatch-rules", LINE, expect=201)
    assert created["version"] == 1 and created["lineage_id"] == created["id"]
    assert created["changed_by"] == "apikey:all"
    case_id = svc.register(category="request", topic="bridge")
    assert svc.order(case_id)["department_code"] == "county-transport"

    put = svc.client.put(f"/v1/dispatch-rules/{created['id']}", headers=svc.headers(),
                         json={**LINE, "department_code": "county-highways", "department_name": "县公路事务中心",
                               "reason": "机构改革后由县公路事务中心负责"})
    assert put.status_code == 200 and put.json["version"] == 2 and put.json["lineage_id"] == created["id"]
    history = svc.client.get(f"/v1/dispatch-rules/{put.json['id']}/history", headers=svc.headers("reader")).json
    assert [(h["version"], h["active"], h["department_code"]) for h in history] == [
        (1, False, "county-transport"), (2, True, "county-highways")]
    stale = svc.client.put(f"/v1/dispatch-rules/{created['id']}", headers=svc.headers(), json=LINE)
    assert stale.status_code == 409
    case_id = svc.register(category="request", topic="bridge")
    assert svc.order(case_id)["department_code"] == "county-highways"

    retired = svc.client.delete(f"/v1/dispatch-rules/{put.json['id']}?reason=不再单列", headers=svc.headers())
    assert retired.status_code == 200 and retired.json["active"] is False
    active = svc.client.get("/v1/dispatch-rules", headers=svc.headers("reader")).json
    assert "bridge" not in [line["topic"] for line in active]
    everything = svc.client.get("/v1/dispatch-rules?include_retired=true", headers=svc.headers("reader")).json
    assert len(everything) == len(active) + 2


def test_catalogue_edits_need_routing_admin_and_valid_lines(svc):
    assert svc.client.post("/v1/dispatch-rules", json=LINE, headers=svc.headers("reader")).status_code == 403
    bad = svc.client.post("/v1/dispatch-rules", json={**LINE, "level": "province", "reason": ""},
                          headers=svc.headers())
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {e["field"] for e in bad.json["errors"]} == {"level", "reason"}
    assert svc.client.delete("/v1/dispatch-rules/1", headers=svc.headers()).status_code == 422  # no reason
    assert svc.client.get("/v1/dispatch-rules/9999", headers=svc.headers("reader")).status_code == 404


def test_deadline_rules_pick_the_most_specific_and_are_versioned(svc):
    lines = svc.client.get("/v1/deadline-rules", headers=svc.headers("reader")).json
    urgent_safety = next(r for r in lines if r["topic"] == "safety")
    assert (urgent_safety["amount"], urgent_safety["unit"]) == (2, "hours")
    case_id = svc.register(category="request", topic="safety", urgency="urgent")
    order = svc.order(case_id)
    assert order["deadline_rule"] == "*/safety/urgent: 2 hours"
    # the handling clock runs from dispatch: signing later does not move it
    hours = (datetime.fromisoformat(order["due_at"]) - datetime.fromisoformat(order["created_at"]))
    assert hours == timedelta(hours=2)
    signed = svc.act(order["id"], "sign")
    assert signed["due_at"] == order["due_at"]
    revised = svc.client.put(f"/v1/deadline-rules/{urgent_safety['id']}", headers=svc.headers(), json={
        "topic": "safety", "urgency": "urgent", "amount": 1, "unit": "hours", "reason": "安全隐患1小时内到场"})
    assert revised.status_code == 200 and revised.json["version"] == 2
    bad = svc.client.post("/v1/deadline-rules", headers=svc.headers(), json={"amount": 0, "unit": "weeks",
                                                                              "reason": "x"})
    assert {e["field"] for e in bad.json["errors"]} == {"amount", "unit"}


def test_the_holiday_calendar_is_edited_through_the_api_and_moves_working_day_deadlines(svc):
    put = svc.client.put("/v1/holidays/2026-10-01", json={"kind": "holiday", "name": "国庆节"}, headers=svc.headers())
    assert put.status_code == 200 and put.json["day"] == "2026-10-01"
    assert svc.client.put("/v1/holidays/2026-10-01", json={"kind": "holiday", "name": "国庆节"},
                          headers=svc.headers("reader")).status_code == 403
    assert svc.client.put("/v1/holidays/2026-13-01", json={"kind": "holiday", "name": "x"},
                          headers=svc.headers()).status_code == 422
    svc.client.put("/v1/holidays/2026-10-10", json={"kind": "workday", "name": "国庆调休"}, headers=svc.headers())
    listed = svc.client.get("/v1/holidays?year=2026", headers=svc.headers("reader")).json
    assert [(h["day"], h["kind"]) for h in listed] == [("2026-10-01", "holiday"), ("2026-10-10", "workday")]
    assert svc.client.delete("/v1/holidays/2026-10-10", headers=svc.headers()).status_code == 204
    assert svc.client.delete("/v1/holidays/2026-10-10", headers=svc.headers()).status_code == 404


CHINA = domain.CHINA
SEVEN_WORKING_DAYS = domain.DeadlineRule(None, None, None, None, 7, "working_days")


@pytest.mark.parametrize("start, calendar, due", [
    # Monday 09:00 + 7 working days = Wednesday next week 09:00
    (datetime(2026, 11, 16, 9, tzinfo=CHINA), {}, datetime(2026, 11, 25, 9, tzinfo=CHINA)),
    # a holiday on the Friday pushes it one working day on
    (datetime(2026, 11, 16, 9, tzinfo=CHINA), {date(2026, 11, 20): "holiday"}, datetime(2026, 11, 26, 9, tzinfo=CHINA)),
    # a Saturday working day (调休) pulls it one day in
    (datetime(2026, 11, 16, 9, tzinfo=CHINA), {date(2026, 11, 21): "workday"}, datetime(2026, 11, 24, 9, tzinfo=CHINA)),
    # signed on a Saturday: counting starts on Monday
    (datetime(2026, 11, 21, 15, tzinfo=CHINA), {}, datetime(2026, 12, 1, 15, tzinfo=CHINA)),
])
def test_working_days_skip_weekends_and_holidays(start, calendar, due):
    assert domain.due_at(start, SEVEN_WORKING_DAYS, calendar) == due


def test_the_transition_table_refuses_what_the_loop_does_not_allow():
    assert domain.next_state("answered", "reply") == "resolved"
    with pytest.raises(domain.IllegalTransition) as refused:
        domain.next_state("closed", "reopen")
    assert refused.value.status == 409 and "closed" in refused.value.detail and "reopen" in refused.value.detail
    for state in domain.TERMINAL:
        assert not [a for (s, a) in domain.TRANSITIONS if s == state]


def test_the_first_receiver_is_the_grids_township_deputy_from_the_roster_read_copy(svc):
    from wangge_common.testing import event

    grid, county, township = ("6f1c2d4e-0000-4000-8000-000000000001", "d0000000-0000-4000-8000-000000000001",
                              "d0000000-0000-4000-8000-000000000002")
    svc.deliver(event("grid.created", grid, {"grid_id": grid, "code": "SS-01", "name": "韶山村网格", "level": 2,
                                             "parent_id": None, "kind": "rural_village", "households": 250,
                                             "population": 800, "difficulty": 2, "leader": None},
                      source="/wangge/roster"), "roster.v1")
    svc.deliver(event("assignment.published", grid, {"grid_id": grid, "plan_id": county, "deputies": [
        {"deputy_id": county, "kind": "npc_deputy", "level": "county"},
        {"deputy_id": township, "kind": "npc_deputy", "level": "township"}]}, source="/wangge/roster"), "roster.v1")
    case_id = svc.register(grid_id=grid, received_by={"kind": "call_taker", "id": "ct-04"})
    assert svc.case(case_id)["first_receiver_deputy_id"] == township
    svc.deliver(event("assignment.ended", grid, {"grid_id": grid, "deputy_id": township, "reason": "换届"},
                      source="/wangge/roster"), "roster.v1")
    case_id = svc.register(grid_id=grid, received_by={"kind": "call_taker", "id": "ct-04"})
    assert svc.case(case_id)["first_receiver_deputy_id"] == county


def test_every_catalogue_change_announces_the_topics_it_routes(svc):
    """Issue 18 item 7: intake keeps a read copy of the catalogue's topics from catalogue.changed (dispatch lines)."""
    def announced():
        return [e for e in svc.outbox() if e.type == "catalogue.changed" and e.data["kind"] == "dispatch_rule"]

    created = svc.post("/v1/dispatch-rules", {**LINE, "reason": "桥梁归县交通运输局管养，电话13912345678"},
                       expect=201)
    assert [(e.subject, e.data["action"], e.data["item"]) for e in announced()] == [
        ("dispatch-catalogue", "created", str(created["id"]))]
    assert "bridge" in announced()[-1].data["topics"] and "road" in announced()[-1].data["topics"]
    assert "13912345678" not in announced()[-1].data["reason"]  # free text is redacted before it leaves
    svc.client.delete(f"/v1/dispatch-rules/{created['id']}?reason=不再单列", headers=svc.headers())
    retired = announced()[-1]
    assert retired.data["action"] == "retired" and "bridge" not in retired.data["topics"]
    svc.post("/v1/deadline-rules", {"category": None, "topic": "bridge", "urgency": None, "amount": 5,
                                    "unit": "days", "reason": "桥梁五日"}, expect=201)
    deadline = [e for e in svc.outbox() if e.type == "catalogue.changed"][-1]
    assert deadline.data["kind"] == "deadline_rule" and "topics" not in deadline.data  # routes no topic
