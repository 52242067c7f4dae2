"""Notify: the reporter hears in Chinese that the case was received and where it went, once each."""
import copy
import uuid

from wangge_common import contracts
from wangge_common.testing import event

EXAMPLE = contracts.contract("case.registered", 1).schema["examples"][0]


def registered(reporter_ref="rp_abc"):
    data = copy.deepcopy(EXAMPLE)
    data.update(case_id=str(uuid.uuid4()), reporter_ref=reporter_ref, tracking_code="WG7K3M9Q2P")
    return event("case.registered", data["case_id"], data, source="/wangge/intake")


def triaged(case, department=("town-construction", "镇村镇建设办")):
    return event("case.triaged", case.subject, {
        "case_id": case.subject, "path": "town" if department else "manual",
        "department": {"code": department[0], "name": department[1]} if department else None,
        "work_order_id": str(uuid.uuid4()) if department else None, "rule_id": 1 if department else None,
        "reason": "test"}, source="/wangge/routing")


def inbox(svc, case):
    return svc.client.get(f"/v1/notifications?case_id={case.subject}", headers=svc.headers()).json["items"]


def test_the_reporter_is_told_of_receipt_and_of_the_department(svc):
    case = registered()
    svc.deliver(case, "cases.v1")
    svc.deliver(triaged(case), "cases.v1")
    bodies = [n["body"] for n in inbox(svc, case)]
    assert bodies[0].startswith("您反映的问题已受理，受理编号WG7K3M9Q2P")
    assert "已转交镇村镇建设办办理" in bodies[1]
    sent = [e for e in svc.outbox() if e.type == "notification.sent"]
    assert len(sent) == 2 and all(e.data["recipient_ref"] == "rp_abc" for e in sent)


def test_a_manual_triage_says_staff_are_sorting_it(svc):
    case = registered()
    svc.deliver(case, "cases.v1")
    svc.deliver(triaged(case, department=None), "cases.v1")
    assert "正在由工作人员梳理分办" in inbox(svc, case)[1]["body"]


def test_redelivered_events_send_nothing_twice(svc):
    case = registered()
    sent_on = triaged(case)
    for _ in range(2):
        svc.deliver(case, "cases.v1")
        svc.deliver(sent_on, "cases.v1")
    assert len(inbox(svc, case)) == 2
    assert len([e for e in svc.outbox() if e.type == "notification.sent"]) == 2


def test_an_anonymous_reporter_gets_no_message(svc):
    case = registered(reporter_ref=None)
    svc.deliver(case, "cases.v1")
    svc.deliver(triaged(case), "cases.v1")
    assert inbox(svc, case) == [] and svc.outbox() == []
