"""The outbox keeps every event written with its change; the relay publishes in order and loses nothing."""
import copy
import dataclasses
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from kafka.errors import KafkaError, KafkaTimeoutError
from sqlalchemy import insert, select

from wangge_common import contracts
from wangge_common.relay import OutboxRelay

CASE = copy.deepcopy(contracts.contract("case.registered", 1).schema["examples"][0])


class FakeFuture:
    def __init__(self, error=None):
        self.is_done, self.exception = True, error

    def failed(self):
        return self.exception is not None

    def get(self, timeout=None):
        if self.exception:
            raise self.exception


class FakeProducer:
    """Records what was sent; fails from the `fail_from`-th send on."""

    config = {"delivery_timeout_ms": 1000}

    def __init__(self, fail_from=None):
        self.sent, self.fail_from = [], fail_from

    def send(self, topic, key=None, value=None, headers=None):
        index = len(self.sent)
        self.sent.append((topic, key, value, headers))
        if self.fail_from is not None and index >= self.fail_from:
            return FakeFuture(KafkaError("broker went away"))
        return FakeFuture()

    def flush(self, timeout=None):
        pass

    def close(self, timeout=None):
        pass


def emit_cases(runtime, n, subject=None):
    for i in range(n):
        with runtime.unit_of_work(actor="test") as uow:
            uow.emit("case.registered", subject or f"case-{i}", {**CASE, "case_id": CASE["case_id"]})


def pending(runtime):
    outbox = runtime.tables.outbox
    with runtime.db.sessions() as session:
        return session.scalars(select(outbox.c.sequence).where(outbox.c.published_at.is_(None))).all()


def test_an_event_and_the_change_commit_or_roll_back_together(runtime_factory):
    runtime = runtime_factory()
    notes = runtime.spec.metadata.tables["notes"]
    with pytest.raises(RuntimeError):
        with runtime.unit_of_work(actor="test") as uow:
            uow.session.execute(insert(notes).values(text="kept?"))
            uow.emit("case.registered", "c1", CASE)
            raise RuntimeError("the handler failed after emitting")
    with runtime.db.sessions() as session:
        assert session.execute(select(notes)).all() == []
    assert pending(runtime) == []


def test_events_of_one_subject_are_numbered_in_order_and_carry_their_cause(runtime_factory):
    runtime = runtime_factory()
    emit_cases(runtime, 3, subject="case-a")
    with runtime.unit_of_work(actor="test") as uow:
        first = uow.emit("case.registered", "case-b", CASE)
    assert pending(runtime) == [1, 2, 3, 1]
    assert first.actor == "test" and first.correlationid == first.id and first.causationid is None


def test_an_invalid_event_never_reaches_the_outbox(runtime_factory):
    runtime = runtime_factory()
    with pytest.raises(contracts.ContractError):
        with runtime.unit_of_work(actor="test") as uow:
            uow.emit("case.registered", "c1", {**CASE, "channel": "fax"})
    assert pending(runtime) == []


def test_relay_publishes_in_order_keyed_by_subject_and_marks_rows(runtime_factory):
    runtime = runtime_factory()
    emit_cases(runtime, 2, subject="case-a")
    producer = FakeProducer()
    relay = OutboxRelay(runtime, producer_factory=lambda: producer)
    assert relay.publish_batch() == 2
    assert [(t, k) for t, k, _, _ in producer.sent] == [("cases.v1", b"case-a")] * 2
    assert [json.loads(v)["sequence"] for _, _, v, _ in producer.sent] == ["0000000001", "0000000002"]  # envelope v2
    assert ("content-type", b"application/cloudevents+json") in producer.sent[0][3]
    assert pending(runtime) == [] and relay.publish_batch() == 0


def test_broker_down_keeps_every_row_and_records_the_attempt(runtime_factory):
    runtime = runtime_factory()
    emit_cases(runtime, 3)

    def unreachable():
        raise KafkaTimeoutError("bootstrap timed out")

    relay = OutboxRelay(runtime, producer_factory=unreachable)
    with pytest.raises(KafkaTimeoutError):
        relay.publish_batch()
    assert len(pending(runtime)) == 3


