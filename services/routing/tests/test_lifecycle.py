"""Every path of the closed loop (问题梳理 → 交办办理 → 结果反馈 → 群众评议) at service level."""
from datetime import datetime, timedelta, timezone

from wangge_common.testing import event

LEAD = {"code": "town-legal-service", "name": "镇司法所", "role": "lead"}
MEMBERS = [{"code": "town-construction", "name": "镇村镇建设办", "role": "member"},
           {"code": "county-natural-resources", "name": "县自然资源局", "role": "member"}]
DEPUTY = "d0000000-0000-4000-8000-000000000007"


def _history_states(case):
    return [(h["event_type"], h["previous_state"], h["state"]) for h in case["history"]
            if h["event_type"].startswith("case.")]


def test_on_the_spot_answer_is_the_reply_and_a_satisfied_rating_closes_the_case(svc):
    case_id = svc.register(category="enquiry", topic="policy",
                           received_by={"kind": "deputy", "id": DEPUTY})
    svc.post(f"/v1/cases/{case_id}/on-the-spot-answer",
             {"deputy_id": DEPUTY, "summary": "已现场解释低保申请流程及所需材料。"})
    token = svc.token(case_id)
    page = svc.client.get(f"/v1/evaluations/{token}").json
    assert page["open"] is True and page["answered_by"] == "人大代表现场解答" and "content" not in page
    assert svc.post(f"/v1/evaluations/{token}", {"rating": "satisfied"}, key="none")["status"] == "used"

    assert svc.types(case_id) == ["case.triaged", "work_order.dispatched", "case.assigned", "work_order.cancelled",
                                  "case.answered", "case.replied", "case.evaluation_requested", "case.evaluated",
                                  "case.closed"]
    answered, replied, closed = (svc.events(case_id, t)[0] for t in ("case.answered", "case.replied", "case.closed"))
    assert answered.data["on_the_spot"] is True and replied.data["channel"] == "on_the_spot"
    assert replied.data["deputy_id"] == DEPUTY and replied.data["on_time"] is True
    assert closed.data["outcome"] == "satisfied" and closed.data["reopen_count"] == 0
    case = svc.case(case_id)
    assert case["state"] == "closed" and case["path"] == "on_the_spot"
    assert _history_states(case)[-5:] == [
        ("case.answered", "assigned", "answered"), ("case.replied", "answered", "resolved"),
        ("case.evaluation_requested", "resolved", "resolved"), ("case.evaluated", "resolved", "evaluated"),
        ("case.closed", "evaluated", "closed")]
    assert all(h["actor"] and h["reason"] for h in case["history"])
    assert svc.events(case_id, "case.evaluated")[0].actor == "resident:evaluation-link"


def test_a_town_matter_is_signed_started_answered_replied_and_rated(svc):
    case_id = svc.register(category="request", topic="road")
    order_id = svc.handle_to_answer(case_id)
    assert svc.case(case_id)["state"] == "answered"
    svc.reply(case_id)
    svc.reply(case_id, channel="visit")  # a second reply is recorded but opens no second rating round
    assert len(svc.events(case_id, "case.evaluation_requested")) == 1
    svc.post(f"/v1/cases/{case_id}/ratings", {"rating": "basically_satisfied", "via": "station"})
    case = svc.case(case_id)
    assert case["state"] == "closed" and case["outcome"] == "basically_satisfied" and case["on_time"] is True
    assert [s for _, _, s in _history_states(case)] == [
        "triaged", "assigned", "signed", "in_progress", "answered", "resolved", "resolved", "resolved", "evaluated",
        "closed"]
    signed = svc.events(case_id, "work_order.signed")[0]
    assert signed.data["working_days"] is True and signed.data["work_order_id"] == order_id
    assert svc.events(case_id, "case.evaluated")[0].data["via"] == "station"
    # the link of that round is now spent
    assert svc.client.post(f"/v1/evaluations/{svc.token(case_id)}", json={"rating": "satisfied"}).status_code == 409


