"""A broker restarted without its data (the bundled Tansu keeps everything in memory) loses no event: each relay
notices its marker is gone and publishes its retained outbox again; consumers and the audit log keep each event
once."""
from __future__ import annotations

import random

from stackhelpers import case_body, case_everywhere, eventually


def audit_types(stack, api, case_id) -> list[str]:
    entries = api.get(stack.url("reporting") + "/v1/audit/events", params={"subject": case_id}).json()["items"]
    return [entry["event_type"] for entry in entries]


def test_a_broker_restarted_without_its_data_loses_no_event(stack, api, grid):
    routing_consumer = stack.processes["routing-consumer"]
    routing_consumer.stop()  # routing falls behind: what intake publishes now waits on the broker, unread by it
    try:
        accepted = []
        for i in range(3):
            # a phone of its own: notify caps SMS per phone and day, and later tests text the default one
            body = case_body(grid, content=f"重启前受理的第{i + 1}件事。",
                             reporter={"name": "赵春兰", "phone": f"1370000{random.randrange(10000):04d}"})
            answer = api.post(stack.url("intake") + "/v1/cases", json=body)
            assert answer.status_code == 201, answer.text
            accepted.append(answer.json()["id"])
        # published (reporting has read them from the broker), and intake's outbox says so
        for case_id in accepted:
            eventually(lambda: "case.registered" in audit_types(stack, api, case_id), 30,
                       f"case {case_id} is published and reaches the audit log")
        stack.stop_broker()
        stack.start_broker()  # a new, empty broker at the same address: routing's unread events are gone
    finally:
        routing_consumer.start()
    for case_id in accepted:
        found = eventually(lambda: case_everywhere(stack, api, case_id), 120,
                           f"case {case_id} reaches routing after the broker forgot it", interval=0.5)
        assert len(found["orders"]) == 1
        types = audit_types(stack, api, case_id)
        assert types.count("case.registered") == 1 and types.count("case.triaged") == 1, types
    assert api.get(stack.url("reporting") + "/v1/audit/verify").json()["valid"] is True
    for service in ("intake", "routing", "notify", "reporting"):  # caught up: no consumer reported as stalled
        assert api.get(stack.url(service) + "/readyz").json()["checks"]["consumer"] == "ok"