def test_a_failure_mid_batch_stops_there_so_later_rows_cannot_overtake(runtime_factory):
    runtime = runtime_factory()
    emit_cases(runtime, 4)
    relay = OutboxRelay(runtime, producer_factory=lambda: FakeProducer(fail_from=2))
    with pytest.raises(KafkaError):
        relay.publish_batch()
    assert len(pending(runtime)) == 2
    outbox = runtime.tables.outbox
    with runtime.db.sessions() as session:
        attempts = session.execute(select(outbox.c.attempts, outbox.c.last_error).where(
            outbox.c.published_at.is_(None)).order_by(outbox.c.id)).all()
    assert attempts[0].attempts == 1 and "broker went away" in attempts[0].last_error
    relay._producer = FakeProducer()
    assert relay.publish_batch() == 2 and pending(runtime) == []


def test_relay_run_retries_with_backoff_until_the_broker_returns(runtime_factory):
    runtime = runtime_factory()
    emit_cases(runtime, 2)
    calls, stop = {"n": 0}, threading.Event()
    producer = FakeProducer()

    def flaky():
        calls["n"] += 1
        if calls["n"] < 3:
            raise KafkaTimeoutError("down")
        return producer

    relay = OutboxRelay(runtime, producer_factory=flaky)
    relay.backoff = lambda: 0.01
    thread = threading.Thread(target=relay.run, args=(stop,))
    thread.start()
    for _ in range(200):
        if not pending(runtime):
            break
        stop.wait(0.02)
    stop.set()
    thread.join(5)
    assert calls["n"] == 3 and len(producer.sent) == 2 and pending(runtime) == []


def test_a_stopping_relay_publishes_what_the_outbox_still_holds(runtime_factory):
    runtime = runtime_factory()
    emit_cases(runtime, 3)
    producer, stop = FakeProducer(), threading.Event()
    stop.set()  # SIGTERM arrived: HTTP has stopped, the relay drains before it exits
    OutboxRelay(runtime, producer_factory=lambda: producer).run(stop)
    assert len(producer.sent) == 3 and pending(runtime) == []


def test_the_drain_on_stop_is_bounded_and_keeps_what_it_could_not_publish(runtime_factory):
    import time
    from dataclasses import replace

    runtime = runtime_factory()
    runtime.settings = replace(runtime.settings, relay_drain_s=0.5)
    emit_cases(runtime, 2)
    producer = FakeProducer(fail_from=0)  # the broker refuses everything
    relay = OutboxRelay(runtime, producer_factory=lambda: producer)
    began = time.monotonic()
    assert relay.drain() == 0
    assert time.monotonic() - began < 5 and len(pending(runtime)) == 2


def test_only_one_relay_leads_at_a_time(runtime_factory):
    from wangge_common.relay import RelayLock

    runtime = runtime_factory()
    first, second = RelayLock(runtime), RelayLock(runtime)
    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_a_new_subject_starts_at_one_and_cannot_be_claimed_new_twice(runtime_factory):
    from sqlalchemy.exc import IntegrityError

    runtime = runtime_factory()
    with runtime.unit_of_work(actor="test") as uow:
        assert uow.emit("case.registered", "case-n", CASE, new_subject=True).sequence == 1
    with pytest.raises(IntegrityError):
        with runtime.unit_of_work(actor="test") as uow:
            uow.emit("case.registered", "case-n", CASE, new_subject=True)
    with runtime.unit_of_work(actor="test") as uow:
        assert uow.emit("case.registered", "case-n", CASE).sequence == 2


def outbox_rows(runtime):
    outbox = runtime.tables.outbox
    with runtime.db.sessions() as session:
        return [(r.message_key, r.sequence, int(json.loads(r.payload)["sequence"]))  # v2: "0000000001"
                for r in session.execute(select(outbox).order_by(outbox.c.id))]


