"""Every code routing puts on a case or order has one Chinese label in the shared vocabulary (contracts.labels)."""
from wangge_common.contracts import labels

import importlib.util
from pathlib import Path

import routing
from routing import domain


def _seed_topics() -> set:
    """The topics of the starting dispatch catalogue, read from the migration that seeds it."""
    path = next((Path(routing.__file__).parent / "migrations" / "versions").glob("*initial_routing_schema.py"))
    spec = importlib.util.spec_from_file_location("initial_routing_schema", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {topic for (_, topic, *_rest) in module.SEED_RULES if topic}


def test_every_state_path_and_seeded_topic_has_a_chinese_label():
    states = {s for (s, _) in domain.TRANSITIONS} | set(domain.TRANSITIONS.values())
    assert states <= set(labels.CASE_STATES)
    orders = {s for (s, _) in domain.ORDER_TRANSITIONS} | set(domain.ORDER_TRANSITIONS.values())
    assert orders <= set(labels.WORK_ORDER_STATES)
    assert set(domain.PATHS) <= set(labels.TRIAGE_PATHS)
    assert _seed_topics() <= set(labels.TOPICS)


def test_an_unknown_code_shows_as_itself_and_no_value_as_nothing():
    assert labels.label("topic", "road") == "道路交通"
    assert labels.label("topic", "something_new") == "something_new"
    assert labels.label("case_state", None) == ""
