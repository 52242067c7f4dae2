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
