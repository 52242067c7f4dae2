"""The compiled contract check never accepts what jsonschema (the reference) refuses, on any shipped schema."""
import copy
import itertools

import pytest
from jsonschema import Draft202012Validator

from wangge_common import contracts
from wangge_common.envelope import Event

ODD_VALUES = (None, True, False, 0, 1, -1, 1.5, 1.0, "", "x", "not-a-uuid", "2026-13-45T99:00:00Z", "2026-02-30",
              "2026-12-01", "2026-12-01T08:00:00+08:00", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "一" * 2001, [],
              ["x"], [1], [None], {}, {"x": 1})


def paths(value, prefix=()):
    """Every path into a JSON value (object keys and list indexes)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, prefix + (index,))


def replaced(value, path, new):
    copied = copy.deepcopy(value)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copied


def removed(value, path):
    copied = copy.deepcopy(value)
    target = copied
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return copied


def variants(example):
    """The example, and one change at a time: every odd value at every place, every key removed, one key added."""
    yield example
    for path in itertools.islice(paths(example), 1, None):
        for odd in ODD_VALUES:
            yield replaced(example, path, odd)
        yield removed(example, path)
    for path in paths(example):
        container = example
        for step in path:
            container = container[step]
        if isinstance(container, dict):
            yield replaced(example, path + ("unexpected_field",), "x") if path else dict(example, unexpected_field=1)


CONTRACTS = sorted(contracts.registry().items())


@pytest.mark.parametrize("key", [k for k, _ in CONTRACTS], ids=[f"{t}.v{v}" for (t, v), _ in CONTRACTS])
def test_the_compiled_check_agrees_with_jsonschema(key):
    found = contracts.registry()[key]
    Draft202012Validator.check_schema(found.schema)  # the registry builds validators lazily: check every file here
    assert found.accepts is not None, "every shipped schema is in the subset both drafts read alike"
    checked = agreed = 0
    for example in found.schema["examples"]:
        for data in variants(example):
            reference = found.validator.is_valid(data)
            fast = found.accepts(data)
            assert not (fast and not reference), f"accepted what jsonschema refuses: {data}"
            checked += 1
            agreed += fast == reference
    assert checked > 10
    assert agreed / checked > 0.95  # a refusal jsonschema would accept is only slower (it is checked again)


def test_a_refused_event_still_gets_jsonschemas_reasons():
    example = copy.deepcopy(contracts.contract("case.registered", 1).schema["examples"][0])
    example["case_id"] = "not-a-uuid"
    del example["channel"]
    event = Event(type="case.registered", version=1, source="/wangge/intake", subject="s", data=example, sequence=1)
    with pytest.raises(contracts.ContractError) as refused:
        contracts.validate(event)
    fields = {path for path, _ in refused.value.errors}
    assert "case_id" in fields and "" in fields  # the bad uuid, and the missing property at the root


def test_a_schema_outside_the_common_subset_is_left_to_jsonschema():
    assert contracts._compiled({"type": "object", "prefixItems": [{"type": "string"}]}, None) is None
    assert contracts._compiled({"type": "array", "items": [{"type": "string"}]}, None) is None
    assert contracts._compiled({"type": "object", "unevaluatedProperties": False}, None) is None
    assert contracts._compiled({"type": "object", "properties": {"a": {"$ref": "#/x"}}}, None) is None
