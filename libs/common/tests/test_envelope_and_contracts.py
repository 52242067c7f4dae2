"""The envelope round-trips, and contracts refuse data that does not match (personal data included)."""
import copy
import json

import pytest

from wangge_common import contracts
from wangge_common.envelope import EnvelopeError, Event

CASE = copy.deepcopy(contracts.contract("case.registered", 1).schema["examples"][0])


def test_envelope_round_trip_keeps_every_attribute():
    event = Event(type="case.registered", source="/wangge/intake", subject=CASE["case_id"], data=CASE, sequence=3,
                  causationid="c-1", actor="apikey:hotline", traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    wire = json.loads(event.to_json())
    assert wire["specversion"] == "1.0" and wire["dataschema"] == "urn:wangge:schema:case.registered:v1"
    assert wire["correlationid"] == event.id  # a new chain of events is its own correlation
    assert Event.from_json(event.to_json()) == event


@pytest.mark.parametrize("mutate, reason", [
    (lambda e: e.pop("id"), "misses id"),
    (lambda e: e.update(specversion="0.3"), "specversion"),
    (lambda e: e.update(dataschema="urn:wangge:schema:case.triaged:v1"), "type is"),
    (lambda e: e.update(sequence=0), "sequence"),
    (lambda e: e.update(data=[1]), "data must be"),
])
def test_malformed_envelopes_are_refused_with_the_reason(mutate, reason):
    raw = Event(type="case.registered", source="/s", subject="x", data=CASE, sequence=1).to_dict()
    mutate(raw)
    with pytest.raises(EnvelopeError, match=reason):
        Event.from_dict(raw)


def test_not_json_is_an_envelope_error():
    with pytest.raises(EnvelopeError, match="not JSON"):
        Event.from_json(b"\xff{not json")


def test_every_shipped_example_matches_its_schema():
    for (event_type, version), found in contracts.registry().items():
        for example in found.schema["examples"]:
            contracts.validate(Event(type=event_type, version=version, source="/t", subject="s", data=example,
                                     sequence=1))


def test_a_phone_number_cannot_ride_along_in_an_event():
    leaky = {**CASE, "reporter_phone": "13812345678"}
    with pytest.raises(contracts.ContractError, match="Additional properties"):
        contracts.validate(Event(type="case.registered", source="/t", subject="s", data=leaky, sequence=1))


def test_contract_error_lists_each_bad_field():
    bad = {**CASE, "channel": "fax", "grid_id": "not-a-uuid"}
    with pytest.raises(contracts.ContractError) as info:
        contracts.validate(Event(type="case.registered", source="/t", subject="s", data=bad, sequence=1))
    assert {path for path, _ in info.value.errors} == {"channel", "grid_id"}


def test_unknown_type_is_its_own_error():
    with pytest.raises(contracts.UnknownEventType):
        contracts.contract("case.teleported", 1)


def test_asyncapi_document_lists_every_event_on_its_topic():
    doc = contracts.asyncapi_document()
    assert doc["asyncapi"].startswith("3.")
    assert set(doc["components"]["messages"]) == {f"{t}.v{v}" for t, v in contracts.registry()}
    assert doc["channels"]["cases_v1"]["address"] == "cases.v1"
    assert "case.registered.v1" in doc["channels"]["cases_v1"]["messages"]


def test_every_topic_has_a_dead_letter_topic():
    specs = contracts.all_topic_specs()
    for topic in contracts.TOPICS.values():
        assert specs[topic.name] == topic.partitions and specs[topic.dead_letter] == 1


def test_json_nested_too_deep_or_too_large_is_refused_before_parsing():
    from wangge_common.envelope import MAX_DEPTH, MAX_EVENT_BYTES, check_limits

    for poison in (b"[" * 100000 + b"]" * 100000, b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1)):
        with pytest.raises(EnvelopeError, match="nested deeper than"):
            Event.from_json(poison)
    with pytest.raises(EnvelopeError, match="over the limit"):
        Event.from_json(b" " * (MAX_EVENT_BYTES + 1))
    with pytest.raises(EnvelopeError, match="nested deeper than"):
        Event.from_json("[" * 5000 + "]" * 5000)  # a str as well as bytes
    # brackets inside strings (escaped quotes included) do not nest; exactly the limit is allowed
    check_limits(b'["' + b"[" * 500 + b'\\"' + b"{" * 500 + b'"]')
    check_limits(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    with pytest.raises(EnvelopeError, match="not JSON"):
        Event.from_json(b'{"n": ' + b"9" * 5000 + b"}")  # an integer literal over Python's 4,300 digits


def test_each_topics_writers_are_exactly_the_services_that_declare_they_publish_it():
    from wangge_common.cli import load_spec
    from wangge_common.settings import SERVICES

    publishers = {topic: set() for topic in contracts.TOPICS}
    for service in SERVICES:
        for topic in load_spec(service).publishes:
            publishers[topic].add(service)
    assert {name: set(topic.writers) for name, topic in contracts.TOPICS.items()} == publishers
    assert contracts.TOPICS["cases.v1"].sources == {"/wangge/intake", "/wangge/routing"}


def test_an_event_whose_source_does_not_write_the_topic_is_refused():
    ok = Event(type="grid.created", source="/wangge/roster", subject="g", data={}, sequence=1)
    contracts.check_source("roster.v1", ok)
    contracts.check_source("somewhere.else", ok.replace(source="/anyone"))  # topics the registry does not know
    with pytest.raises(contracts.ForeignSourceError, match="/wangge/intake"):
        contracts.check_source("roster.v1", ok.replace(source="/wangge/intake"))
