"""Routing's own settings: every WANGGE_ROUTING_* variable, read once when the process starts."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import timedelta

from wangge_common.settings import Settings

from .domain import Policy

# The policy numbers, by their variable: hours (WANGGE_ROUTING_<NAME>_HOURS) and counts (WANGGE_ROUTING_<NAME>).
POLICY_HOURS = {
    "WANGGE_ROUTING_DUE_SOON_LEAD_HOURS": "due_soon_lead",
    "WANGGE_ROUTING_SIGN_WITHIN_HOURS": "sign_within",
    "WANGGE_ROUTING_FORWARD_WITHIN_HOURS": "forward_within",
    "WANGGE_ROUTING_REMINDER_AFTER_HOURS": "reminder_after",
    "WANGGE_ROUTING_SUPERVISION_AFTER_HOURS": "supervision_after",
    "WANGGE_ROUTING_ESCALATION_AFTER_HOURS": "escalation_after",
    "WANGGE_ROUTING_REPLY_WITHIN_HOURS": "reply_within",
    "WANGGE_ROUTING_RATING_WINDOW_HOURS": "rating_window",
    "WANGGE_ROUTING_RETURN_VISIT_WINDOW_HOURS": "return_visit_window",
}
POLICY_COUNTS = {"WANGGE_ROUTING_REOPEN_LIMIT": "reopen_limit", "WANGGE_ROUTING_RETURN_LIMIT": "return_limit"}


@dataclass(frozen=True)
class RoutingSettings:
    """What routing is configured with: the policy numbers and the key that signs residents' evaluation links."""

    policy: Policy = field(default_factory=Policy)
    # WANGGE_ROUTING_TOKEN_SECRET, else derived from the suite's PII key; None: neither is set (links cannot be
    # signed, which is an error only when one is needed)
    token_secret: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "RoutingSettings":
        extra = settings.extra
        numbers = {name: timedelta(hours=float(extra[variable]))
                   for variable, name in POLICY_HOURS.items() if extra.get(variable)}
        numbers.update({name: int(extra[variable]) for variable, name in POLICY_COUNTS.items() if extra.get(variable)})
        return cls(policy=Policy(**numbers), token_secret=_token_secret(extra.get("WANGGE_ROUTING_TOKEN_SECRET"),
                                                                        settings.pii_key))


def _token_secret(explicit: str | None, pii_key: str | None) -> str | None:
    """WANGGE_ROUTING_TOKEN_SECRET, or a key derived from the suite's PII key."""
    if explicit:
        return explicit
    if not pii_key:
        return None
    return hmac.new(pii_key.encode(), b"wangge routing evaluation link", hashlib.sha256).hexdigest()
