"""Every code a person may see has its Chinese label (labels.py): here, every event type of the contracts, which the
case and order histories and the auditor's log show by name."""
from wangge_common import contracts
from wangge_common.contracts import labels


def test_every_event_type_of_the_contracts_has_a_chinese_label():
    types = {event_type for event_type, _ in contracts.registry()}
    assert sorted(types - set(labels.EVENT_TYPES)) == []
    assert sorted(set(labels.EVENT_TYPES) - types) == []  # no label for an event that does not exist
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in labels.EVENT_TYPES.values())


def test_a_code_not_in_the_list_is_shown_as_it_is_rather_than_as_a_wrong_label():
    assert labels.label("event_type", "case.registered") == labels.EVENT_TYPES["case.registered"]
    assert labels.label("event_type", "case.invented") == "case.invented" and labels.label("event_type", None) == ""
