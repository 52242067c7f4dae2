"""Intake rules (DOMAIN.md, "Intake"); pure Python."""
from __future__ import annotations

import hashlib
import json
import secrets

CHANNELS = ("hotline", "station", "online", "visit", "meeting", "integration")
CATEGORIES = ("request", "enquiry", "complaint", "suggestion")  # 求决, 咨询, 投诉, 建议
URGENCIES = ("normal", "urgent")
SPECIAL_GROUPS = ("subsistence_allowance", "disabled", "elderly_alone", "left_behind_child")  # 低保 残疾 孤寡老人 留守儿童
RECEIVER_KINDS = ("deputy", "call_taker", "system", "resident")
# Who may take a matter in on each channel; the receiving deputy is the first receiver (首问责任).
CHANNEL_RECEIVERS = {
    "hotline": ("call_taker",), "station": ("deputy",), "online": ("resident", "system"),
    "visit": ("deputy",), "meeting": ("deputy",), "integration": ("system",),
}
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone


def new_tracking_code() -> str:
    return "WG" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def new_reporter_ref() -> str:
    return "rp_" + secrets.token_hex(12)


def channel_problems(channel: str, receiver_kind: str, external_ref: dict | None) -> list[tuple[str, str]]:
    problems = []
    allowed = CHANNEL_RECEIVERS[channel]
    if receiver_kind not in allowed:
        problems.append(("received_by.kind", f"the {channel} channel is taken in by {' or '.join(allowed)}, not {receiver_kind}"))
    if channel == "integration" and not external_ref:
        problems.append(("external_ref", "an integration case carries the external system's own id"))
    return problems


def request_fingerprint(body: dict) -> str:
    """A stable hash of a request body, to tell a retry from a different request under the same key."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
