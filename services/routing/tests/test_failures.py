"""Bad input, missing rights and unknown things answer problem+json naming the field and the reason."""
from datetime import datetime, timedelta, timezone

DEPUTY = "d0000000-0000-4000-8000-000000000007"
LEAD = {"code": "town-legal-service", "name": "镇司法所", "role": "lead"}
MEMBERS = [{"code": "town-construction", "name": "镇村镇建设办", "role": "member"},
           {"code": "county-natural-resources", "name": "县自然资源局", "role": "member"}]


def test_department_actions_need_the_orders_scope(svc):
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id)
    assert svc.client.post(f"/v1/work-orders/{order['id']}/sign", json={}).status_code == 401
    forbidden = svc.act(order["id"], "sign", key="reader", expect=403)
    assert "orders:handle" in forbidden["detail"]
    assert svc.order(case_id)["state"] == "dispatched"


def test_unknown_cases_and_orders_are_404_problems(svc):
    missing = svc.client.get("/v1/cases/5a1e0000-0000-4000-8000-0000000000ff", headers=svc.headers("reader"))
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert svc.client.get("/v1/work-orders/not-a-uuid", headers=svc.headers("reader")).status_code == 404
    svc.post("/v1/cases/5a1e0000-0000-4000-8000-0000000000ff/replies", {"channel": "phone", "reason": "x"},
             expect=404)


def test_manual_triage_checks_its_departments(svc):
    case_id = svc.register(category="request", topic="road")
    two = svc.post(f"/v1/cases/{case_id}/triage", {"path": "town", "reason": "x", "departments": MEMBERS},
                   expect=422)
    assert two["errors"] == [{"field": "departments", "reason": "a town path takes exactly one department"}]
    svc.post(f"/v1/cases/{case_id}/triage", {"path": "major_issue", "reason": "x", "departments": MEMBERS},
             expect=422)
    missing = svc.post(f"/v1/cases/{case_id}/triage", {"path": "joint_mediation", "reason": "x",
                                                       "departments": [LEAD, *MEMBERS]}, expect=422)
    assert {e["field"] for e in missing["errors"]} == {"mediators", "convenor_deputy_id"}
    unknown = svc.post(f"/v1/cases/{case_id}/triage", {"path": "regional", "reason": "x"}, expect=422)
    assert unknown["errors"][0]["field"] == "path"
    assert svc.order(case_id)["state"] == "dispatched"  # nothing changed


def test_a_member_of_a_mediation_returning_its_order_leaves_the_case_with_the_lead(svc):
    case_id = svc.register(category="complaint", topic="neighbour_dispute")
    svc.post(f"/v1/cases/{case_id}/triage", {"path": "joint_mediation", "departments": [LEAD, *MEMBERS],
                                             "mediators": ["张调解员"], "convenor_deputy_id": DEPUTY,
                                             "reason": "多部门纠纷"})
    member = svc.order(case_id, department_code="county-natural-resources")
    svc.act(member["id"], "return", {"reason": "不涉及本部门"})
    assert svc.case(case_id)["state"] == "assigned"
    assert svc.events(case_id, "case.returned") == []
    lead = svc.order(case_id, role="lead")
    svc.act(lead["id"], "sign")
    bad = svc.act(lead["id"], "answer", {"summary": "x", "mediation": {"outcome": "maybe", "mediators": []}},
                  expect=422)
    assert {e["field"] for e in bad["errors"]} == {"mediation.outcome", "mediation.mediators"}


