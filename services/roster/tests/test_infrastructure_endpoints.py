"""Every service exposes the same operational surface; roster stands in for all five."""
import pytest
from flask import Blueprint

from wangge_common.http import create_service_app
from roster.service import SPEC
from wangge_common.settings import SERVICES


def test_health_docs_and_contracts_are_public(svc):
    assert svc.client.get("/healthz").json["status"] == "ok"
    ready = svc.client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"] == {"database": "ok", "broker": "down"}
    spec = svc.client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/v1/grids" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert b"swagger-ui" in svc.client.get("/docs").data
    with svc.client.get("/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
    assert svc.client.get("/asyncapi.json").json["asyncapi"] == "3.0.0"


def test_metrics_report_requests_and_the_outbox_backlog(svc):
    svc.client.post("/v1/grids", json={"code": "T", "name": "t", "level": 1, "kind": "rural_village"},
                    headers=svc.headers())
    text = svc.client.get("/metrics").data.decode()
    assert 'outbox_pending{service="roster"} 1.0' in text
    assert "http_requests_total" in text


def test_too_large_a_body_is_refused(svc):
    response = svc.client.post("/v1/grids", data=b"x" * (1024 * 1024 + 1), headers=svc.headers(),
                               content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_a_view_without_a_scope_or_public_mark_stops_the_app_from_starting(svc):
    careless = Blueprint("careless", __name__)
    careless.add_url_rule("/oops", "oops", lambda: "open to all")
    with pytest.raises(RuntimeError, match="neither @public nor @requires"):
        create_service_app(SPEC, svc.settings, title="t", description="d", blueprints=(), extra_blueprints=(careless,))


def test_an_event_carries_the_trace_of_the_request_that_caused_it(svc):
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = svc.client.post("/v1/grids", json={"code": "TR", "name": "t", "level": 1, "kind": "rural_village"},
                               headers=svc.headers(traceparent=traceparent))
    assert response.status_code == 201
    event = svc.outbox()[-1]
    assert event.traceparent.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"


def test_log_lines_are_json_with_the_trace_id(svc, capsys):
    import json
    import logging

    from opentelemetry import trace

    from wangge_common.telemetry import TraceContextFilter, configure

    configure("roster", "test")
    with trace.get_tracer("t").start_as_current_span("work") as span:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        TraceContextFilter().filter(record)
    assert record.trace_id == format(span.get_span_context().trace_id, "032x")
    handler = logging.getLogger().handlers[0]
    line = json.loads(handler.format(record))
    # logging is configured once per process: by whichever service started first in this test run
    assert line["message"] == "hello" and line["trace_id"] == record.trace_id and line["service"] in (*SERVICES, "portal")
