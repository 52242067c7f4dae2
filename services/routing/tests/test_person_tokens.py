"""Work orders and cases under a person's access token: a department handler or a deputy sees only their own."""
import uuid


def test_a_department_handler_cannot_touch_another_departments_order(svc):
    case_id = svc.register()
    order = svc.order(case_id, state="dispatched")
    mine = svc.person("handler-1", scopes=["cases:read", "orders:handle"], departments=[order["department_code"]])
    other = svc.person("handler-2", scopes=["cases:read", "orders:handle"], departments=["county-other-bureau"])
    assert svc.client.get(f"/v1/work-orders/{order['id']}", headers=other).status_code == 403
    refused = svc.client.post(f"/v1/work-orders/{order['id']}/sign", json={}, headers=other)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert svc.client.get("/v1/work-orders", headers=other).json["items"] == []
    assert svc.client.get(f"/v1/work-orders?department={order['department_code']}", headers=other).status_code == 403
    signed = svc.client.post(f"/v1/work-orders/{order['id']}/sign", json={}, headers=mine)
    assert signed.status_code == 200, signed.json
    assert svc.events(case_id, "case.signed")[-1].actor == "person:handler-1"
    assert [o["id"] for o in svc.client.get("/v1/work-orders", headers=mine).json["items"]] == [order["id"]]


def test_a_deputy_sees_cases_and_orders_of_own_grids_only(svc):
    case_id = svc.register()
    grid = svc.case(case_id)["grid_id"]
    elsewhere = svc.person("deputy-9", grids=[str(uuid.uuid4())])
    here = svc.person("deputy-1", grids=[grid])
    assert svc.client.get(f"/v1/cases/{case_id}", headers=elsewhere).status_code == 403
    assert svc.client.get(f"/v1/cases/{case_id}", headers=here).status_code == 200
    assert svc.client.get("/v1/cases", headers=elsewhere).json["items"] == []
    assert svc.client.get("/v1/work-orders", headers=elsewhere).json["items"] == []
    assert len(svc.client.get("/v1/work-orders", headers=here).json["items"]) == 1
    reply = svc.client.post(f"/v1/cases/{case_id}/replies", json={"channel": "phone", "reason": "伪造"},
                            headers=elsewhere)
    assert reply.status_code == 403


def test_cases_by_first_receiver(svc):
    deputy = str(uuid.uuid4())
    mine = svc.register(received_by={"kind": "deputy", "id": deputy}, first_receiver_id=deputy)
    svc.register()
    listed = svc.client.get(f"/v1/cases?first_receiver={deputy}", headers=svc.headers("reader")).json["items"]
    assert [c["case_id"] for c in listed] == [mine]