def test_events_of_one_transaction_are_written_at_commit_in_emission_order(runtime_factory):
    runtime = runtime_factory()
    emit_cases(runtime, 1, subject="old")
    with runtime.unit_of_work(actor="test") as uow:
        uow.emit("case.registered", "new", CASE, new_subject=True)
        uow.emit("case.registered", "old", CASE)
        uow.emit("case.registered", "new", CASE)
        uow.emit("case.registered", "old", CASE)
        assert [(e.subject, e.sequence) for e in uow.emitted] == [("new", 1), ("old", 2), ("new", 2), ("old", 3)]
    assert outbox_rows(runtime) == [("old", 1, 1), ("new", 1, 1), ("old", 2, 2), ("new", 2, 2), ("old", 3, 3)]
    with runtime.unit_of_work(actor="test") as uow:  # the stored numbers carry on from what was written
        assert [uow.emit("case.registered", s, CASE).sequence for s in ("new", "old")] == [3, 4]


def test_a_rolled_back_savepoint_takes_its_events_with_it(runtime_factory):
    runtime = runtime_factory()
    emit_cases(runtime, 1, subject="old")
    notes = runtime.spec.metadata.tables["notes"]
    with runtime.unit_of_work(actor="test") as uow:
        uow.emit("case.registered", "kept", CASE, new_subject=True)
        with pytest.raises(RuntimeError):
            with uow.session.begin_nested():
                uow.session.execute(insert(notes).values(text="gone"))
                uow.emit("case.registered", "gone", CASE, new_subject=True)
                uow.emit("case.registered", "old", CASE)
                raise RuntimeError("this row is refused")
        savepoint = uow.session.begin_nested()
        uow.emit("case.registered", "also-gone", CASE, new_subject=True)
        savepoint.rollback()
        with uow.session.begin_nested():
            uow.emit("case.registered", "old", CASE)
        assert [e.subject for e in uow.emitted] == ["kept", "old"]
    assert outbox_rows(runtime) == [("old", 1, 1), ("kept", 1, 1), ("old", 2, 2)]
    with runtime.db.sessions() as session:
        assert session.execute(select(notes)).all() == []
        sequences = runtime.tables.sequences
        assert dict(session.execute(select(sequences.c.subject, sequences.c.last_sequence)).all()) == {
            "old": 2, "kept": 1}


# --- retention, re-publication, and what operators see of them ---------------------------------------------------

def set_published(runtime, ago: timedelta | None):
    outbox = runtime.tables.outbox
    with runtime.db.transaction() as session:
        session.execute(outbox.update().where(outbox.c.published_at.is_not(None))
                        .values(published_at=datetime.now(timezone.utc) - ago))


def test_published_rows_are_deleted_after_the_retention_period_and_pending_ones_never(runtime_factory):
    from wangge_common.relay import delete_published_before, retention_cutoff

    runtime = runtime_factory()
    runtime.settings = dataclasses.replace(runtime.settings, outbox_retention_hours=24)
    emit_cases(runtime, 3)
    OutboxRelay(runtime, producer_factory=FakeProducer).publish_batch()
    set_published(runtime, timedelta(hours=25))
    emit_cases(runtime, 2)
    OutboxRelay(runtime, producer_factory=FakeProducer).publish_batch()
    emit_cases(runtime, 1)  # pending, however old
    outbox = runtime.tables.outbox
    with runtime.db.transaction() as session:
        session.execute(outbox.update().where(outbox.c.published_at.is_(None))
                        .values(created_at=datetime.now(timezone.utc) - timedelta(days=30)))
    assert delete_published_before(runtime, retention_cutoff(runtime)) == 3
    with runtime.db.sessions() as session:
        left = session.execute(select(outbox.c.published_at)).all()
    assert len(left) == 3 and sum(1 for (published,) in left if published is None) == 1
    runtime.settings = dataclasses.replace(runtime.settings, outbox_retention_hours=0)
    assert retention_cutoff(runtime) is None  # 0 keeps them forever


def test_the_relay_cleans_up_as_it_leads(runtime_factory):
    from wangge_common.relay import DELETED

    runtime = runtime_factory()
    runtime.settings = dataclasses.replace(runtime.settings, outbox_retention_hours=1)
    emit_cases(runtime, 2)
    relay = OutboxRelay(runtime, producer_factory=FakeProducer)
    relay.publish_batch()
    set_published(runtime, timedelta(hours=2))
    before = DELETED.labels("routing")._value.get()
    relay._housekeeping()
    assert DELETED.labels("routing")._value.get() == before + 2


