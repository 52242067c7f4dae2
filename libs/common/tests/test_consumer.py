"""Each record's fate: processed once, duplicate ignored, poison dead-lettered, unknown type skipped, outage retried."""
import copy
from collections import namedtuple

import pytest
from kafka.structs import TopicPartition
from sqlalchemy import func, insert, select
from sqlalchemy.exc import OperationalError

from wangge_common import contracts
from wangge_common.consumer import ConsumerRunner, TransientError
from wangge_common.envelope import Event

Record = namedtuple("Record", "topic partition offset key value headers timestamp")
CASE = copy.deepcopy(contracts.contract("case.registered", 1).schema["examples"][0])


class DltProducer:
    def __init__(self):
        self.sent = []

    def send(self, topic, key=None, value=None, headers=None):
        self.sent.append((topic, key, value, dict(headers)))

        class Done:
            def get(self, timeout=None):
                return None

        return Done()

    def close(self, timeout=None):
        pass


def record(value, offset=0, headers=None):
    return Record("cases.v1", 0, offset, b"k", value if isinstance(value, bytes) else value.encode(),
                  headers or [], 0)


def good_event(sequence=1, **kw):
    return Event(type="case.registered", source="/wangge/intake", subject=CASE["case_id"], data=CASE,
                 sequence=sequence, **kw)


def notes_count(runtime):
    notes = runtime.spec.metadata.tables["notes"]
    with runtime.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(notes))


@pytest.fixture
def world(runtime_factory):
    calls = []

    def write_note(uow, event):
        calls.append(event.id)
        uow.session.execute(insert(uow.runtime.spec.metadata.tables["notes"]).values(text=event.id))

    runtime = runtime_factory(handlers={"case.registered": write_note})
    dlt = DltProducer()
    runner = ConsumerRunner(runtime, producer_factory=lambda: dlt)
    return runtime, runner, dlt, calls


def test_an_event_is_applied_once_even_when_delivered_twice(world):
    runtime, runner, dlt, calls = world
    event = good_event()
    assert runner.handle_record(record(event.to_json(), 0)) == "processed"
    assert runner.handle_record(record(event.to_json(), 1)) == "duplicate"
    assert notes_count(runtime) == 1 and dlt.sent == []


def test_not_json_goes_to_the_dead_letter_topic_with_the_error(world):
    runtime, runner, dlt, _ = world
    assert runner.handle_record(record(b"{oops", 7)) == "dead_lettered"
    topic, key, value, headers = dlt.sent[0]
    assert topic == "cases.v1.dlt" and value == b"{oops" and key == b"k"
    assert headers["wangge.dlt.original_offset"] == b"7" and b"not JSON" in headers["wangge.dlt.error"]


def test_data_breaking_its_schema_is_dead_lettered_without_running_the_handler(world):
    runtime, runner, dlt, calls = world
    bad = copy.deepcopy(good_event().to_dict())
    bad["data"]["channel"] = "fax"
    import json
    assert runner.handle_record(record(json.dumps(bad))) == "dead_lettered"
    assert calls == [] and headers_of(dlt)["wangge.dlt.error_type"] == b"ContractError"


def headers_of(dlt):
    return dlt.sent[-1][3]


def test_unknown_event_type_is_counted_and_skipped(world):
    runtime, runner, dlt, calls = world
    unknown = Event(type="case.teleported", source="/x", subject="s", data={}, sequence=1)
    assert runner.handle_record(record(unknown.to_json())) == "unknown_type"
    assert calls == [] and dlt.sent == []


def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered(runtime_factory):
    attempts = []

    def broken(uow, event):
        attempts.append(1)
        raise KeyError("grid_id")

    runtime = runtime_factory(handlers={"case.registered": broken})
    dlt = DltProducer()
    runner = ConsumerRunner(runtime, producer_factory=lambda: dlt)
    assert runner.handle_record(record(good_event().to_json())) == "dead_lettered"
    assert len(attempts) == 3 and headers_of(dlt)["wangge.dlt.attempts"] == b"3"


def test_a_database_outage_is_retried_not_dead_lettered(runtime_factory):
    def db_down(uow, event):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    runtime = runtime_factory(handlers={"case.registered": db_down})
    dlt = DltProducer()
    runner = ConsumerRunner(runtime, producer_factory=lambda: dlt)
    with pytest.raises(TransientError):
        runner.handle_record(record(good_event().to_json()))
    assert dlt.sent == []


class FakeConsumer:
    def __init__(self, batches):
        self.batches, self.commits, self.seeks = list(batches), [], []

    def poll(self, timeout_ms=0):
        return self.batches.pop(0) if self.batches else {}

    def commit(self, offsets):
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})

    def seek(self, tp, offset):
        self.seeks.append((tp, offset))

    def highwater(self, tp):
        return None

    def position(self, tp):
        return 0

    def close(self):
        pass


def test_offsets_are_committed_after_the_batch_and_poison_does_not_block_the_partition(world):
    runtime, runner, dlt, calls = world
    tp = TopicPartition("cases.v1", 0)
    runner.consumer = FakeConsumer([{tp: [record(b"junk", 10), record(good_event().to_json(), 11)]}])
    assert runner.poll_once() == 2
    assert runner.consumer.commits == [{tp: 12}] and len(calls) == 1 and len(dlt.sent) == 1


def test_a_transient_failure_rewinds_to_the_failed_record_and_commits_what_was_done(runtime_factory):
    state = {"fail": True}

    def sometimes(uow, event):
        if event.sequence == 2 and state["fail"]:
            raise OperationalError("x", {}, Exception("db restarting"))

    runtime = runtime_factory(handlers={"case.registered": sometimes})
    runner = ConsumerRunner(runtime, producer_factory=DltProducer)
    tp = TopicPartition("cases.v1", 0)
    first, second = good_event(), good_event(sequence=2)
    runner.consumer = FakeConsumer([{tp: [record(first.to_json(), 5), record(second.to_json(), 6)]}])
    with pytest.raises(TransientError):
        runner.poll_once()
    assert runner.consumer.seeks == [(tp, 6)] and runner.consumer.commits == [{tp: 6}]


def test_a_tombstone_is_dead_lettered_not_a_crash(world):
    runtime, runner, dlt, _ = world
    tombstone = Record("cases.v1", 0, 3, b"k", None, [], 0)
    assert runner.handle_record(tombstone) == "dead_lettered"
    assert b"tombstone" in headers_of(dlt)["wangge.dlt.error"]


def test_a_failure_rewinds_the_partitions_the_batch_had_not_reached(runtime_factory):
    def db_down(uow, event):
        raise OperationalError("x", {}, Exception("db down"))

    runtime = runtime_factory(handlers={"case.registered": db_down})
    runner = ConsumerRunner(runtime, producer_factory=DltProducer)
    first, second = TopicPartition("cases.v1", 0), TopicPartition("cases.v1", 1)
    runner.consumer = FakeConsumer([{first: [record(good_event().to_json(), 7)],
                                     second: [record(good_event(sequence=2).to_json(), 40)]}])
    with pytest.raises(TransientError):
        runner.poll_once()
    assert runner.consumer.seeks == [(first, 7), (second, 40)] and runner.consumer.commits == []
