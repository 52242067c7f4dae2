"""One case through the real stack: intake → routing's whole loop → reporting's audit log, in order, each
transition with its actor and reason."""
from __future__ import annotations

from wangge_common.crypto import FieldCipher

from stackhelpers import case_body, eventually

LOOP = ["case.registered", "case.triaged", "work_order.dispatched", "case.assigned", "work_order.signed",
        "case.signed", "work_order.started", "case.started", "work_order.answered", "case.answered",
        "case.replied", "case.evaluation_requested", "case.evaluated", "case.closed"]


def _audit(stack, api, case_id):
    entries = api.get(stack.url("reporting") + "/v1/audit/events", params={"subject": case_id}).json()
    return [e for e in entries if e["event_type"].startswith(("case.", "work_order."))]


def test_every_transition_of_a_case_reaches_the_audit_log_in_order_with_actor_and_reason(stack, api, grid):
    routing = stack.url("routing")
    case_id = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid)).json()["id"]

    def order():
        orders = api.get(routing + "/v1/work-orders", params={"case_id": case_id}).json()
        return orders[0] if orders else None

    order_id = eventually(order, 20, "routing dispatches a work order")["id"]
    for action, body in (("sign", {}), ("start", {"reason": "已安排人员现场查看"}),
                         ("answer", {"summary": "已更换路灯灯泡。"})):
        response = api.post(f"{routing}/v1/work-orders/{order_id}/{action}", json=body)
        assert response.status_code == 200, response.text
    replied = api.post(f"{routing}/v1/cases/{case_id}/replies", json={"channel": "phone", "reason": "电话告知处理结果"})
    assert replied.status_code == 200 and replied.json()["state"] == "resolved", replied.text
    requested = next(h for h in replied.json()["history"] if h["event_type"] == "case.evaluation_requested")
    token = FieldCipher(stack.pii_key).decrypt(requested["details"]["token_encrypted"])
    rated = api.post(f"{routing}/v1/evaluations/{token}", json={"rating": "satisfied"}, headers={"Authorization": ""})
    assert rated.status_code == 200, rated.text

    audit = eventually(lambda: (lambda a: a if len(a) >= len(LOOP) else None)(_audit(stack, api, case_id)), 30,
                       "every transition reaches reporting's audit log")
    assert [e["event_type"] for e in audit] == LOOP
    for entry in audit:
        assert entry["event"]["actor"], entry
        assert entry["event"]["data"].get("reason") or entry["event_type"] == "case.registered", entry
    states = [(e["event"]["data"]["previous_state"], e["event"]["data"]["state"]) for e in audit
              if e["event_type"].startswith("case.") and "previous_state" in e["event"]["data"]]
    assert states[-1] == ("evaluated", "closed")
    assert {e["event"]["actor"] for e in audit if e["event_type"] == "case.evaluated"} == {"resident:evaluation-link"}
    assert api.get(stack.url("reporting") + "/v1/audit/verify").json()["valid"] is True
