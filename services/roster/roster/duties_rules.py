"""The duty record's rules (履职登记, seeds 002/003/004), pure: what a deputy records and the yearly targets.

Seed 004: at least 2 inspections (视察/调研) and at least one suggestion (建议) a year; seed 003: themed activities
every quarter and forums (座谈会) every half-year; seed 002's "五个一" counts a good suggestion, an inspection, a
dispute mediated and a household in difficulty helped.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from wangge_common.contracts import labels

KIND_NAMES_ZH = labels.DUTY_KINDS
REPLY_OUTCOMES = labels.DUTY_REPLY_OUTCOMES
KINDS = tuple(KIND_NAMES_ZH)
EARLIEST = date(2000, 1, 1)  # no record is older than the programme's software


@dataclass(frozen=True)
class Target:
    key: str
    requirement_zh: str
    met: bool | None  # None: the year has not reached the period yet
    done: str


def record_problems(kind: str, occurred_on: date, today: date, *, addressed_to: str | None) -> list[tuple[str, str]]:
    """What is wrong with a new record, as (field, reason)."""
    problems = []
    if kind not in KINDS:
        problems.append(("kind", f"must be one of {', '.join(KINDS)}"))
    if occurred_on > today:
        problems.append(("occurred_on", "must not be in the future"))
    if occurred_on < EARLIEST:
        problems.append(("occurred_on", f"must not be before {EARLIEST.isoformat()}"))
    if kind == "suggestion" and not (addressed_to or "").strip():
        problems.append(("addressed_to", "a suggestion names the department or office it is addressed to"))
    if kind != "suggestion" and addressed_to:
        problems.append(("addressed_to", "only a suggestion is addressed to a department"))
    return problems


def yearly_targets(year: int, records: list[tuple[str, date]], today: date) -> list[Target]:
    """The seeds' yearly targets against one deputy's records (kind, occurred_on) of `year`, as of `today`.

    A target whose period has not ended is `met=None` unless already met (a quarter in progress can still be met)."""
    mine = [(kind, day) for kind, day in records if day.year == year]
    kinds = Counter(kind for kind, _ in mine)
    over = year < today.year
    inspections = kinds["inspection"] + kinds["survey"]

    def yearly(key, needed, count, text):
        met = count >= needed or (False if over else None)
        return Target(key, text, met, f"{count} 次")

    def periods(key, kind, size, text):
        spans = [(start, start + size - 1) for start in range(1, 13, size)]
        done, flags = [], []
        for first, last in spans:
            count = sum(1 for k, d in mine if k == kind and first <= d.month <= last)
            ended = year < today.year or (year == today.year and today.month > last)
            flags.append(True if count else (False if ended else None))
            done.append(count)
        met = False if False in flags else (True if all(flags) else None)
        return Target(key, text, met, "、".join(str(c) for c in done))

    return [
        yearly("suggestions", 1, kinds["suggestion"], "每年至少提出 1 条建议"),
        yearly("inspections", 2, inspections, "每年至少参加 2 次视察或调研"),
        periods("themed_activities", "themed_activity", 3, "每季度开展主题活动"),
        periods("forums", "forum", 6, "每半年召开座谈会"),
    ]
