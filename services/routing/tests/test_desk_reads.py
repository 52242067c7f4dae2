"""What the township and department desks read: filtered lists (major issues, open orders, due soon, extension
requests), one work order's history, a case as a department may see it, and triage within the staff's township."""
import uuid
from datetime import datetime, timedelta

STAFF = ("cases:read", "cases:write", "cases:supervise", "cases:evaluate")
HANDLER = ("cases:read", "orders:handle")


def _manual(svc):
    return svc.register(category="enquiry", topic=None)


def test_cases_by_path_and_openness(svc):
    major, plain = _manual(svc), svc.register()
    svc.post(f"/v1/cases/{major}/triage", {"path": "major_issue", "reason": "涉及全村的土地纠纷"})
    listed = svc.client.get("/v1/cases?path=major_issue&open=true", headers=svc.headers("reader")).json["items"]
    assert [c["case_id"] for c in listed] == [major]
    assert plain not in [c["case_id"] for c in svc.client.get(
        "/v1/cases?open=false", headers=svc.headers("reader")).json["items"]]
    bad = svc.client.get("/v1/cases?path=somewhere", headers=svc.headers("reader"))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "path" in str(bad.json["errors"])


def test_open_due_soon_and_extension_pending_orders(svc):
    first, second = svc.register(), svc.register()
    order = svc.order(first, state="dispatched")
    svc.act(order["id"], "sign")
    later = (datetime.fromisoformat(svc.order(first)["due_at"]) + timedelta(days=3)).isoformat()
    svc.act(order["id"], "extension-request", {"requested_due_at": later, "reason": "需等待配件到货"})
    reader = svc.headers("reader")
    pending = svc.client.get("/v1/work-orders?extension_pending=true", headers=reader).json["items"]
    assert [o["id"] for o in pending] == [order["id"]]
    assert len(svc.client.get("/v1/work-orders?open=true", headers=reader).json["items"]) == 2
    svc.handle_to_answer(second)
    assert [o["case_id"] for o in svc.client.get("/v1/work-orders?open=false", headers=reader).json["items"]] \
        == [second]
    assert svc.client.get("/v1/work-orders?due_soon=true", headers=reader).json["items"] == []
    svc.run_jobs(datetime.fromisoformat(svc.order(first)["due_at"]) - timedelta(hours=1))
    assert [o["id"] for o in svc.client.get("/v1/work-orders?due_soon=true", headers=reader).json["items"]] \
        == [order["id"]]


def test_one_orders_history_for_its_department_only(svc):
    case_id = svc.register()
    order = svc.order(case_id, state="dispatched")
    mine = svc.person("handler-1", scopes=HANDLER, departments=[order["department_code"]])
    other = svc.person("handler-2", scopes=HANDLER, departments=["county-other-bureau"])
    svc.client.post(f"/v1/work-orders/{order['id']}/sign", json={}, headers=mine)
    history = svc.client.get(f"/v1/work-orders/{order['id']}/history", headers=mine)
    assert history.status_code == 200
    types = [h["event_type"] for h in history.json]
    assert {"work_order.dispatched", "work_order.signed", "case.signed"} <= set(types)
    assert types.index("work_order.dispatched") < types.index("work_order.signed")
    assert all(h["work_order_id"] == order["id"] for h in history.json)
    [signed] = [h for h in history.json if h["event_type"] == "work_order.signed"]
    assert signed["actor"] == "person:handler-1"
    refused = svc.client.get(f"/v1/work-orders/{order['id']}/history", headers=other)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert svc.client.get(f"/v1/work-orders/{uuid.uuid4()}/history", headers=svc.headers("reader")).status_code == 404


def test_a_department_sees_a_case_only_through_its_own_orders(svc):
    case_id = svc.register()
    order = svc.order(case_id, state="dispatched")
    svc.act(order["id"], "return", {"reason": "不属于本部门职责"})
    # re-routed by the catalogue to another department, or left to the manual queue
    mine = svc.person("handler-1", scopes=HANDLER, departments=[order["department_code"]])
    other = svc.person("handler-2", scopes=HANDLER, departments=["county-other-bureau"])
    seen = svc.client.get(f"/v1/cases/{case_id}", headers=mine).json
    assert [o["department_code"] for o in seen["work_orders"]] == [order["department_code"]]
    assert all(h["work_order_id"] == order["id"] for h in seen["history"])
    assert svc.client.get(f"/v1/cases/{case_id}", headers=other).status_code == 403
    assert svc.client.get("/v1/cases", headers=other).json["items"] == []
    assert [c["case_id"] for c in svc.client.get("/v1/cases", headers=mine).json["items"]] == [case_id]


