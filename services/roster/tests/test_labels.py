"""Every code the roster keeps has one Chinese label in the shared vocabulary (contracts.labels)."""
from wangge_common.contracts import labels

from roster import domain


def test_every_roster_code_has_a_chinese_label():
    assert set(domain.LEVELS) == set(labels.DEPUTY_LEVELS)
    assert set(domain.GRID_LEVELS) == set(labels.GRID_LEVELS)
    assert set(domain.GRID_KINDS) == set(labels.GRID_KINDS)
    assert set(domain.DEPUTY_KINDS) == set(labels.DEPUTY_KINDS)
    assert set(domain.CONTACT_KINDS) == set(labels.CONTACT_KINDS)