def test_a_county_matter_goes_through_the_township_congress(svc):
    case_id = svc.register(category="complaint", topic="food_safety")
    assigned = svc.events(case_id, "case.assigned")[0]
    assert assigned.data["path"] == "county"
    assert assigned.data["work_orders"][0]["department"]["code"] == "county-market-regulation"
    assert "township people's congress" in assigned.data["reason"]
    order = svc.order(case_id)
    svc.act(order["id"], "forward", {"reason": "转县市场监督管理局办理"})  # the township congress forwards it
    svc.handle_to_answer(case_id)
    assert svc.case(case_id)["state"] == "answered"


def test_joint_mediation_with_three_departments_resolves_when_the_lead_records_the_outcome(svc):
    svc.deliver(event("assignment.published", "g", {"grid_id": EXAMPLE_GRID, "plan_id": PLAN, "deputies": [
        {"deputy_id": DEPUTY, "kind": "npc_deputy", "level": "township"}]}, source="/wangge/roster"), "roster.v1")
    case_id = svc.register(category="complaint", topic="neighbour_dispute", grid_id=EXAMPLE_GRID)
    body = {"path": "joint_mediation", "departments": [LEAD, *MEMBERS], "mediators": ["张调解员", "李律师"],
            "convenor_deputy_id": DEPUTY, "reason": "涉及宅基地、道路和土地的邻里纠纷"}
    bad = svc.post(f"/v1/cases/{case_id}/triage", {**body, "convenor_deputy_id": str(PLAN)}, expect=422)
    assert bad["errors"][0]["field"] == "convenor_deputy_id"
    svc.post(f"/v1/cases/{case_id}/triage", {**body, "departments": MEMBERS}, expect=422)  # no lead
    case = svc.post(f"/v1/cases/{case_id}/triage", body)
    open_orders = [o for o in case["work_orders"] if o["state"] == "dispatched"]
    assert sorted(o["role"] for o in open_orders) == ["lead", "member", "member"]
    assert [o["state"] for o in case["work_orders"] if o["department_code"] == "town-mediation"] == ["cancelled"]
    assigned = svc.events(case_id, "case.assigned")[-1]
    assert assigned.data["path"] == "joint_mediation" and len(assigned.data["work_orders"]) == 3

    lead = next(o for o in open_orders if o["role"] == "lead")
    member = next(o for o in open_orders if o["role"] == "member")
    svc.act(member["id"], "sign")
    assert svc.case(case_id)["state"] == "assigned"  # a member signing does not move the case
    svc.act(lead["id"], "sign")
    svc.act(lead["id"], "start")
    no_outcome = svc.act(lead["id"], "answer", {"summary": "调解完成"}, expect=422)
    assert no_outcome["errors"][0]["field"] == "mediation"
    outcome = {"outcome": "agreement", "mediators": ["张调解员", "李律师"], "summary": "双方达成调解协议，道路恢复通行。"}
    not_lead = svc.act(member["id"], "mediation-outcome", outcome, expect=409)
    assert not_lead["errors"] == [{"field": "role", "reason": "this order's role is member"}]
    svc.act(lead["id"], "mediation-outcome", outcome)
    case = svc.case(case_id)
    assert case["state"] == "resolved"
    assert sorted(o["state"] for o in case["work_orders"] if o["role"] != "sole") == ["answered", "cancelled",
                                                                                        "cancelled"]
    answered = svc.events(case_id, "work_order.answered")[0]
    assert answered.data["mediation"] == {"outcome": "agreement", "mediators": ["张调解员", "李律师"]}
    replied = svc.events(case_id, "case.replied")[0]
    assert replied.data["deputy_id"] == DEPUTY and replied.data["state"] == "resolved"
    assert svc.types(case_id)[-1] == "case.evaluation_requested"


