"""Each record's fate: processed once, duplicate ignored, poison (forged sources included) dead-lettered, unknown type
skipped, outage retried; a failed commit rewinds; progress and /readyz."""
import copy
from collections import namedtuple
from datetime import timedelta

import pytest
from kafka.structs import TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy import event as sa_event, func, insert, select, update
from sqlalchemy.exc import OperationalError

from wangge_common import contracts, progress
from wangge_common.consumer import ConsumerRunner, TransientError
from wangge_common.db import utcnow
from wangge_common.envelope import Event
from wangge_common.http import create_service_app

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
    unknown = Event(type="case.teleported", source="/wangge/intake", subject="s", data={}, sequence=1)
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
    """The broker side as the runner sees it: polls, commits (kept as the group's committed offsets), seeks."""

    def __init__(self, batches, assigned=()):
        self.batches, self.commits, self.seeks = list(batches), [], []
        self.assigned = set(assigned) | {tp for batch in self.batches for tp in batch}
        self.group_offsets, self.fail_commit_of, self.closed = {}, set(), False

    def poll(self, timeout_ms=0):
        return self.batches.pop(0) if self.batches else {}

    def commit(self, offsets, timeout_ms=None):
        for tp in offsets:
            if tp in self.fail_commit_of:
                self.fail_commit_of.discard(tp)
                raise self.commit_error
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})
        self.group_offsets.update({tp: meta.offset for tp, meta in offsets.items()})

    def committed(self, tp, timeout_ms=None):
        return self.group_offsets.get(tp)

    def assignment(self):
        return set(self.assigned)

    def seek(self, tp, offset):
        self.seeks.append((tp, offset))

    def seek_to_beginning(self, *tps):
        self.seeks.extend((tp, "beginning") for tp in tps)

    def highwater(self, tp):
        return None

    def position(self, tp):
        return 0

    def close(self, autocommit=True):
        self.closed = True


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
    # nothing was ever committed on either partition: both go back to the beginning (the group's starting point)
    assert sorted(runner.consumer.seeks) == [(first, "beginning"), (second, "beginning")]
    assert runner.consumer.commits == []


# --- batching: one transaction per run of records, and one by one again whenever a batch fails -------------------

def commits_of(runtime):
    counted = []
    sa_event.listen(runtime.db.engine, "commit", lambda conn: counted.append(1))
    return counted


def partition_records(*events_or_bytes, first_offset=100):
    return [record(e if isinstance(e, bytes) else e.to_json(), first_offset + i)
            for i, e in enumerate(events_or_bytes)]


def processed_ids(runtime):
    processed = runtime.tables.processed
    with runtime.db.sessions() as session:
        return set(session.scalars(select(processed.c.event_id)))


def test_a_batch_is_one_transaction_each_event_recorded_and_the_offset_committed_after(runtime_factory):
    seen = []

    def write_note(uow, event):
        # each handler sees its own event as the cause and its own record
        assert uow.causation is event and uow.delivery.offset == 100 + len(seen)
        seen.append(event.id)
        uow.session.execute(insert(uow.runtime.spec.metadata.tables["notes"]).values(text=event.id))
        uow.emit("case.registered", event.subject, CASE)

    runtime = runtime_factory(handlers={"case.registered": write_note})
    runner = ConsumerRunner(runtime, producer_factory=DltProducer, batch_size=10)
    events = [good_event(sequence=i + 1) for i in range(4)]
    tp = TopicPartition("cases.v1", 0)
    runner.consumer = FakeConsumer([{tp: partition_records(*events)}])
    commits = commits_of(runtime)
    assert runner.poll_once() == 4
    assert len(commits) == 1 and runner.consumer.commits == [{tp: 104}]
    assert notes_count(runtime) == 4 and processed_ids(runtime) == {e.id for e in events}
    outbox = runtime.tables.outbox
    with runtime.db.sessions() as session:
        causes = [Event.from_json(p).causationid for p in session.scalars(select(outbox.c.payload)
                                                                          .order_by(outbox.c.id))]
    assert causes == [e.id for e in events]


def test_batches_are_cut_at_the_batch_size(world):
    runtime, runner, dlt, calls = world
    runner.batch_size = 2
    tp = TopicPartition("cases.v1", 0)
    runner.consumer = FakeConsumer([{tp: partition_records(*[good_event() for _ in range(5)])}])
    commits = commits_of(runtime)
    assert runner.poll_once() == 5
    assert len(commits) == 3 and notes_count(runtime) == 5  # 2 + 2 + 1


