"""Every code intake accepts has one Chinese label in the shared vocabulary (contracts.labels)."""
from wangge_common.contracts import labels

from intake import domain


def test_every_code_intake_accepts_has_a_chinese_label():
    assert set(domain.CHANNELS) == set(labels.CHANNELS)
    assert set(domain.CATEGORIES) == set(labels.CATEGORIES)
    assert set(domain.SPECIAL_GROUPS) == set(labels.SPECIAL_GROUPS)
    assert set(domain.URGENCIES) == set(labels.URGENCIES)
    assert set(domain.RECEIVER_KINDS) <= set(labels.RECEIVER_KINDS)
    assert set(domain.VISIT_KINDS) <= set(labels.VISIT_KINDS)
    assert {domain.priority(u, g) for u in domain.URGENCIES for g in ((), ("disabled",))} <= set(labels.PRIORITIES)