def test_a_returned_order_is_rerouted_then_queued_then_escalated_after_repeated_returns(svc):
    case_id = svc.register(category="request", topic="road")
    first = svc.order(case_id, state="dispatched")
    svc.act(first["id"], "return", {}, expect=422)  # a return needs a reason
    svc.act(first["id"], "sign")
    svc.act(first["id"], "return", {"reason": "不属于本部门职责"})
    returned = svc.events(case_id, "case.returned")[0]
    assert returned.data["return_count"] == 1 and returned.data["previous_state"] == "signed"
    second = svc.order(case_id, state="dispatched")  # the category-wide line, never the department that refused
    assert second["department_code"] == "town-office"
    assert svc.events(case_id, "case.assigned")[-1].data["previous_state"] == "returned"

    svc.act(second["id"], "return", {"reason": "应由县级部门办理"})
    case = svc.case(case_id)
    assert case["state"] == "returned" and case["path"] == "manual"
    queue = svc.client.get("/v1/cases?queue=manual", headers=svc.headers("reader")).json["items"]
    assert [c["case_id"] for c in queue] == [case_id]
    svc.post(f"/v1/cases/{case_id}/triage", {"path": "county", "reason": "县交通运输局管养", "departments": [
        {"code": "county-transport", "name": "县交通运输局"}]}, key="reader", expect=403)
    svc.post(f"/v1/cases/{case_id}/triage", {"path": "county", "reason": "县交通运输局管养", "departments": [
        {"code": "county-transport", "name": "县交通运输局"}]})
    assert svc.client.get("/v1/cases?queue=manual", headers=svc.headers("reader")).json["items"] == []
    third = svc.order(case_id, state="dispatched")
    svc.act(third["id"], "forward", {"reason": "转县交通运输局"})
    svc.act(third["id"], "return", {"reason": "仍不属于本部门"})
    escalated = svc.events(case_id, "case.escalated")[-1]
    assert escalated.data["trigger"] == "returned_repeatedly" and escalated.data["step"] == "supervision"
    assert svc.case(case_id)["state"] == "escalated"


def test_an_extension_needs_approval_and_moves_the_deadline(svc):
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id, state="dispatched")
    later = (datetime.now(timezone.utc) + timedelta(days=60)).isoformat()
    svc.act(order["id"], "extension-request", {"requested_due_at": later, "reason": "需等待配件"}, expect=409)
    signed = svc.act(order["id"], "sign")
    svc.act(order["id"], "extension-request", {"requested_due_at": signed["signed_at"], "reason": "x"}, expect=422)
    svc.act(order["id"], "extension-request", {"requested_due_at": later, "reason": "需等待配件到货"})
    svc.act(order["id"], "extension-request", {"requested_due_at": later, "reason": "again"}, expect=409)
    decision = {"approved": True, "reason": "理由充分，同意延期"}
    svc.act(order["id"], "extension-decision", decision, key="reader", expect=403)
    decided = svc.act(order["id"], "extension-decision", decision)
    assert datetime.fromisoformat(decided["due_at"]) == datetime.fromisoformat(later)
    assert decided["extension_requested_due_at"] is None
    svc.act(order["id"], "extension-decision", decision, expect=409)
    types = [e.type for e in svc.events(case_id) if e.type.startswith("work_order.extension")]
    assert types == ["work_order.extension_requested", "work_order.extension_decided"]
    assert svc.events(case_id, "work_order.extension_decided")[0].data["approved"] is True


