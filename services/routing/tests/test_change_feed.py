"""The change feed on GET /v1/cases and GET /v1/work-orders (issue 19.3): ?updated_since= and the cursor ?after=."""
import time


def feed(svc, path, **query):
    response = svc.client.get(path, query_string=query, headers=svc.headers("reader"))
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_cases_and_work_orders_come_in_the_order_they_changed(svc):
    first = svc.register()
    time.sleep(0.002)
    second = svc.register()
    cases = feed(svc, "/v1/cases", updated_since="2000-01-01T00:00:00Z")
    assert [c["case_id"] for c in cases] == [first, second]
    orders = feed(svc, "/v1/work-orders", updated_since="2000-01-01T00:00:00Z")
    assert [o["case_id"] for o in orders] == [first, second]
    last_case, last_order = cases[-1], orders[-1]
    assert feed(svc, "/v1/cases", updated_since=last_case["updated_at"], after=last_case["case_id"]) == []
    assert feed(svc, "/v1/work-orders", updated_since=last_order["updated_at"], after=last_order["id"]) == []
    time.sleep(0.002)
    svc.act(orders[0]["id"], "sign")  # the first case's order moves on: both come again, after the rest
    signed = feed(svc, "/v1/work-orders", updated_since=last_order["updated_at"], after=last_order["id"])
    assert [(o["id"], o["state"]) for o in signed] == [(orders[0]["id"], "signed")]
    moved = feed(svc, "/v1/cases", updated_since=last_case["updated_at"], after=last_case["case_id"])
    assert [c["case_id"] for c in moved] == [first]
    refused = svc.client.get("/v1/work-orders", query_string={"after": orders[0]["id"]}, headers=svc.headers("reader"))
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "after"