def test_a_sole_order_cannot_record_a_mediation_and_a_refused_extension_keeps_the_deadline(svc):
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id)
    signed = svc.act(order["id"], "sign")
    svc.act(order["id"], "answer", {"summary": "x", "mediation": {"outcome": "agreement", "mediators": ["张"]}},
            expect=422)
    later = (datetime.now(timezone.utc) + timedelta(days=40)).isoformat()
    svc.act(order["id"], "extension-request", {"requested_due_at": later, "reason": "需等待配件"})
    refused = svc.act(order["id"], "extension-decision", {"approved": False, "reason": "时限内可以完成"})
    assert refused["due_at"] == signed["due_at"]
    decided = svc.events(case_id, "work_order.extension_decided")[0]
    assert decided.data["approved"] is False
    assert datetime.fromisoformat(decided.data["due_at"]) == datetime.fromisoformat(signed["due_at"])


def test_a_closed_case_takes_no_more_replies_or_answers(svc):
    case_id = svc.register(category="enquiry", topic="policy")
    svc.post(f"/v1/cases/{case_id}/on-the-spot-answer", {"deputy_id": DEPUTY, "summary": "已解答"})
    svc.post(f"/v1/cases/{case_id}/ratings", {"rating": "satisfied", "via": "station"})
    late = svc.post(f"/v1/cases/{case_id}/replies", {"channel": "phone", "reason": "x"}, expect=409)
    assert "closed" in late["detail"]
    bad = svc.post(f"/v1/cases/{case_id}/on-the-spot-answer", {"deputy_id": "nobody", "summary": ""}, expect=422)
    assert {e["field"] for e in bad["errors"]} == {"deputy_id", "summary"}


def test_a_409_names_only_what_a_client_can_do_through_the_api(svc):
    case_id = svc.register()
    order = svc.order(case_id)
    svc.act(order["id"], "sign")
    early = svc.post(f"/v1/cases/{case_id}/ratings", {"rating": "satisfied", "via": "station"}, expect=409)
    assert "signed" in early["detail"]
    for internal in ("withdraw", "cancel", "escalate", "reopen", ", assign"):
        assert internal not in early["detail"]
    assert "POST /v1/work-orders/{id}/answer" in early["detail"]
    again = svc.act(order["id"], "sign", expect=409)
    assert "cancel" not in again["detail"] and "POST /v1/work-orders/{id}/return" in again["detail"]


def test_a_reply_by_a_made_up_or_other_grids_deputy_is_refused(svc):
    """谁接待、谁答复: the first receiver or another deputy serving the grid replies; a made-up id made a KPI row of
    a deputy who does not exist."""
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id)
    svc.act(order["id"], "sign")
    svc.act(order["id"], "answer", {"summary": "已修复"})
    made_up = svc.post(f"/v1/cases/{case_id}/replies", {"channel": "phone", "reason": "x",
                                                         "deputy_id": "d0000000-0000-4000-8000-0000000000ff"},
                       expect=422)
    assert made_up["errors"][0]["field"] == "deputy_id"
    spot = svc.register(category="enquiry", topic="policy")
    svc.post(f"/v1/cases/{spot}/on-the-spot-answer", {"deputy_id": "d0000000-0000-4000-8000-0000000000ff",
                                                      "summary": "已解答"}, expect=422)
    assert svc.post(f"/v1/cases/{case_id}/replies", {"channel": "phone", "reason": "电话告知"})["state"] == "resolved"


def test_a_phone_or_email_typed_into_an_answer_or_reason_never_reaches_an_event(svc):
    case_id = svc.register()
    order = svc.order(case_id, state="dispatched")
    svc.act(order["id"], "sign")
    svc.act(order["id"], "start", {"reason": "已电话联系居民 139 1234 5678"})
    svc.act(order["id"], "answer", {"summary": "已更换灯泡，回访电话１３９１２３４５６７８，邮件wang@example.cn"})
    wire = " ".join(e.to_json() for e in svc.outbox())
    for clear in ("1234 5678", "１３９１２３４５６７８", "13912345678", "wang@"):
        assert clear not in wire, clear
    answered = svc.events(case_id, "work_order.answered")[-1].data
    assert answered["summary"] == "已更换灯泡，回访电话139****5678，邮件w***@example.cn"
