"""Routing's part in reconciliation: which of a period's cases it holds, with their work orders."""
import uuid


def test_routing_names_the_cases_it_holds_with_their_work_orders(svc):
    routed = svc.register()
    unknown = str(uuid.uuid4())
    answer = svc.client.post("/v1/internal/reconcile/cases", json={"case_ids": [routed, unknown]},
                             headers=svc.headers("reader"))
    assert answer.status_code == 200, answer.json
    assert list(answer.json["cases"]) == [routed]
    assert answer.json["cases"][routed]["work_orders"] == len(svc.case(routed)["work_orders"]) == 1


def test_a_bad_list_is_a_422_and_a_key_is_needed(svc):
    too_many = [str(uuid.uuid4()) for _ in range(2001)]
    answer = svc.client.post("/v1/internal/reconcile/cases", json={"case_ids": too_many},
                             headers=svc.headers("reader"))
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert svc.client.post("/v1/internal/reconcile/cases", json={"case_ids": ["x"]},
                           headers=svc.headers("none")).status_code == 403