def test_a_poison_record_in_the_middle_is_dead_lettered_in_its_place_and_the_rest_still_batched(world):
    runtime, runner, dlt, calls = world
    tp = TopicPartition("cases.v1", 0)
    before, after = [good_event(), good_event()], [good_event(), good_event()]
    runner.consumer = FakeConsumer([{tp: partition_records(*before, b"{poison", *after)}])
    commits = commits_of(runtime)
    assert runner.poll_once() == 5
    assert [headers["wangge.dlt.original_offset"] for *_, headers in dlt.sent] == [b"102"]
    assert len(commits) == 2 and calls == [e.id for e in before + after]
    assert runner.consumer.commits == [{tp: 105}]


def test_a_handler_failing_in_the_middle_rolls_the_batch_back_and_one_by_one_dead_letters_only_it(runtime_factory):
    calls = []
    bad = good_event(sequence=3)

    def write_note(uow, event):
        calls.append(event.id)
        if event.id == bad.id:
            raise KeyError("grid_id")
        uow.session.execute(insert(uow.runtime.spec.metadata.tables["notes"]).values(text=event.id))

    runtime = runtime_factory(handlers={"case.registered": write_note})
    dlt = DltProducer()
    runner = ConsumerRunner(runtime, producer_factory=lambda: dlt, batch_size=10)
    good = [good_event(sequence=1), good_event(sequence=2), good_event(sequence=4)]
    tp = TopicPartition("cases.v1", 0)
    runner.consumer = FakeConsumer([{tp: partition_records(good[0], good[1], bad, good[2])}])
    assert runner.poll_once() == 4
    # the batch ran the first three handlers, then one by one: 1, 2, the bad one 3 times (max_retries 2), 4
    assert calls == [good[0].id, good[1].id, bad.id, good[0].id, good[1].id, bad.id, bad.id, bad.id, good[2].id]
    assert notes_count(runtime) == 3 and processed_ids(runtime) == {e.id for e in good}
    assert len(dlt.sent) == 1 and headers_of(dlt)["wangge.dlt.original_offset"] == b"102"
    assert headers_of(dlt)["wangge.dlt.attempts"] == b"3"
    assert runner.consumer.commits == [{tp: 104}]


def test_a_transient_failure_in_a_batch_commits_what_one_by_one_finished_and_rewinds_to_the_rest(runtime_factory):
    state = {"down": True}
    events = [good_event(sequence=i + 1) for i in range(4)]

    def write_note(uow, event):
        if event.id == events[2].id and state["down"]:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        uow.session.execute(insert(uow.runtime.spec.metadata.tables["notes"]).values(text=event.id))

    runtime = runtime_factory(handlers={"case.registered": write_note})
    dlt = DltProducer()
    runner = ConsumerRunner(runtime, producer_factory=lambda: dlt, batch_size=10)
    tp = TopicPartition("cases.v1", 0)
    records = partition_records(*events)
    runner.consumer = FakeConsumer([{tp: records}, {tp: records[2:]}])
    with pytest.raises(TransientError):
        runner.poll_once()
    assert runner.consumer.seeks == [(tp, 102)] and runner.consumer.commits == [{tp: 102}]
    assert processed_ids(runtime) == {events[0].id, events[1].id} and dlt.sent == []
    state["down"] = False  # the database is back; the broker redelivers from the rewound position
    assert runner.poll_once() == 2
    assert processed_ids(runtime) == {e.id for e in events} and notes_count(runtime) == 4
    assert runner.consumer.commits[-1] == {tp: 104}


def test_redelivered_events_in_a_batch_are_duplicates_even_twice_in_the_same_batch(world):
    runtime, runner, dlt, calls = world
    done, fresh = good_event(), good_event()
    assert runner.handle_record(record(done.to_json(), 1)) == "processed"
    tp = TopicPartition("cases.v1", 0)
    runner.consumer = FakeConsumer([{tp: partition_records(done, fresh, fresh)}])
    outcomes = list(runner.handle_records(partition_records(done, fresh, fresh)))
    assert [outcome for _, outcome in outcomes] == ["duplicate", "processed", "duplicate"]
    assert calls == [done.id, fresh.id] and notes_count(runtime) == 2


