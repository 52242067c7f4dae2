"""Intake rules (DOMAIN.md, "Intake"); pure Python."""
from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import secrets
from collections import Counter
from datetime import datetime, timedelta, timezone
from itertools import repeat

from wangge_common import redaction
from wangge_common.inputs import PHOTO_MAX_BYTES, photo_media_type  # noqa: F401 - intake's photo rules, named here
from wangge_common.contracts import labels

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
    """WG and 8 symbols drawn uniformly from the alphabet, from one read of the OS's randomness (rejection
    sampling: a byte is used only below the largest multiple of the alphabet's size, so no symbol is favoured)."""
    size = len(TRACKING_ALPHABET)
    limit = 256 - 256 % size
    symbols: list[str] = []
    while len(symbols) < 8:
        symbols += [TRACKING_ALPHABET[b % size] for b in secrets.token_bytes(16) if b < limit]
    return "WG" + "".join(symbols[:8])


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

ATTACHMENT_LIMIT = 20
BULK_LIMIT = 100  # cases per bulk call: one call stays well under the 1 MiB body limit
DUPLICATE_WINDOW_DAYS = 30
OPEN_STATES = ("registered", "triaged", "assigned", "signed", "in_progress", "returned", "reopened", "escalated")
WITHDRAWABLE_STATES = OPEN_STATES + ("answered",)
VISIT_KINDS = ("door_to_door", "contact_household", "meeting")
DEPUTY_KINDS = ("npc_deputy", "party_delegate")
RECEPTION_MINUTES = 120  # a reception day lasts at least 2 hours (DOMAIN.md, "Intake")
WITHDRAW_REQUESTERS = ("reporter", "staff", "integration")
LINK_BASES = ("same_household", "similar_content")

# The resident's view of a case (received, assigned, answered, evaluated, closed) from the lifecycle state.
STEPS = ("received", "assigned", "answered", "evaluated", "closed")
STEP_OF_STATE = {
    "registered": "received", "triaged": "received", "returned": "received",
    "assigned": "assigned", "signed": "assigned", "in_progress": "assigned", "reopened": "assigned",
    "escalated": "assigned", "answered": "answered", "resolved": "answered", "evaluated": "evaluated",
    "closed": "closed", "withdrawn": "withdrawn",
}
ANSWERED_STEPS = ("answered", "evaluated", "closed")  # the steps at which the resident sees the answer
HANDLING_ORDER_STATES = ("dispatched", "signed", "in_progress", "answered")  # a work order not cancelled or returned
ON_THE_SPOT_LABEL = "人大代表现场解答"  # case.answered without a department: a deputy answered on the spot
STEP_LABELS = {"received": "已受理", "assigned": "已交办", "answered": "已答复", "evaluated": "已评价",
               "closed": "已办结", "withdrawn": "已撤回",
               # steps of the real history that the five-step view folds into another (tracking timeline only)
               "returned": "退回重新分办", "reopened": "发回重办", "escalated": "已督办"}
# A state the timeline shows as its own step, where the five-step view would fold it back into an earlier one and
# so seem to undo what already happened (已答复, 已评价 shown as 待办理 again after an escalation).
TIMELINE_STEP_OF_STATE = {"returned": "returned", "reopened": "reopened", "escalated": "escalated"}
CATEGORY_LABELS, CHANNEL_LABELS = labels.CATEGORIES, labels.CHANNELS

_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


def priority(urgency: str, special_groups) -> str:
    """Urgent matters first; a special group (低保, 残疾, 孤寡老人, 留守儿童) raises a normal matter to high."""
    if urgency == "urgent":
        return "urgent"
    return "high" if special_groups else "normal"


def content_key(content: str) -> str:
    """Hash of the content without spaces, punctuation or case: near-identical reports share it."""
    return hashlib.sha256(_PUNCTUATION.sub("", content).lower().encode()).hexdigest()