def test_republished_rows_go_out_again_in_order_counted_by_reason(runtime_factory):
    from prometheus_client import REGISTRY

    from wangge_common.relay import republish_since

    runtime = runtime_factory()
    emit_cases(runtime, 3, subject="case-r")
    producer = FakeProducer()
    relay = OutboxRelay(runtime, producer_factory=lambda: producer)
    relay.publish_batch()
    emit_cases(runtime, 1, subject="case-r")  # pending when the operator puts the others back
    before = REGISTRY.get_sample_value("outbox_republished_total", {"service": "routing", "reason": "operator"}) or 0
    assert republish_since(runtime, datetime.now(timezone.utc) - timedelta(minutes=5), "operator") == 3
    assert relay.publish_batch() == 4
    assert [int(json.loads(v)["sequence"]) for _, _, v, _ in producer.sent] == [1, 2, 3, 1, 2, 3, 4]  # v2 strings
    assert REGISTRY.get_sample_value("outbox_republished_total",
                                     {"service": "routing", "reason": "operator"}) == before + 3
    outbox = runtime.tables.outbox
    with runtime.db.sessions() as session:
        reasons = session.execute(select(outbox.c.republish_reason, outbox.c.republished_at)).all()
    assert all(reason is None for reason, _ in reasons)  # counted once; republished_at stays as a record
    assert sum(1 for _, at in reasons if at is not None) == 3


def test_the_backlog_age_counts_from_when_a_row_started_waiting(runtime_factory):
    from prometheus_client import generate_latest

    from wangge_common.metrics import registry_for
    from wangge_common.relay import republish_since

    runtime = runtime_factory()

    def age():
        text = generate_latest(registry_for(runtime)).decode()
        [line] = [l for l in text.splitlines() if l.startswith("outbox_oldest_pending_age_seconds{")]
        return float(line.rsplit(" ", 1)[1])

    assert age() == 0
    emit_cases(runtime, 1)
    outbox = runtime.tables.outbox
    with runtime.db.transaction() as session:
        session.execute(outbox.update().values(created_at=datetime.now(timezone.utc) - timedelta(minutes=10)))
    assert 590 < age() < 700
    OutboxRelay(runtime, producer_factory=FakeProducer).publish_batch()
    assert age() == 0
    republish_since(runtime, None, "broker_forgot")  # a ten-minute-old event put back now waits from now
    assert age() < 60


def test_wangge_relay_republish_since_puts_rows_back_and_warns_beyond_the_retention(runtime_factory, monkeypatch,
                                                                                   capsys):
    from wangge_common import cli

    runtime = runtime_factory()
    emit_cases(runtime, 2)
    OutboxRelay(runtime, producer_factory=FakeProducer).publish_batch()
    monkeypatch.setattr(cli, "load_spec", lambda service: runtime.spec)
    monkeypatch.setattr(cli.Settings, "from_env", classmethod(lambda cls, service, env=None: runtime.settings))
    assert cli.main(["relay", "routing", "--republish-since", "2000-01-01T00:00:00Z"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("2 events of routing published since 2000-01-01T00:00:00+00:00 put back")
    assert "cannot be re-published" in out.err
    assert len(pending(runtime)) == 2
    with pytest.raises(SystemExit):
        cli.main(["relay", "routing", "--republish-since", "last tuesday"])
    assert "not an ISO 8601 time" in capsys.readouterr().err


def test_relay_and_consumer_of_one_service_can_have_metrics_ports_of_their_own():
    from wangge_common.settings import Settings

    settings = Settings.from_env("routing", {"WANGGE_ROUTING_METRICS_PORT": "9300",
                                             "WANGGE_ROUTING_CONSUMER_METRICS_PORT": "9301"})
    assert settings.metrics_port_for("relay") == 9300 and settings.metrics_port_for("consumer") == 9301
    assert Settings.from_env("routing", {}).metrics_port_for("relay") == 0