def test_the_batch_size_comes_from_the_service_setting(runtime_factory):
    runtime = runtime_factory()
    assert ConsumerRunner(runtime).batch_size == 100
    for raw, expected in (("1", 1), ("250", 250)):
        runtime.settings.extra["WANGGE_ROUTING_CONSUMER_BATCH_SIZE"] = raw
        assert ConsumerRunner(runtime).batch_size == expected
    for raw in ("0", "lots"):
        runtime.settings.extra["WANGGE_ROUTING_CONSUMER_BATCH_SIZE"] = raw
        with pytest.raises(ValueError, match="WANGGE_ROUTING_CONSUMER_BATCH_SIZE"):
            ConsumerRunner(runtime)


def test_with_batch_size_one_every_event_has_its_own_transaction(world):
    runtime, runner, dlt, calls = world
    runner.batch_size = 1
    tp = TopicPartition("cases.v1", 0)
    runner.consumer = FakeConsumer([{tp: partition_records(good_event(), good_event(), good_event())}])
    commits = commits_of(runtime)
    assert runner.poll_once() == 3 and len(commits) == 3


# --- poison that used to stop every group: any failure to read a record ends in the dead-letter topic ------------

def dead_letter_count(group, topic, reason):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("consumer_dead_letters_total",
                                     {"group": group, "topic": topic, "reason": reason}) or 0


def test_json_nested_a_hundred_thousand_levels_is_dead_lettered_not_retried_forever(world):
    runtime, runner, dlt, calls = world
    poison = b"[" * 100000 + b"]" * 100000  # RecursionError in json.loads: the generic handler retried it forever
    tp = TopicPartition("cases.v1", 0)
    after = good_event()
    before = dead_letter_count(runner.group_id, "cases.v1", "EnvelopeError")
    runner.consumer = FakeConsumer([{tp: [record(poison, 20), record(after.to_json(), 21)]}])
    assert runner.poll_once() == 2
    assert runner.consumer.commits == [{tp: 22}] and calls == [after.id]
    topic, _, value, headers = dlt.sent[0]
    assert topic == "cases.v1.dlt" and value == poison and headers["wangge.dlt.error_type"] == b"EnvelopeError"
    assert b"nested deeper than" in headers["wangge.dlt.error"]
    assert dead_letter_count(runner.group_id, "cases.v1", "EnvelopeError") == before + 1


def test_a_record_over_the_size_limit_is_dead_lettered_without_parsing_and_its_copy_is_truncated(world):
    from wangge_common.consumer import DLT_MAX_VALUE_BYTES
    from wangge_common.envelope import MAX_EVENT_BYTES

    runtime, runner, dlt, calls = world
    huge = b'{"data": "' + b"x" * MAX_EVENT_BYTES + b'"}'
    assert runner.handle_record(record(huge, 3)) == "dead_lettered"
    _, _, value, headers = dlt.sent[0]
    assert len(value) == DLT_MAX_VALUE_BYTES and value == huge[:DLT_MAX_VALUE_BYTES]
    assert headers["wangge.dlt.truncated_from"] == str(len(huge)).encode()
    assert b"over the limit" in headers["wangge.dlt.error"] and calls == []


def test_an_unexpected_error_while_reading_is_retried_a_bounded_number_of_times_then_dead_lettered(world, monkeypatch):
    runtime, runner, dlt, calls = world
    tries = []

    def out_of_memory(raw):
        tries.append(1)
        raise MemoryError()

    monkeypatch.setattr(Event, "from_json", staticmethod(out_of_memory))
    assert runner.handle_record(record(good_event().to_json(), 9)) == "dead_lettered"
    assert len(tries) == 3  # consumer_max_retries is 2 in these tests
    headers = headers_of(dlt)
    assert headers["wangge.dlt.error_type"] == b"MemoryError" and headers["wangge.dlt.attempts"] == b"3"
    assert calls == []


def test_an_event_from_a_service_that_does_not_write_the_topic_is_dead_lettered_with_the_reason(world):
    runtime, runner, dlt, calls = world
    forged = Event(type="case.registered", source="/wangge/notify", subject=CASE["case_id"], data=CASE, sequence=1)
    assert runner.handle_record(record(forged.to_json(), 4)) == "dead_lettered"
    headers = headers_of(dlt)
    assert headers["wangge.dlt.error_type"] == b"ForeignSourceError"
    assert b"/wangge/notify" in headers["wangge.dlt.error"] and b"cases.v1" in headers["wangge.dlt.error"]
    assert calls == [] and processed_ids(runtime) == set()
    # in a batch too: the forged event is settled in its place, the genuine ones around it applied
    tp = TopicPartition("cases.v1", 0)
    genuine = [good_event(), good_event()]
    runner.consumer = FakeConsumer([{tp: partition_records(genuine[0], forged.replace(id="f2"), genuine[1])}])
    assert runner.poll_once() == 3 and calls == [e.id for e in genuine]