def test_overdue_climbs_reminder_supervision_escalation_once_each(svc):
    case_id = svc.register(category="request", topic="road", urgency="urgent")  # 24 hours
    order = svc.order(case_id, state="dispatched")
    due = datetime.fromisoformat(svc.act(order["id"], "sign")["due_at"])
    assert svc.run_jobs(due - timedelta(hours=12)) == 0
    svc.run_jobs(due - timedelta(hours=5))
    svc.run_jobs(due - timedelta(hours=4))
    svc.run_jobs(due + timedelta(minutes=1))
    svc.run_jobs(due + timedelta(hours=25))
    svc.run_jobs(due + timedelta(hours=73))
    svc.run_jobs(due + timedelta(days=8))
    svc.run_jobs(due + timedelta(days=30))
    ladder = [(e.type, e.data.get("step")) for e in svc.events(case_id, "work_order.due_soon",
                                                                 "work_order.overdue", "case.escalated")]
    assert ladder == [("work_order.due_soon", None), ("work_order.overdue", None), ("case.escalated", "reminder"),
                      ("case.escalated", "supervision"), ("case.escalated", "escalation")]
    escalations = svc.events(case_id, "case.escalated")
    assert [e.data["target"] for e in escalations] == ["镇村镇建设办", "镇人大主席团", "县人民政府"]
    assert all(e.data["trigger"] == "overdue" and e.data["state"] == "signed" for e in escalations)
    assert all(e.actor == "service:routing-scheduler" for e in escalations)
    listed = svc.client.get("/v1/work-orders?overdue=true&department=town-construction",
                            headers=svc.headers("reader")).json["items"]
    assert [(o["id"], o["escalation_step"]) for o in listed] == [(order["id"], "escalation")]
    from routing.models import WorkOrder

    with svc.runtime.db.transaction() as session:  # the deadline passed in real time too
        session.get(WorkOrder, order["id"]).due_at = datetime.now(timezone.utc) - timedelta(hours=1)
    svc.act(order["id"], "answer", {"summary": "已修复"})
    assert svc.events(case_id, "case.answered")[0].data["on_time"] is False
    assert svc.case(case_id)["on_time"] is False


def test_unsatisfied_reopens_up_to_the_limit_then_escalates(svc):
    case_id = svc.register(category="request", topic="lighting")
    for round_ in (1, 2, 3):
        svc.handle_to_answer(case_id)
        svc.reply(case_id)
        svc.post(f"/v1/evaluations/{svc.token(case_id)}", {"rating": "unsatisfied", "comment": "路灯又坏了"})
        if round_ < 3:
            reopened = svc.events(case_id, "case.reopened")[-1]
            assert reopened.data["reopen_count"] == round_
            assert svc.order(case_id, state="dispatched")["id"] == reopened.data["work_order_id"]
    case = svc.case(case_id)
    assert case["state"] == "escalated" and case["reopen_count"] == 2
    escalated = svc.events(case_id, "case.escalated")[-1]
    assert escalated.data["trigger"] == "reopened_repeatedly" and escalated.data["step"] == "escalation"
    assert [e.data["round"] for e in svc.events(case_id, "case.evaluated")] == [1, 2, 3]
    svc.post(f"/v1/cases/{case_id}/close", {"outcome": "satisfied", "reason": "x"}, expect=422)
    svc.post(f"/v1/cases/{case_id}/close", {"outcome": "unsatisfied", "reason": "经县人大督办后仍不满意，依法告知"})
    closed = svc.events(case_id, "case.closed")[0]
    assert closed.data["outcome"] == "unsatisfied" and closed.data["reopen_count"] == 2


def test_no_rating_means_a_return_visit_then_closed_not_rated(svc):
    case_id = svc.register(category="request", topic="road")
    svc.handle_to_answer(case_id)
    svc.reply(case_id)
    token = svc.token(case_id)
    expires = datetime.fromisoformat(svc.events(case_id, "case.evaluation_requested")[0].data["expires_at"])
    assert svc.run_jobs(expires - timedelta(minutes=1)) == 0
    svc.run_jobs(expires + timedelta(minutes=1))
    visit = svc.events(case_id, "case.return_visit_due")
    assert len(visit) == 1 and visit[0].data["round"] == 1
    svc.run_jobs(expires + timedelta(minutes=2))
    assert len(svc.events(case_id, "case.return_visit_due")) == 1
    svc.run_jobs(datetime.fromisoformat(visit[0].data["due_at"]) + timedelta(minutes=1))
    closed = svc.events(case_id, "case.closed")
    assert len(closed) == 1 and closed[0].data["outcome"] == "not_rated"
    assert svc.case(case_id)["outcome"] == "not_rated"
    assert svc.client.get(f"/v1/evaluations/{token}").json["open"] is False


def test_a_return_visit_rating_by_staff_closes_the_case(svc):
    case_id = svc.register(category="request", topic="road")
    svc.handle_to_answer(case_id)
    svc.reply(case_id)
    body = {"rating": "satisfied", "via": "return_visit"}
    svc.post(f"/v1/cases/{case_id}/ratings", body, key="reader", expect=403)
    svc.post(f"/v1/cases/{case_id}/ratings", body)
    assert svc.events(case_id, "case.closed")[0].data["outcome"] == "satisfied"
    svc.post(f"/v1/cases/{case_id}/ratings", body, expect=409)


