"""Routing's settings: every WANGGE_ROUTING_* variable read once into RoutingSettings (no app, no database)."""
from datetime import timedelta

import pytest

from routing.domain import Policy
from routing.settings import RoutingSettings
from routing.service import RoutingState
from wangge_common.settings import Settings


def test_unset_variables_keep_the_policys_defaults():
    settings = RoutingSettings.from_settings(Settings.from_env("routing", {}))
    assert settings.policy == Policy() and settings.token_secret is None


def test_the_policy_numbers_and_the_token_secret_come_from_the_environment():
    settings = RoutingSettings.from_settings(Settings.from_env("routing", {
        "WANGGE_ROUTING_FORWARD_WITHIN_HOURS": "12", "WANGGE_ROUTING_RATING_WINDOW_HOURS": "1.5",
        "WANGGE_ROUTING_RETURN_LIMIT": "5", "WANGGE_ROUTING_TOKEN_SECRET": "s3cret"}))
    assert settings.policy.forward_within == timedelta(hours=12)
    assert settings.policy.rating_window == timedelta(minutes=90)
    assert settings.policy.return_limit == 5 and settings.policy.reopen_limit == Policy().reopen_limit
    assert settings.token_secret == "s3cret"


def test_the_link_key_is_derived_from_the_pii_key_and_missing_only_when_a_link_is_signed():
    derived = RoutingSettings.from_settings(Settings.from_env("routing", {"WANGGE_PII_KEY": "k"})).token_secret
    assert derived and derived != "k"
    state = RoutingState(RoutingSettings.from_settings(Settings.from_env("routing", {})))
    with pytest.raises(RuntimeError, match="WANGGE_ROUTING_TOKEN_SECRET"):
        state.token_secret