# --- a failed commit rewinds every assigned partition; nothing is skipped ------------------------------------------

def test_a_failed_commit_rewinds_every_assigned_partition_to_its_committed_offset(world):
    from kafka.errors import CommitFailedError

    runtime, runner, dlt, calls = world
    a, b, idle = TopicPartition("cases.v1", 0), TopicPartition("cases.v1", 1), TopicPartition("cases.v1", 2)
    a_events, b_events = [good_event(), good_event()], [good_event(), good_event()]
    consumer = FakeConsumer([{a: partition_records(*a_events, first_offset=10),
                              b: partition_records(*b_events, first_offset=50)}], assigned={idle})
    consumer.group_offsets = {a: 10, b: 50, idle: 7}
    consumer.fail_commit_of, consumer.commit_error = {a}, CommitFailedError("group rebalanced")
    runner.consumer = consumer
    with pytest.raises(CommitFailedError):
        runner.poll_once()
    # a's records are processed (in the database) but not committed; b's were fetched and not processed at all:
    # every partition goes back to what the group committed, so the next polls bring both again
    assert sorted(consumer.seeks) == sorted([(a, 10), (b, 50), (idle, 7)])
    assert calls == [e.id for e in a_events]
    consumer.batches = [{a: partition_records(*a_events, first_offset=10),
                         b: partition_records(*b_events, first_offset=50)}]
    assert runner.poll_once() == 4
    assert calls == [e.id for e in a_events + b_events]  # a's again are duplicates: no handler ran twice
    assert consumer.group_offsets == {a: 12, b: 52, idle: 7}


def test_when_the_committed_offsets_cannot_be_read_the_consumer_is_replaced(world):
    from kafka.errors import KafkaTimeoutError

    runtime, runner, dlt, calls = world
    tp = TopicPartition("cases.v1", 0)
    consumer = FakeConsumer([{tp: partition_records(good_event(), first_offset=5)}])
    consumer.fail_commit_of, consumer.commit_error = {tp}, KafkaTimeoutError("broker away")

    def unreachable(tp, timeout_ms=None):
        raise KafkaTimeoutError("broker away")

    consumer.committed = unreachable
    runner.consumer = consumer
    with pytest.raises(KafkaTimeoutError):
        runner.poll_once()
    # a new consumer joins the group and starts from the committed offsets
    assert consumer.closed and runner.consumer is None


# --- progress: lag without ListOffsets, saved where the web process reads it, /readyz names a stall ---------------


class HighwaterConsumer(FakeConsumer):
    def __init__(self, batches, highwaters):
        super().__init__(batches, assigned=highwaters)
        self.highwaters = highwaters

    def highwater(self, tp):
        return self.highwaters.get(tp)


def rows(runtime):
    table = runtime.tables.consumer_progress
    with runtime.db.sessions() as session:
        return {(r.topic, r.partition): r for r in session.execute(select(table))}


def make_runner(runtime_factory, handlers=None):
    runtime = runtime_factory(handlers=handlers or {"case.registered": lambda uow, event: None})
    return runtime, ConsumerRunner(runtime, producer_factory=DltProducer)


def test_lag_counts_records_fetched_beyond_an_undercounting_high_watermark(runtime_factory):
    from kafka.errors import KafkaTimeoutError

    runtime, runner = make_runner(runtime_factory)
    a, b = TopicPartition("cases.v1", 0), TopicPartition("cases.v1", 1)
    records = partition_records(*[good_event() for _ in range(5)], first_offset=10)
    # the broker reports a high watermark of 11 for a (a batch's base offset + 1), and 30 for b
    consumer = HighwaterConsumer([{a: records}], {a: 11, b: 30})
    consumer.group_offsets = {a: 10, b: 20}
    consumer.fail_commit_of, consumer.commit_error = {a}, KafkaTimeoutError("broker frozen")
    runner.consumer = consumer
    try:
        runner.poll_once()
    except KafkaTimeoutError:
        pass
    runner.progress.observe(consumer)
    lag = {tp.partition: REGISTRY.get_sample_value("consumer_lag", {"service": "routing", "topic": "cases.v1",
                                                                    "partition": str(tp.partition)}) for tp in (a, b)}
    assert lag == {0: 5, 1: 10}  # b: nothing fetched; the rewind learnt its committed offset (20) from the broker
    runner.progress.save()
    saved = rows(runtime)
    assert saved[("cases.v1", 0)].lag == 5 and saved[("cases.v1", 0)].committed_offset == 10
    assert saved[("cases.v1", 0)].end_offset == 15