def test_an_expired_link_is_gone_and_a_forged_one_is_not_found(svc):
    case_id = svc.register(category="request", topic="road")
    svc.handle_to_answer(case_id)
    svc.reply(case_id)
    token = svc.token(case_id)
    from routing.models import Evaluation

    with svc.runtime.db.transaction() as session:
        session.query(Evaluation).update({"expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)})
    gone = svc.client.post(f"/v1/evaluations/{token}", json={"rating": "satisfied"})
    assert gone.status_code == 410 and gone.mimetype == "application/problem+json"
    assert svc.client.get(f"/v1/evaluations/{token}x").status_code == 404
    assert svc.client.post(f"/v1/evaluations/{token[:-2]}", json={"rating": "satisfied"}).status_code == 404
    bad = svc.client.post(f"/v1/evaluations/{token}", json={"rating": "great"})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "rating"


def test_a_case_without_a_reply_in_time_is_flagged_once(svc):
    received = (datetime.now(timezone.utc) - timedelta(days=4)).isoformat()
    case_id = svc.register(category="request", topic="road", received_by={"kind": "deputy", "id": DEPUTY},
                           received_at=received)
    due = datetime.fromisoformat(svc.case(case_id)["reply_due_at"])
    svc.run_jobs(due - timedelta(minutes=1))
    assert svc.events(case_id, "case.reply_overdue") == []
    svc.run_jobs(due + timedelta(minutes=1))
    svc.run_jobs(due + timedelta(days=1))
    flagged = svc.events(case_id, "case.reply_overdue")
    assert len(flagged) == 1 and flagged[0].data["deputy_id"] == DEPUTY
    svc.reply(case_id)  # an interim reply, late: recorded, state unchanged
    replied = svc.events(case_id, "case.replied")[0]
    assert replied.data["on_time"] is False and replied.data["state"] == replied.data["previous_state"] == "assigned"


def test_illegal_transitions_are_409_naming_the_state_and_the_action(svc):
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id, state="dispatched")
    refused = svc.act(order["id"], "start", expect=409)
    assert "dispatched" in refused["detail"] and "start" in refused["detail"]
    svc.act(order["id"], "sign")
    again = svc.act(order["id"], "sign", expect=409)
    assert "signed" in again["detail"]
    spot = svc.post(f"/v1/cases/{case_id}/on-the-spot-answer", {"deputy_id": DEPUTY, "summary": "x"}, expect=409)
    assert "signed" in spot["detail"] and "on the spot" in spot["detail"]
    close = svc.post(f"/v1/cases/{case_id}/close", {"outcome": "not_rated", "reason": "x"}, expect=409)
    assert close["errors"] == [{"field": "state", "reason": "signed does not allow close"}]
    svc.post(f"/v1/cases/{case_id}/ratings", {"rating": "satisfied", "via": "station"}, expect=409)
    assert svc.client.post("/v1/work-orders/77770000-0000-4000-8000-000000000001/sign", json={},
                           headers=svc.headers()).status_code == 404


def test_withdrawal_cancels_open_orders_and_closes_the_case(svc):
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id, state="dispatched")
    svc.act(order["id"], "sign")
    withdrawn = event("case.withdrawn", case_id, {"case_id": case_id, "state": "withdrawn", "previous_state": None,
                                                 "reason": "邻里已自行协商解决", "requested_by": "reporter"},
                      source="/wangge/intake", sequence=2)
    assert svc.deliver(withdrawn, "cases.v1") == "processed"
    assert svc.types(case_id)[-2:] == ["work_order.cancelled", "case.closed"]
    closed = svc.events(case_id, "case.closed")[0]
    assert closed.data["outcome"] == "withdrawn" and closed.data["state"] == "withdrawn"
    svc.act(order["id"], "answer", {"summary": "x"}, expect=409)


