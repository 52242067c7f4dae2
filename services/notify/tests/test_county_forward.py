"""Issue 17, item 3: a county matter goes through the township congress (镇人大): the congress staff get the order to
forward (not the county department), the department gets it once forwarded, a late forward reaches the staff, and
the staff are told the department's answer."""
import uuid

from wangge_common import contracts
from wangge_common.testing import event

from notifyfakes import case_event, registered

COUNTY = {"code": "county-market-regulation", "name": "县市场监督管理局"}
VIA = {"code": "town-congress", "name": "镇人大"}


def dispatched_v2(case, **data):
    body = {"case_id": case.subject, "work_order_id": str(uuid.uuid4()), "state": "dispatched",
            "previous_state": None, "reason": "dispatch rule 4", "role": "sole", "deadline_rule": "complaint: 15 days",
            "due_at": "2026-12-11T09:00:00Z", "sign_due_at": "2026-11-22T09:00:00Z",
            "department": {"code": "town-construction", "name": "镇村镇建设办"}, **data}
    made = event("work_order.dispatched", case.subject, body, source="/wangge/routing", version=2)
    contracts.validate(made)
    return made


def _texts(world, event_type):
    return {(d["audience"], d["recipient_ref"], d["channel"]): d["body"] for d in world.deliveries()
            if d["event_type"] == event_type}


def test_the_congress_receives_forwards_and_hears_the_answer(world):
    svc = world.svc
    mailbox = svc.client.post("/v1/recipients", json={"audience": "congress_staff", "name": "镇人大办",
                                                       "email": "rd@town.example.cn"}, headers=svc.headers()).json
    case = registered()
    svc.deliver(case, "cases.v1")
    order = str(uuid.uuid4())
    dispatched = dispatched_v2(case, work_order_id=order, department=COUNTY, forward_via=VIA,
                               forward_due_at="2026-11-21T09:00:00Z")
    assert svc.deliver(dispatched, "cases.v1") == "processed"
    texts = _texts(world, "work_order.dispatched")
    assert set(texts) == {("congress_staff", "staff", "inbox"), ("congress_staff", f"recipient:{mailbox['id']}",
                                                                 "email")}
    assert "请于2026年11月21日 17:00前核实并转办" in texts[("congress_staff", "staff", "inbox")]
    late = case_event(case, "work_order.forward_overdue", work_order_id=order, department=COUNTY,
                      previous_state="dispatched", reason="not forwarded within the forwarding limit", via=VIA,
                      forward_due_at="2026-11-21T09:00:00Z")
    svc.deliver(late, "cases.v1")
    late_text = _texts(world, "work_order.forward_overdue")[("congress_staff", "staff", "inbox")]
    assert "超过转办时限（2026年11月21日 17:00）" in late_text and "forward" not in late_text
    forwarded = case_event(case, "work_order.forwarded", work_order_id=order, department=COUNTY,
                           previous_state="dispatched", reason="已核实", via=VIA,
                           forward_due_at="2026-11-21T09:00:00Z", on_time=False, due_at="2026-12-12T09:00:00Z",
                           sign_due_at="2026-11-23T09:00:00Z")
    svc.deliver(forwarded, "cases.v1")
    svc.deliver(forwarded, "cases.v1")  # redelivered: told once
    texts = _texts(world, "work_order.forwarded")
    assert list(texts) == [("department", "dept:county-market-regulation", "inbox")]
    assert texts[("department", "dept:county-market-regulation", "inbox")].startswith("县市场监督管理局：镇人大转办工单")
    answered = case_event(case, "case.answered", state="answered", previous_state="in_progress", on_the_spot=False,
                          department=COUNTY, summary="已立案调查，责令商户整改。", on_time=True, forward_via=VIA)
    svc.deliver(answered, "cases.v1")
    told = _texts(world, "case.answered")
    assert told[("congress_staff", "staff", "inbox")] == ("镇人大转办的县级事项（受理编号WG7K3M9Q2P）已由县市场监督管理局答复："
                                                          "已立案调查，责令商户整改。")
    assert ("congress_staff", f"recipient:{mailbox['id']}", "email") in told


def test_a_town_order_still_goes_to_its_department_and_its_answer_not_to_the_congress(world):
    svc = world.svc
    case = registered()
    svc.deliver(case, "cases.v1")
    svc.deliver(dispatched_v2(case), "cases.v1")
    assert {k[0] for k in _texts(world, "work_order.dispatched")} == {"department"}
    svc.deliver(case_event(case, "case.answered", state="answered", previous_state="in_progress", on_the_spot=False,
                           department={"code": "town-construction", "name": "镇村镇建设办"}, summary="已修复。",
                           on_time=True), "cases.v1")
    assert "congress_staff" not in {k[0] for k in _texts(world, "case.answered")}
