"""Issue 17, item 3: a county matter goes through the township people's congress (镇人大). The congress receives the
order, forwards it to the county department (its own step: an event with actor and reason, its own time limit,
flagged once when late), and is told the answer. Item 5: case.triaged names the first receiver."""
from datetime import datetime, timedelta, timezone

from wangge_common.clock import parse_time

GRID_DEPUTY = "d0000000-0000-4000-8000-000000000007"  # the conftest grid's township deputy

FORWARD = {"reason": "已核实情况，转县市场监督管理局办理"}


def test_the_township_congress_receives_forwards_and_is_told_the_answer(svc):
    case_id = svc.register(category="complaint", topic="food_safety")
    (dispatched,) = svc.events(case_id, "work_order.dispatched")
    assert dispatched.data["forward_via"] == {"code": "town-congress", "name": "镇人大"}
    forward_due = datetime.fromisoformat(dispatched.data["forward_due_at"])
    assert timedelta(hours=23) < forward_due - datetime.now(timezone.utc) <= timedelta(hours=24)
    order = svc.order(case_id)
    assert order["awaiting_forward"] is True and order["forwarded_at"] is None
    # the county department cannot sign or return what the congress has not forwarded yet
    refused = svc.act(order["id"], "sign", expect=409)
    assert "forward" in refused["detail"] and refused["errors"][0]["field"] == "state"
    svc.act(order["id"], "return", {"reason": "不属于本部门"}, expect=409)
    # the congress's own list (待转办)
    waiting = svc.client.get("/v1/work-orders?awaiting_forward=true", headers=svc.headers("reader")).json["items"]
    assert [o["id"] for o in waiting] == [order["id"]]
    # forwarding is township congress staff's step (cases:supervise) and needs a reason
    svc.act(order["id"], "forward", FORWARD, key="reader", expect=403)
    bad = svc.act(order["id"], "forward", {}, expect=422)
    assert "reason" in str(bad["errors"])
    forwarded = svc.act(order["id"], "forward", FORWARD)
    assert forwarded["awaiting_forward"] is False and forwarded["forwarded_by"]
    (event,) = svc.events(case_id, "work_order.forwarded")
    assert event.actor == forwarded["forwarded_by"] and event.data["reason"] == FORWARD["reason"]
    assert event.data["on_time"] is True and event.data["via"]["name"] == "镇人大"
    assert event.data["department"]["code"] == "county-market-regulation"
    # the department's limits count from the forward, not from the congress's provisional limit
    provisional_sign = datetime.fromisoformat(dispatched.data["sign_due_at"])
    assert provisional_sign - forward_due == timedelta(hours=24)
    assert datetime.fromisoformat(event.data["sign_due_at"]) < provisional_sign - timedelta(hours=23)
    assert datetime.fromisoformat(event.data["due_at"]) < datetime.fromisoformat(dispatched.data["due_at"])
    history = [h for h in svc.case(case_id)["history"] if h["event_type"] == "work_order.forwarded"]
    assert history and history[0]["reason"] == FORWARD["reason"]
    svc.act(order["id"], "forward", FORWARD, expect=409)  # once
    assert svc.client.get("/v1/work-orders?awaiting_forward=true", headers=svc.headers("reader")).json["items"] == []
    svc.act(order["id"], "sign")
    svc.act(order["id"], "answer", {"summary": "已立案调查，责令商户整改。"})
    (answered,) = svc.events(case_id, "case.answered")
    assert answered.data["forward_via"]["name"] == "镇人大"  # notify tells the congress the answer
    assert svc.case(case_id)["state"] == "answered"


def test_a_late_forward_is_flagged_once_and_the_department_is_not_blamed(svc):
    case_id = svc.register(category="complaint", topic="food_safety")
    order = svc.order(case_id)
    forward_due = datetime.fromisoformat(order["forward_due_at"])
    svc.run_jobs(forward_due - timedelta(minutes=1))
    assert svc.events(case_id, "work_order.forward_overdue") == []
    svc.run_jobs(forward_due + timedelta(hours=30))  # past the provisional signing limit too
    svc.run_jobs(forward_due + timedelta(hours=31))
    (late,) = svc.events(case_id, "work_order.forward_overdue")
    assert late.data["via"]["code"] == "town-congress"
    assert parse_time(late.data["forward_due_at"]) == parse_time(order["forward_due_at"])
    assert late.data["forward_due_at"].endswith("Z")  # events carry wire time (UTC, Z), as every service writes it
    # the department never had the order: it is not flagged for not signing it
    assert svc.events(case_id, "work_order.signing_overdue") == []
    assert svc.order(case_id)["forward_overdue"] is True


def test_a_forward_is_refused_for_an_order_sent_directly(svc):
    case_id = svc.register(category="request", topic="streetlight")
    order = svc.order(case_id)
    assert order["forward_due_at"] is None and order["awaiting_forward"] is False
    assert "forward_via" not in svc.events(case_id, "work_order.dispatched")[0].data
    refused = svc.act(order["id"], "forward", FORWARD, expect=409)
    assert "directly" in refused["detail"]


def test_a_county_path_chosen_by_hand_also_goes_through_the_congress(svc):
    case_id = svc.register(category="other", topic=None)
    svc.post(f"/v1/cases/{case_id}/triage", {"path": "county", "reason": "县交通运输局管养", "departments": [
        {"code": "county-transport", "name": "县交通运输局"}]})
    order = svc.order(case_id)
    assert order["awaiting_forward"] is True
    svc.act(order["id"], "forward", FORWARD)
    svc.act(order["id"], "sign")


def test_triaged_names_the_first_receiver(svc):
    case_id = svc.register(category="request", topic="streetlight")
    (triaged,) = svc.events(case_id, "case.triaged")
    assert triaged.data["first_receiver_deputy_id"] == GRID_DEPUTY
