"""End to end over HTTP and Kafka: every accepted case reaches every service, exactly once, whatever happens."""
from __future__ import annotations

import json
import time
import uuid

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.partitioner.default import murmur2
from kafka.structs import TopicPartition

from wangge_common.contracts import TOPICS

from stackhelpers import case_body, case_everywhere, eventually

CONSUMER_GROUPS = ("wangge-routing", "wangge-notify", "wangge-reporting")


def test_a_case_reaches_routing_notify_and_reporting_within_ten_seconds(stack, api, grid):
    started = time.monotonic()
    posted = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid))
    assert posted.status_code == 201, posted.text
    case_id = posted.json()["id"]
    found = eventually(lambda: case_everywhere(stack, api, case_id), 10, "the case reaches every service")
    elapsed = time.monotonic() - started
    assert found["orders"][0]["department_code"] == "town-construction"
    assert found["notes"][0]["body"].startswith("您反映的问题已受理")
    assert found["audit"][1]["event"]["causationid"] == found["audit"][0]["event_id"]
    assert api.get(stack.url("reporting") + "/v1/audit/verify").json()["valid"] is True
    print(f"case reached every service in {elapsed:.2f}s")


def _committed_past(bootstrap: str, tp: TopicPartition, offset: int) -> bool:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="it-offsets")
    try:
        for group in CONSUMER_GROUPS:
            committed = admin.list_group_offsets({group: [tp]}).get(group, {}).get(tp)
            if committed is None or committed.offset <= offset:
                return False
        return True
    finally:
        admin.close()


def test_the_same_event_delivered_twice_makes_one_work_order_and_one_notification(stack, api, grid):
    case_id = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid)).json()["id"]
    first = eventually(lambda: case_everywhere(stack, api, case_id), 15, "the case reaches every service")
    registered = first["audit"][0]
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap)
    meta = producer.send("cases.v1", key=case_id.encode(), value=json.dumps(registered["event"]).encode()).get(10)
    producer.close()
    tp = TopicPartition("cases.v1", meta.partition)
    eventually(lambda: _committed_past(stack.bootstrap, tp, meta.offset), 20,
               "every consumer group commits past the redelivered event")
    again = case_everywhere(stack, api, case_id)
    assert len(again["orders"]) == 1
    assert len([n for n in again["notes"] if n["template"] == "case.registered/reporter"]) == 1
    assert [e["event_type"] for e in again["audit"]].count("case.registered") == 1


def _dead_letters(bootstrap: str, partition: int) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=2000)
    tp = TopicPartition("cases.v1.dlt", 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    found = [r for r in consumer]
    consumer.close()
    return found


def test_a_malformed_message_goes_to_the_dead_letter_topic_and_the_next_event_is_processed(stack, api, grid):
    poison = b"{this is not an event" + uuid.uuid4().hex.encode()
    good_id = str(uuid.uuid4())
    good = {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/wangge/intake", "type": "case.registered",
        "subject": good_id, "time": "2026-11-21T08:00:00Z", "datacontenttype": "application/json",
        "dataschema": "urn:wangge:schema:case.registered:v1", "sequence": 1, "correlationid": str(uuid.uuid4()),
        "data": {"case_id": good_id, "tracking_code": "WGTEST0001", "channel": "integration", "grid_id": grid,
                 "category": "complaint", "topic": "neighbour_dispute", "content": "邻里噪音纠纷，请求调解。",
                 "urgency": "normal", "special_groups": [], "reporter_ref": "rp_it_dlt",
                 "received_by": {"kind": "system", "id": "zongzhi"}, "received_at": "2026-11-21T08:00:00Z",
                 "external_ref": {"system": "zongzhi", "id": "ZZ-DLT-1"}},
    }
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap)
    # Events are ordered per key only: the good event goes where its key puts it (where routing's later
    # case.triaged for the same case will go too), and the poison goes just before it on that partition.
    partition = (murmur2(good_id.encode()) & 0x7FFFFFFF) % TOPICS["cases.v1"].partitions
    producer.send("cases.v1", key=b"poison", value=poison, partition=partition).get(10)
    producer.send("cases.v1", key=good_id.encode(), value=json.dumps(good).encode()).get(10)
    producer.close()

    eventually(lambda: case_everywhere(stack, api, good_id), 20, "the good event after the poison is processed")

    def poison_dead_lettered():
        letters = [r for r in _dead_letters(stack.bootstrap, partition) if r.value == poison]
        groups = {dict(r.headers)["wangge.dlt.consumer"] for r in letters}
        return letters if groups >= {g.encode() for g in ("wangge-routing", "wangge-notify", "wangge-reporting")} else None

    letters = eventually(poison_dead_lettered, 20, "the poison message lands in cases.v1.dlt from every consumer")
    headers = dict(letters[0].headers)
    assert headers["wangge.dlt.original_topic"] == b"cases.v1"
    assert b"not JSON" in headers["wangge.dlt.error"]


def test_with_the_broker_down_intake_still_accepts_and_nothing_is_lost(stack, api, grid):
    # A real Kafka comes back from a restart with its log; Tansu (memory only) would not, so the outage is a cut
    # connection: every client sees "connection refused" until the broker returns with its data.
    stack.cut_broker()
    try:
        accepted = []
        for i in range(5):
            response = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid, content=f"停机期间受理的第{i + 1}件事。"))
            assert response.status_code == 201, response.text
            accepted.append(response.json()["id"])
        metrics = api.get(stack.url("intake") + "/metrics").text
        pending = [line for line in metrics.splitlines() if line.startswith("outbox_pending")]
        assert pending and float(pending[0].rsplit(" ", 1)[1]) >= 5
        ready = api.get(stack.url("intake") + "/readyz").json()
        assert ready["status"] == "ready" and ready["checks"]["broker"] == "down"
    finally:
        stack.restore_broker()
    for case_id in accepted:
        eventually(lambda: case_everywhere(stack, api, case_id), 90, f"case {case_id} arrives after the broker returns",
                   interval=0.5)
    assert api.get(stack.url("reporting") + "/v1/audit/verify").json()["valid"] is True