def test_a_supplement_lands_in_the_case_history(svc):
    case_id = svc.register(category="request", topic="road")
    supplemented = event("case.supplemented", case_id, {
        "case_id": case_id, "state": "registered", "previous_state": None, "reason": "reporter added a photo",
        "content_added": "路灯已坏两周，附照片。", "attachments": []}, source="/wangge/intake", sequence=2)
    svc.deliver(supplemented, "cases.v1")
    last = svc.case(case_id)["history"][-1]
    assert last["event_type"] == "case.supplemented" and last["details"]["content_added"] == "路灯已坏两周，附照片。"
    assert last["state"] == "assigned"


def test_a_major_issue_goes_to_the_township_presidium(svc):
    rule = {"category": "complaint", "topic": "land_dispute", "level": "major_issue",
            "department_code": "town-congress-presidium", "department_name": "镇人大主席团", "priority": 5,
            "reason": "土地纠纷属网格重大问题"}
    svc.post("/v1/dispatch-rules", rule, expect=201)
    case_id = svc.register(category="complaint", topic="land_dispute")
    escalated = svc.events(case_id, "case.escalated")[0]
    assert escalated.data["step"] == "major_issue" and escalated.data["trigger"] == "cannot_settle_in_grid"
    assigned = svc.events(case_id, "case.assigned")[0]
    assert assigned.data["path"] == "major_issue" and assigned.data["previous_state"] == "escalated"
    assert svc.order(case_id)["department_code"] == "town-congress-presidium"


EXAMPLE_GRID = "6f1c2d4e-0000-4000-8000-000000000001"
PLAN = "9e000000-0000-4000-8000-000000000001"


def test_an_answer_not_passed_on_to_the_reporter_in_time_is_flagged_once(svc):
    case_id = svc.register(category="request", topic="road", received_by={"kind": "deputy", "id": DEPUTY})
    first_due = datetime.fromisoformat(svc.case(case_id)["reply_due_at"])
    svc.reply(case_id)  # an interim reply meets the first deadline
    svc.handle_to_answer(case_id)
    case = svc.case(case_id)
    due = datetime.fromisoformat(case["reply_due_at"])
    assert case["state"] == "answered" and due > first_due  # counted again, from the answer
    svc.run_jobs(due - timedelta(minutes=1))
    assert svc.events(case_id, "case.reply_overdue") == []
    svc.run_jobs(due + timedelta(minutes=1))
    svc.run_jobs(due + timedelta(days=2))
    flagged = svc.events(case_id, "case.reply_overdue")
    assert len(flagged) == 1 and flagged[0].data["deputy_id"] == DEPUTY
    assert flagged[0].data["state"] == "answered" and "not passed on" in flagged[0].data["reason"]
    svc.reply(case_id)
    assert svc.case(case_id)["state"] == "resolved"


def test_an_answer_passed_on_in_time_is_not_flagged_and_a_reopened_case_is_watched_again(svc):
    case_id = svc.register(category="request", topic="road")
    svc.handle_to_answer(case_id)
    svc.reply(case_id)
    due = datetime.fromisoformat(svc.case(case_id)["reply_due_at"])
    svc.run_jobs(due + timedelta(minutes=1))
    assert svc.events(case_id, "case.reply_overdue") == []
    svc.post(f"/v1/evaluations/{svc.token(case_id)}", {"rating": "unsatisfied"})
    svc.handle_to_answer(case_id, summary="已再次维修并加装防护罩。")
    again = datetime.fromisoformat(svc.case(case_id)["reply_due_at"])
    assert again > due
    svc.run_jobs(again + timedelta(minutes=1))
    assert [e.data["state"] for e in svc.events(case_id, "case.reply_overdue")] == ["answered"]