def test_a_partition_with_lag_that_does_not_advance_is_reported_and_one_that_advances_is_not(runtime_factory):
    runtime, runner = make_runner(runtime_factory)
    a = TopicPartition("cases.v1", 0)
    runner.consumer = HighwaterConsumer([{a: partition_records(good_event(), good_event(), first_offset=0)}],
                                        {a: 40})
    assert runner.poll_once() == 2
    runner.progress.save()
    assert rows(runtime)[("cases.v1", 0)].lag == 38
    assert progress.stalled(runtime) == []  # it has just advanced
    later = utcnow() + timedelta(seconds=runtime.settings.consumer_stall_s + 1)
    [line] = progress.stalled(runtime, now=later)
    assert line.startswith("wangge-routing cases.v1[0] lag 38, not advanced for")
    # caught up: no lag, nothing to report however long it stays so
    runner.consumer.batches = [{a: partition_records(*[good_event() for _ in range(38)], first_offset=2)}]
    assert runner.poll_once() == 38
    runner.progress.save()
    assert progress.stalled(runtime, now=later) == []


def test_a_consumer_that_stops_writing_its_progress_with_lag_is_reported(runtime_factory):
    runtime, runner = make_runner(runtime_factory)
    a = TopicPartition("cases.v1", 3)
    runner.consumer = HighwaterConsumer([{a: partition_records(good_event(), first_offset=0)}], {a: 9})
    runner.poll_once()
    runner.progress.save()
    table = runtime.tables.consumer_progress
    long_ago = utcnow() - timedelta(seconds=runtime.settings.consumer_stall_s + 5)
    with runtime.db.transaction() as session:  # advanced recently, but the process went silent long ago
        session.execute(update(table).values(updated_at=long_ago))
    assert [line.split(" lag")[0] for line in progress.stalled(runtime)] == ["wangge-routing cases.v1[3]"]


@pytest.fixture
def app_for():
    """A web app on a test's runtime; its own database engine is disposed after the test."""
    import dataclasses

    made = []

    def make(runtime, *, requires_broker=True):
        spec = dataclasses.replace(runtime.spec, ready_requires_broker=requires_broker)
        made.append(create_service_app(spec, runtime.settings, title="t", description="d"))
        return made[-1].test_client()

    yield make
    for app in made:
        app.extensions["wangge_runtime"].db.dispose()


def test_readyz_answers_503_naming_the_consumer_group_of_a_stalled_partition(runtime_factory, monkeypatch, app_for):
    from wangge_common import http

    runtime, runner = make_runner(runtime_factory)
    monkeypatch.setattr(http, "broker_reachable", lambda bootstrap: True)
    client = app_for(runtime)
    assert client.get("/readyz").json["checks"]["consumer"] == "ok"
    a = TopicPartition("cases.v1", 1)
    runner.consumer = HighwaterConsumer([{a: partition_records(good_event(), first_offset=0)}], {a: 12})
    runner.poll_once()
    runner.progress.save()
    assert client.get("/readyz").status_code == 200
    table = runtime.tables.consumer_progress
    with runtime.db.transaction() as session:
        session.execute(update(table).values(advanced_at=utcnow() - timedelta(hours=1)))
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json["status"] == "not ready"
    assert answer.json["checks"]["consumer"].startswith("stalled: wangge-routing cases.v1[1] lag 11")
    # a service built to serve with the broker down is not taken out while the broker is away
    monkeypatch.setattr(http, "broker_reachable", lambda bootstrap: False)
    lenient = app_for(runtime, requires_broker=False).get("/readyz")
    assert lenient.status_code == 200 and lenient.json["checks"]["consumer"].startswith("stalled:")
    monkeypatch.setattr(http, "broker_reachable", lambda bootstrap: True)
    assert app_for(runtime, requires_broker=False).get("/readyz").status_code == 503