SIMILAR_RATIO = 0.9  # near-identical: at least 90 % of the characters match in order (difflib ratio)
SIMILAR_SCAN = 20  # the newest open cases of the grid compared character by character


def _plain(text: str) -> str:
    return _PUNCTUATION.sub("", text).lower()


def content_profile(text: str) -> tuple[str, Counter]:
    """A report's text without spaces, punctuation or case, and its character counts (what similarity reads)."""
    plain = _plain(text)
    return plain, Counter(plain)


def near_identical_to(text: str):
    """A test of whether another report (its text, or its content_profile) says nearly the same as `text`.

    difflib's ratio, with its two upper bounds checked first as difflib's own real_quick_ratio and quick_ratio
    would (by length, then by character counts), from counts computed once per text: most candidates stop there.
    """
    plain, counts = content_profile(text)
    matcher = difflib.SequenceMatcher(None, "", plain, autojunk=False)

    def check(other) -> bool:
        other_plain, other_counts = content_profile(other) if isinstance(other, str) else other
        total = len(plain) + len(other_plain)
        if not total:
            return True
        if 2.0 * min(len(plain), len(other_plain)) / total < SIMILAR_RATIO:
            return False
        # characters in common, counted with repeats (difflib's quick_ratio), in C-level loops
        matches = sum(map(min, map(counts.get, other_counts, repeat(0)), other_counts.values()))
        if 2.0 * matches / total < SIMILAR_RATIO:
            return False
        matcher.set_seq1(other_plain)
        return matcher.ratio() >= SIMILAR_RATIO

    return check


def near_identical(a: str, b: str) -> bool:
    """Whether two reports say nearly the same thing (spaces, punctuation and case ignored)."""
    return near_identical_to(b)(a)


ADDRESS_SHOWN = 6  # characters of a household's address kept readable (the village, say); the rest is encrypted


def mask_address(address: str) -> str:
    return address if len(address) <= ADDRESS_SHOWN else address[:ADDRESS_SHOWN] + "…"


def address_key(address: str) -> str:
    return _PUNCTUATION.sub("", address).lower()[:200]


def step_of(state: str) -> str:
    return STEP_OF_STATE.get(state, "received")


def tracking_timeline(entries) -> list[dict]:
    """The resident's view of a case as it really went, from its (state, at) entries in the order they happened:
    every step reached, in order, repeats included (answered again after 发回重办), the last one current, then the
    steps still ahead (reached_at None). Nothing reached is ever shown as waiting again."""
    timeline: list[dict] = []
    for state, at in entries:
        step = TIMELINE_STEP_OF_STATE.get(state) or step_of(state)
        if timeline and timeline[-1]["step"] == step:
            continue  # an event that leaves the case where it was (a reminder, a rating request)
        timeline.append({"step": step, "label": STEP_LABELS[step], "reached_at": at, "current": False})
    if not timeline:
        return timeline
    timeline[-1]["current"] = True
    last_state = entries[-1][0] if entries else "registered"
    if timeline[-1]["step"] in ("closed", "withdrawn"):
        return timeline
    ahead = STEPS[STEPS.index(step_of(last_state)) + 1:] if step_of(last_state) in STEPS else ()
    return timeline + [{"step": s, "label": STEP_LABELS[s], "reached_at": None, "current": False} for s in ahead]


# Records of what happened (a case taken in, a reception held, a visit made) cannot be dated in the future;
# a few minutes are allowed for the clocks of the systems that push them.
CLOCK_SKEW = timedelta(minutes=5)


EARLIEST_RECEIVED = datetime(2000, 1, 1, tzinfo=timezone.utc)  # older is a typo or a fuzzer, not a matter


def not_before_2000(field: str, moment) -> list[tuple[str, str]]:
    """A problem when a matter says it was taken in before 2000 (0001-01-01 also breaks deadline arithmetic)."""
    return [(field, "is before 2000-01-01: not a date a matter was taken in")] if moment < EARLIEST_RECEIVED else []


