"""Envelope v2 (issue 19.6): `sequence` is the CloudEvents sequence extension's string, parsed by the cloudevents SDK
from the records the relay publishes; v1 records (an integer) are still read, and written back as they were."""
import copy
import sys
from pathlib import Path

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

from wangge_common import contracts
from wangge_common.envelope import EnvelopeError, Event
from wangge_common.relay import OutboxRelay

sys.path.insert(0, str(Path(__file__).parent))
from test_outbox_and_relay import FakeProducer  # noqa: E402

CASE = copy.deepcopy(contracts.contract("case.registered", 1).schema["examples"][0])


def published(runtime_factory, count: int) -> list[tuple]:
    """`count` events of one subject through the outbox and the relay: the records exactly as on the topic."""
    runtime = runtime_factory()
    for _ in range(count):
        with runtime.unit_of_work(actor="test") as uow:
            uow.emit("case.registered", "case-a", CASE)
    producer = FakeProducer()
    OutboxRelay(runtime, producer_factory=lambda: producer).publish_batch()
    return producer.sent


def test_the_sdk_reads_the_sequence_as_an_orderable_string_from_the_records_on_the_topic(runtime_factory):
    records = published(runtime_factory, 12)
    events = [from_kafka_event(KafkaMessage(headers=dict(headers), key=key, value=value))
              for _, key, value, headers in records]
    sequences = [e.get_extension("sequence") for e in events]
    assert all(isinstance(s, str) for s in sequences)
    assert sequences[8:10] == ["0000000009", "0000000010"]
    assert sorted(sequences) == sequences  # lexicographic order is the events' order, as the extension requires
    assert [e.get_subject() for e in events] == ["case-a"] * 12 and events[0].get_type() == "case.registered"
    assert [Event.from_json(value).sequence for _, _, value, _ in records] == list(range(1, 13))


def test_a_v1_record_with_an_integer_sequence_is_still_accepted_and_kept_byte_for_byte():
    # how every record written before envelope v2 looks on the topics
    raw = Event(type="case.registered", source="/wangge/intake", subject="case-a", data=CASE,
                sequence=7).to_json().replace('"sequence":"0000000007"', '"sequence":7')
    event = Event.from_json(raw)
    assert event.sequence == 7
    assert event.to_json() == raw  # the audit log stores what the topic holds, not a rewritten copy
    sdk = from_kafka_event(KafkaMessage(headers={"content-type": b"application/cloudevents+json"}, key=b"case-a",
                                        value=raw.encode()))
    assert sdk.get_extension("sequence") == 7  # the deviation v2 removes


def test_a_v2_event_read_back_keeps_its_spelling_and_a_renumbered_copy_is_written_anew():
    event = Event(type="case.registered", source="/wangge/intake", subject="case-a", data=CASE, sequence=3)
    again = Event.from_json(event.to_json())
    assert again.sequence == 3 and again.to_json() == event.to_json()
    assert '"sequence":"0000000004"' in again.replace(sequence=4).to_json()


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "", "0", "-3", "abc", "١٢", "1" * 20, None, [1]])
def test_a_sequence_that_is_no_positive_number_is_not_an_envelope(bad):
    raw = Event(type="case.registered", source="/wangge/intake", subject="case-a", data=CASE, sequence=1).to_dict()
    raw["sequence"] = bad
    with pytest.raises(EnvelopeError, match="sequence"):
        Event.from_dict(raw)


def test_the_envelope_schema_accepts_both_forms_and_nothing_else():
    from jsonschema import Draft202012Validator

    sequence = Draft202012Validator(contracts.ENVELOPE_SCHEMA["properties"]["sequence"])
    assert sequence.is_valid("0000000042") and sequence.is_valid(42)
    assert not sequence.is_valid("42") and not sequence.is_valid(0) and not sequence.is_valid("00000000x2")


def test_emit_many_numbers_each_subject_after_its_last_event_with_one_read(runtime_factory):
    runtime = runtime_factory()
    with runtime.unit_of_work(actor="test") as uow:
        uow.emit("case.registered", "case-a", CASE)
        uow.emit("case.registered", "case-a", CASE)
    statements = []
    from sqlalchemy import event as sa_event

    engine = runtime.db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        with runtime.unit_of_work(actor="test") as uow:
            uow.emit_many([("case.registered", subject, CASE) for subject in ("case-a", "case-b", "case-a")])
            reads = [s for s in statements if "event_sequences" in s]
            assert len(reads) == 1 and reads[0].lstrip().upper().startswith("SELECT")  # nothing per event
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    with runtime.unit_of_work(actor="test") as uow:  # the stored numbers go on from there
        uow.emit("case.registered", "case-b", CASE)
    producer = FakeProducer()
    OutboxRelay(runtime, producer_factory=lambda: producer).publish_batch()
    numbered = [(key, Event.from_json(value).sequence) for _, key, value, _ in producer.sent]
    by_subject = {}
    for key, sequence in numbered:
        by_subject.setdefault(key if isinstance(key, str) else key.decode(), []).append(sequence)
    assert by_subject == {"case-a": [1, 2, 3, 4], "case-b": [1, 2]}
