"""Routing as the infrastructure runs it: the scheduler's jobs, and the OpenAPI document."""
from datetime import datetime, timedelta, timezone

from wangge_common.scheduler import Scheduler

from routing.models import WorkOrder


def test_the_scheduler_process_runs_the_deadline_jobs(svc):
    assert [job.name for job in svc.runtime.spec.periodic] == ["work-order-deadlines", "reply-deadlines",
                                                               "evaluations", "holiday-calendar"]
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id)
    svc.act(order["id"], "sign")
    with svc.runtime.db.transaction() as session:
        row = session.get(WorkOrder, order["id"])
        row.due_at = datetime.now(timezone.utc) - timedelta(minutes=5)
        row.due_soon_at = row.next_check_at = row.due_at - timedelta(hours=1)
    Scheduler(svc.runtime).tick()
    assert [e.type for e in svc.events(case_id, "work_order.due_soon", "work_order.overdue")] == [
        "work_order.overdue"]  # the warning would come too late: only the overdue mark is sent
    Scheduler(svc.runtime).tick()
    assert len(svc.events(case_id, "work_order.overdue")) == 1


def test_every_endpoint_is_in_the_openapi_document_with_a_scope_or_public(svc):
    document = svc.client.get("/openapi.json").json
    operations = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops
                  if method in ("get", "post", "put", "delete")}
    for expected in [("POST", "/v1/work-orders/{order_id}/sign"), ("POST", "/v1/work-orders/{order_id}/answer"),
                     ("POST", "/v1/work-orders/{order_id}/return"),
                     ("POST", "/v1/work-orders/{order_id}/extension-request"),
                     ("POST", "/v1/work-orders/{order_id}/extension-decision"), ("GET", "/v1/cases/{case_id}"),
                     ("POST", "/v1/cases/{case_id}/triage"), ("POST", "/v1/evaluations/{token}"),
                     ("PUT", "/v1/dispatch-rules/{line_id}"), ("PUT", "/v1/holidays/{day}")]:
        assert expected in operations
    triage = document["paths"]["/v1/cases/{case_id}/triage"]["post"]
    assert "example" in triage["requestBody"]["content"]["application/json"]
    assert "409" in triage["responses"]
