"""Cases through the real stack: intake → routing's loop → reporting's audit log. Every event routing emitted
about a case (its own history, GET /v1/cases/{id}) must be in the audit log, the same events in the same order,
each with its actor and reason, and the states must follow on from each other."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from wangge_common.crypto import FieldCipher

from stackhelpers import case_body, eventually

LOOP = ["case.registered", "case.triaged", "work_order.dispatched", "case.assigned", "work_order.signed",
        "case.signed", "work_order.started", "case.started", "work_order.answered", "case.answered",
        "case.replied", "case.evaluation_requested", "case.evaluated", "case.closed"]


def _audit(stack, api, case_id):
    entries = api.get(stack.url("reporting") + "/v1/audit/events", params={"subject": case_id}).json()["items"]
    return [e for e in entries if e["event_type"].startswith(("case.", "work_order."))]


def _history(stack, api, case_id) -> dict:
    response = api.get(stack.url("routing") + f"/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.json()


def _audit_matches_history(stack, api, case_id) -> list:
    """The audit log of the case once it holds everything routing's history lists; checked entry by entry."""
    history = _history(stack, api, case_id)["history"]
    audit = eventually(lambda: (lambda a: a if len(a) >= len(history) + 1 else None)(_audit(stack, api, case_id)),
                       60, "every transition reaches reporting's audit log")
    assert audit[0]["event_type"] == "case.registered" and audit[0]["event"]["source"] == "/wangge/intake"
    routed = [e for e in audit if e["event"]["source"] == "/wangge/routing"]
    assert [e["event_id"] for e in routed] == [h["event_id"] for h in history]  # the same events, in order
    for entry, row in zip(routed, history):
        event = entry["event"]
        assert event["actor"] and event["actor"] == row["actor"], entry
        assert event["data"]["reason"] and event["data"]["reason"] == row["reason"], entry
    # the case's states follow on: each change starts where the one before it ended
    state = "triaged"
    for entry in routed:
        data = entry["event"]["data"]
        if entry["event_type"].startswith("case.") and "previous_state" in data:
            assert data["previous_state"] == state, (entry["event_type"], data["previous_state"], state)
            state = data["state"]
    # envelope v2: the sequence extension's zero-padded string, in order as text and as numbers
    assert [e["event"]["sequence"] for e in routed] == [f"{n:010d}" for n in range(1, len(routed) + 1)]
    return audit


def _rate(stack, api, routing, case_id, rating):
    case = _history(stack, api, case_id)
    requested = [h for h in case["history"] if h["event_type"] == "case.evaluation_requested"][-1]
    token = FieldCipher(stack.pii_key).decrypt(requested["details"]["token_encrypted"])
    rated = api.post(f"{routing}/v1/evaluations/{token}", json={"rating": rating}, headers={"Authorization": ""})
    assert rated.status_code == 200, rated.text


def _act(api, routing, order_id, action, body=None):
    response = api.post(f"{routing}/v1/work-orders/{order_id}/{action}", json=body or {})
    assert response.status_code == 200, response.text
    return response.json()


def _open_order(stack, api, case_id, seen=()):
    def found():
        orders = api.get(stack.url("routing") + "/v1/work-orders", params={"case_id": case_id}).json()["items"]
        fresh = [o for o in orders if o["state"] == "dispatched" and o["id"] not in seen]
        return fresh[0] if fresh else None

    return eventually(found, 20, "routing dispatches a work order")


def test_every_transition_of_a_case_reaches_the_audit_log_in_order_with_actor_and_reason(stack, api, served_grid):
    grid = served_grid
    routing = stack.url("routing")
    case_id = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid)).json()["id"]
    order_id = _open_order(stack, api, case_id)["id"]
    for action, body in (("sign", {}), ("start", {"reason": "已安排人员现场查看"}),
                         ("answer", {"summary": "已更换路灯灯泡。"})):
        _act(api, routing, order_id, action, body)
    replied = api.post(f"{routing}/v1/cases/{case_id}/replies", json={"channel": "phone", "reason": "电话告知处理结果"})
    assert replied.status_code == 200 and replied.json()["state"] == "resolved", replied.text
    _rate(stack, api, routing, case_id, "satisfied")

    audit = _audit_matches_history(stack, api, case_id)
    assert [e["event_type"] for e in audit] == LOOP
    assert (audit[-1]["event"]["data"]["previous_state"], audit[-1]["event"]["data"]["state"]) == ("evaluated",
                                                                                                    "closed")
    assert {e["event"]["actor"] for e in audit if e["event_type"] == "case.evaluated"} == {"resident:evaluation-link"}
    assert api.get(stack.url("reporting") + "/v1/audit/verify").json()["valid"] is True


def test_return_reroute_extension_and_reopening_all_reach_the_audit_log_in_order(stack, api, served_grid):
    grid = served_grid
    routing = stack.url("routing")
    body = case_body(grid, content=f"桥头路面塌陷，车辆无法通行。{uuid.uuid4().hex[:6]}")
    case_id = api.post(stack.url("intake") + "/v1/cases", json=body).json()["id"]
    first = _open_order(stack, api, case_id)
    _act(api, routing, first["id"], "return", {"reason": "不属于本部门职责"})  # 退单: re-routed by the catalogue
    second = _open_order(stack, api, case_id, seen={first["id"]})
    assert second["department_code"] != first["department_code"]
    signed = _act(api, routing, second["id"], "sign")
    later = (datetime.fromisoformat(signed["due_at"]) + timedelta(days=10)).isoformat()
    _act(api, routing, second["id"], "extension-request", {"requested_due_at": later, "reason": "需等待配件到货"})
    decided = _act(api, routing, second["id"], "extension-decision", {"approved": True, "reason": "理由充分，同意延期"})
    assert datetime.fromisoformat(decided["due_at"]) == datetime.fromisoformat(later)
    _act(api, routing, second["id"], "answer", {"summary": "已临时封闭并修复路面。"})
    api.post(f"{routing}/v1/cases/{case_id}/replies", json={"channel": "phone", "reason": "电话告知处理结果"})
    _rate(stack, api, routing, case_id, "unsatisfied")  # 发回重办: a fresh order to the department that answered
    third = _open_order(stack, api, case_id, seen={first["id"], second["id"]})
    assert third["department_code"] == second["department_code"]
    _act(api, routing, third["id"], "sign")
    _act(api, routing, third["id"], "answer", {"summary": "已彻底重修路面并设置警示标志。"})
    api.post(f"{routing}/v1/cases/{case_id}/replies", json={"channel": "visit", "reason": "上门告知重办结果"})
    _rate(stack, api, routing, case_id, "basically_satisfied")

    audit = _audit_matches_history(stack, api, case_id)
    types = [e["event_type"] for e in audit]
    for expected in ("work_order.returned", "case.returned", "work_order.extension_requested",
                     "work_order.extension_decided", "case.reopened", "case.closed"):
        assert expected in types, expected
    assert types.index("case.returned") < types.index("work_order.extension_requested") < types.index("case.reopened")
    closed = audit[-1]["event"]["data"]
    assert audit[-1]["event_type"] == "case.closed" and closed["outcome"] == "basically_satisfied"
    assert closed["reopen_count"] == 1
    assert _history(stack, api, case_id)["state"] == "closed"
