"""Issue 18 item 8: a special group's case (低保, 残疾, 孤寡老人, 留守儿童) is high priority in routing too — the
priority deadline rule gives it 3 working days instead of 7; lists, filters and the board show it."""
import copy
import uuid

from wangge_common import contracts
from wangge_common.testing import event

EXAMPLE = contracts.contract("case.registered", 1).schema["examples"][0]


def dispatched(svc, case_id):
    [order] = svc.events(case_id, "work_order.dispatched")
    return order.data


def test_a_high_priority_case_gets_the_priority_deadline_not_the_normal_one(svc):
    normal = dispatched(svc, svc.register(category="request", topic="road", priority="normal"))
    high = dispatched(svc, svc.register(category="request", topic="road", special_groups=["elderly_alone"],
                                        priority="high"))
    assert normal["deadline_rule"] == "request/*/normal: 7 working days"
    assert high["deadline_rule"] == "*/*/* priority high: 3 working days"
    assert high["due_at"] < normal["due_at"]


def test_an_event_without_priority_is_read_from_its_special_groups(svc):
    """case.registered written before it carried `priority` (or by an older intake) still counts."""
    data = copy.deepcopy(EXAMPLE)
    data.update(case_id=str(uuid.uuid4()), special_groups=["disabled"])
    data.pop("priority", None)
    assert svc.deliver(event("case.registered", data["case_id"], data, source="/wangge/intake"),
                       "cases.v1") == "processed"
    assert "priority high" in dispatched(svc, data["case_id"])["deadline_rule"]
    assert svc.case(data["case_id"])["priority"] == "high"


def test_urgent_matters_keep_their_hours(svc):
    urgent = dispatched(svc, svc.register(urgency="urgent", priority="urgent", special_groups=["disabled"]))
    assert urgent["deadline_rule"] == "*/*/urgent: 24 hours"


def test_staff_filter_cases_and_orders_by_priority_and_see_it_on_the_board(svc):
    high = svc.register(special_groups=["left_behind_child"], priority="high")
    normal = svc.register(priority="normal")
    listed = svc.client.get("/v1/cases?priority=high", headers=svc.headers("reader")).json["items"]
    assert [c["case_id"] for c in listed] == [high] and listed[0]["priority"] == "high"
    orders = svc.client.get("/v1/work-orders?priority=high", headers=svc.headers("reader")).json["items"]
    assert {o["case_id"] for o in orders} == {high} and orders[0]["priority"] == "high"
    every = svc.client.get("/v1/work-orders", headers=svc.headers("reader")).json["items"]
    assert {o["case_id"]: o["priority"] for o in every} == {high: "high", normal: "normal"}
    bad = svc.client.get("/v1/cases?priority=vip", headers=svc.headers("reader"))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "priority"
    html = svc.client.get("/board").get_data(as_text=True)
    assert "<th>优先级</th>" in html and '<td class="priority-high">优先</td>' in html


def test_a_priority_deadline_rule_can_be_edited_like_any_other(svc):
    rules = svc.client.get("/v1/deadline-rules", headers=svc.headers("reader")).json
    [rule] = [r for r in rules if r["priority"] == "high"]
    revised = svc.client.put(f"/v1/deadline-rules/{rule['id']}", headers=svc.headers(), json={
        "category": None, "topic": None, "urgency": None, "priority": "high", "amount": 2, "unit": "working_days",
        "reason": "特殊群体两个工作日内办结"})
    assert revised.status_code == 200, revised.json
    assert "2 working days" in dispatched(svc, svc.register(priority="high", special_groups=["disabled"]))["deadline_rule"]