def test_a_department_cannot_stop_the_clock_by_not_signing(svc):
    """The deadline runs from dispatch; an order left unsigned past the signing limit (签收时限) is flagged once,
    and if it is never signed it still goes overdue and up the ladder."""
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id, state="dispatched")
    dispatched, due = datetime.fromisoformat(order["created_at"]), datetime.fromisoformat(order["due_at"])
    sign_due = datetime.fromisoformat(order["sign_due_at"])
    assert sign_due - dispatched == timedelta(hours=24) and due > sign_due
    svc.run_jobs(sign_due - timedelta(minutes=1))
    assert svc.events(case_id, "work_order.signing_overdue") == []
    svc.run_jobs(sign_due + timedelta(minutes=1))
    svc.run_jobs(sign_due + timedelta(hours=2))
    (flagged,) = svc.events(case_id, "work_order.signing_overdue")
    assert flagged.data["work_order_id"] == order["id"] and flagged.data["state"] == "dispatched"
    assert svc.events(case_id, "work_order.due_soon") == []  # the signing limit did not ring the due-soon bell
    listed = svc.client.get(f"/v1/work-orders/{order['id']}", headers=svc.headers("reader")).json
    assert listed["signing_overdue"] is True and listed["state"] == "dispatched"
    svc.run_jobs(due - timedelta(hours=1))
    svc.run_jobs(due + timedelta(hours=25))
    kinds = [e.type for e in svc.events(case_id, "work_order.due_soon", "work_order.overdue", "case.escalated")]
    assert kinds == ["work_order.due_soon", "work_order.overdue", "case.escalated"]


def test_signing_late_keeps_the_deadline_set_at_dispatch(svc):
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id, state="dispatched")
    signed = svc.act(order["id"], "sign")
    assert signed["due_at"] == order["due_at"] and signed["signing_overdue"] is False


def test_supervision_and_escalation_have_an_effect_on_who_supervises_the_order(svc):
    """督办 puts the order under the township congress presidium, 提级督办 under the county level: visible on the
    order and in the lists, from the deadline ladder as from township congress staff."""
    case_id = svc.register(category="request", topic="road", urgency="urgent")
    order = svc.order(case_id, state="dispatched")
    due = datetime.fromisoformat(svc.act(order["id"], "sign")["due_at"])
    svc.run_jobs(due + timedelta(hours=25))  # reminder: a notice to the department only
    reminded = svc.client.get(f"/v1/work-orders/{order['id']}", headers=svc.headers("reader")).json
    assert reminded["escalation_step"] == "reminder" and reminded["supervision"] is None
    svc.run_jobs(due + timedelta(hours=73))
    supervised = svc.client.get(f"/v1/work-orders/{order['id']}", headers=svc.headers("reader")).json
    assert (supervised["supervision"], supervised["supervisor"]) == ("township", "镇人大主席团")
    township = svc.client.get("/v1/work-orders?supervision=township", headers=svc.headers("reader")).json
    township = township["items"] if isinstance(township, dict) else township
    assert [o["id"] for o in township] == [order["id"]]
    svc.run_jobs(due + timedelta(days=8))
    county = svc.client.get(f"/v1/work-orders/{order['id']}", headers=svc.headers("reader")).json
    assert county["supervision"] == "county" and county["supervisor"] == "县人民政府"


def test_township_staff_supervise_by_hand_with_a_reason_and_never_step_down(svc):
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id, state="dispatched")
    svc.act(order["id"], "supervise", {"step": "supervision", "reason": "群众多次来电反映"}, key="reader", expect=403)
    svc.act(order["id"], "supervise", {"step": "supervision"}, expect=422)
    done = svc.act(order["id"], "supervise", {"step": "supervision", "reason": "群众多次来电反映"})
    assert (done["supervision"], done["escalation_step"]) == ("township", "supervision")
    (event,) = svc.events(case_id, "case.escalated")
    assert (event.data["trigger"], event.data["step"], event.data["reason"]) == ("manual", "supervision", "群众多次来电反映")
    assert event.actor.startswith("apikey:")
    again = svc.act(order["id"], "supervise", {"step": "reminder", "reason": "再次催办"})  # 催办 may come any time
    assert again["supervision"] == "township"
    up = svc.act(order["id"], "supervise", {"step": "escalation", "reason": "久拖不决，提级督办"})
    assert (up["supervision"], up["escalation_step"]) == ("county", "escalation")
    down = svc.act(order["id"], "supervise", {"step": "supervision", "reason": "x"}, expect=409)
    assert "never steps down" in down["detail"]