def test_township_staff_triage_only_their_own_townships_cases(svc):
    case_id = _manual(svc)
    grid = svc.case(case_id)["grid_id"]
    body = {"path": "town", "reason": "属镇党政综合办职责",
            "departments": [{"code": "town-office", "name": "镇党政综合办"}]}
    elsewhere = svc.person("staff-9", scopes=STAFF, grids=[str(uuid.uuid4())])
    refused = svc.client.post(f"/v1/cases/{case_id}/triage", json=body, headers=elsewhere)
    assert refused.status_code == 403 and svc.case(case_id)["work_orders"] == []
    here = svc.person("staff-1", scopes=STAFF, grids=[grid])
    done = svc.client.post(f"/v1/cases/{case_id}/triage", json=body, headers=here)
    assert done.status_code == 200 and done.json["state"] == "assigned"
    assert svc.events(case_id, "case.assigned")[-1].actor == "person:staff-1"


def test_an_answer_keeps_its_attachments_in_the_event_and_history(svc):
    case_id = svc.register()
    order = svc.order(case_id, state="dispatched")
    svc.act(order["id"], "sign")
    photo = {"id": str(uuid.uuid4()), "name": "现场.jpg", "media_type": "image/jpeg", "size": 2048}
    bad = svc.client.post(f"/v1/work-orders/{order['id']}/answer", headers=svc.headers(),
                          json={"summary": "已修复。", "attachments": [{**photo, "media_type": "text/html"}]})
    assert bad.status_code == 422 and "attachments" in str(bad.json["errors"])
    svc.act(order["id"], "answer", {"summary": "已修复。", "attachments": [photo]})
    answered = svc.events(case_id, "work_order.answered")[-1]
    assert answered.data["attachments"] == [photo]  # the contract (validated on emit) accepts it
    history = svc.client.get(f"/v1/work-orders/{order['id']}/history", headers=svc.headers("reader")).json
    [entry] = [h for h in history if h["event_type"] == "work_order.answered"]
    assert entry["details"]["attachments"] == [photo]


def test_the_catalogue_suggestion_leaves_out_departments_that_returned_the_case(svc):
    case_id = svc.register()
    first = svc.client.get(f"/v1/cases/{case_id}/suggestion", headers=svc.headers("reader")).json
    order = svc.order(case_id, state="dispatched")
    assert first["department_code"] == order["department_code"] and first["returned_by"] == []
    svc.act(order["id"], "return", {"reason": "不属于本部门职责"})
    after = svc.client.get(f"/v1/cases/{case_id}/suggestion", headers=svc.headers("reader")).json
    assert after["returned_by"] == [order["department_code"]]
    assert after["department_code"] != order["department_code"]
    manual = svc.client.get(f"/v1/cases/{_manual(svc)}/suggestion", headers=svc.headers("reader")).json
    assert manual["path"] == "manual" and manual["department_code"] is None
    elsewhere = svc.person("staff-9", scopes=STAFF, grids=[str(uuid.uuid4())])
    assert svc.client.get(f"/v1/cases/{case_id}/suggestion", headers=elsewhere).status_code == 403


def test_order_counts_for_a_desks_tabs_within_the_callers_scope(svc):
    first, second = svc.register(), svc.register()
    order = svc.order(first, state="dispatched")
    svc.act(order["id"], "sign")
    svc.handle_to_answer(second)
    counts = svc.client.get("/v1/work-orders/counts", headers=svc.headers("reader")).json
    assert counts["states"]["signed"] == 1 and counts["states"]["answered"] == 1
    assert counts["states"]["dispatched"] == 0 and counts["overdue"] == 0 and counts["due_soon"] == 0
    svc.run_jobs(datetime.fromisoformat(svc.order(first)["due_at"]) + timedelta(hours=1))
    assert svc.client.get("/v1/work-orders/counts", headers=svc.headers("reader")).json["overdue"] == 1
    other = svc.person("handler-2", scopes=HANDLER, departments=["county-other-bureau"])
    assert svc.client.get("/v1/work-orders/counts", headers=other).json["states"]["signed"] == 0
    refused = svc.client.get(f"/v1/work-orders/counts?department={order['department_code']}", headers=other)
    assert refused.status_code == 403