def not_in_future(field: str, moment, now, what: str) -> list[tuple[str, str]]:
    """A problem when `moment` (a datetime, or a date against today's date) is later than now."""
    if isinstance(moment, datetime):
        late = moment > now + CLOCK_SKEW
    else:
        late = moment > now
    return [(field, f"is in the future: {what}")] if late else []


# What one visit can reach: a few households door to door; a grid meeting (网格会议/民主恳谈) a village at most.
VISIT_MAX_RESIDENTS = {"door_to_door": 100, "contact_household": 100, "meeting": 1000}
RECEPTION_MAX = timedelta(hours=12)  # a reception day is one day: a longer span is two sessions or a typo


def visit_problems(kind: str, residents_reached: int) -> list[tuple[str, str]]:
    most = VISIT_MAX_RESIDENTS[kind]
    if residents_reached > most:
        return [("residents_reached", f"{residents_reached} residents in one {kind} visit is more than one visit "
                                      f"reaches (at most {most}); record each visit or meeting on its own")]
    return []


def reception_problems(started_at, ended_at, deputies: list[dict], now: datetime) -> list[tuple[str, str]]:
    """A reception session is recorded once held: it ends after it starts, within the day, and not later than now."""
    problems = []
    if ended_at <= started_at:
        problems.append(("ended_at", "must be after started_at"))
    elif ended_at - started_at > RECEPTION_MAX:
        hours = (ended_at - started_at).total_seconds() / 3600
        problems.append(("ended_at", f"the session would last {hours:.0f} hours: a reception day lasts at most "
                                     f"{RECEPTION_MAX.seconds // 3600} hours; record each day as its own session"))
    problems += not_in_future("started_at", started_at, now, "a reception session is recorded once it took place")
    problems += not_in_future("ended_at", ended_at, now, "a reception session is recorded once it took place")
    ids = [d["deputy_id"] for d in deputies]
    if len(set(ids)) != len(ids):
        problems.append(("deputies", "lists a deputy twice"))
    return problems


def reception_minutes(started_at, ended_at) -> int:
    return int((ended_at - started_at).total_seconds() // 60)


# Personal data written into free text (content, supplements, reasons, notes) must not reach an event, an answer
# or a list: wangge_common.redaction finds phones (any width, spaced, +86), ID numbers, e-mails and known names.
def has_phone_or_id(text: str | None, names=()) -> bool:
    return redaction.contains_personal(text, names)


def redact(text: str | None, names=()) -> str | None:
    """The text with every phone, ID number, e-mail address and the given names masked (138****1234,
    430382********1234, w***@example.cn, 王*英)."""
    return redaction.redact(text, names)


def phone_digits(phone: str | None) -> str | None:
    """A phone number as its digits alone, without a +86 / 0086 prefix: the form its keyed hash is taken of."""
    if not phone:
        return None
    digits = "".join(c for c in phone if c.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix):]
    return digits


# --- attachments (photos) ---------------------------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = PHOTO_MAX_BYTES  # a photo is judged by content: photo_media_type (wangge_common.inputs)


GRID_RADIUS_KM = 5.0  # a located request is placed in a grid whose centre is at most this far away
_EARTH_RADIUS_KM = 6371.0088


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two WGS84 points (latitude, longitude), by the haversine formula."""
    (lat1, lon1), (lat2, lon2) = (tuple(math.radians(v) for v in point) for point in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def nearest_grid(point: tuple[float, float], grids, radius_km: float = GRID_RADIUS_KM):
    """The grid a located matter belongs to: among the grids (id, level, latitude, longitude) whose centre is within
    radius_km, the finest level's nearest (a villagers' group before its village, a village before its township);
    None when no centre is that close."""
    near = [(-level, distance_km(point, (lat, lon)), grid_id) for grid_id, level, lat, lon in grids]
    near = [candidate for candidate in near if candidate[1] <= radius_km]
    return min(near)[2] if near else None
