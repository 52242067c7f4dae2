"""Roster rules from the seeds (DOMAIN.md); pure Python."""
from __future__ import annotations

import re
from datetime import date, timedelta

from wangge_common.errors import Invalid

LEVELS = ("national", "provincial", "city", "county", "township")
LEVEL_NAMES_ZH = {"national": "全国人大代表", "provincial": "省人大代表", "city": "市人大代表",
                  "county": "县人大代表", "township": "乡镇人大代表"}
GRID_LEVELS = {1: "township", 2: "village_or_community", 3: "group_or_estate"}
GRID_KINDS = ("urban_community", "rural_village", "old_estate", "migrant_cluster", "industrial_park")
SPECIAL_ZONES = ("old_estate", "migrant_cluster", "industrial_park")
DEPUTY_KINDS = ("npc_deputy", "party_delegate")
STATUSES = ("serving", "suspended", "ended")
STATION_TIERS = ("main", "township", "area")
CONTACT_KINDS = ("wealth_leader", "household_in_difficulty", "respected_figure")
CONTACT_KIND_NAMES_ZH = {"wealth_leader": "致富带头人", "household_in_difficulty": "困难群众", "respected_figure": "乡贤"}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
OFFICE_PHONE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
# Household ranges the seeds give for a typical grid (000): urban 300–500, rural 200–300.
HOUSEHOLD_RANGES = {"urban_community": (300, 500), "rural_village": (200, 300)}


def check_grid_placement(level: int, parent_level: int | None) -> str | None:
    """Why a grid of `level` cannot sit under a parent of `parent_level`, or None when it can."""
    if level == 1:
        return None if parent_level is None else "a township grid (level 1) has no parent"
    if parent_level is None:
        return f"a level-{level} grid needs a parent of level {level - 1}"
    if parent_level != level - 1:
        return f"a level-{level} grid must sit under a level-{level - 1} grid, not level {parent_level}"
    return None


def household_flags(kind: str, level: int, households: int) -> list[str]:
    """Flags for a bottom-level grid whose size is outside the seeds' range; allowed, but shown."""
    low_high = HOUSEHOLD_RANGES.get(kind)
    if level != 3 or low_high is None or households == 0:
        return []
    low, high = low_high
    if households < low or households > high:
        return [f"households_outside_range:{low}-{high}"]
    return []


def mask_mobile(mobile: str) -> str:
    """138****1234: the form in which a mobile number is shown."""
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 7 else "****"


PHONE_DISPLAYS = ("office", "station", "masked_mobile")  # masked_mobile: the old name of "station"


def public_phone(office_phone: str | None, display: str) -> str | None:
    """A deputy's own number for the public notice: the office number, when they agreed to publish it. Never the
    mobile, not even masked (a masked number cannot be called); otherwise the notice gives the station's number."""
    return office_phone if display == "office" and office_phone else None


def place_name(lineage_names: list[str]) -> str:
    """A grid's full name from the township down, without repeating a name its child already starts with
    (泉江村 + 泉江村第一村民小组 → 泉江村第一村民小组, not 泉江村泉江村第一村民小组)."""
    parts: list[str] = []
    for name in lineage_names:
        if parts and name.startswith(parts[-1]):
            parts[-1] = name
        else:
            parts.append(name)
    return "".join(parts)


# --- a person's identity: the resident ID number (GB 11643) and blank names ----------------------------------------
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_problem(number: str) -> str | None:
    """Why `number` is not a resident ID number (18 characters, the last a check digit over the first 17)."""
    if not ID_NUMBER.match(number):
        return "must be an 18-character resident ID number (17 digits and a digit or X)"
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != number[17]:
        return "the check digit (the 18th character) does not match: the number is mistyped"
    return None


def mask_id_number(number: str) -> str:
    return number[:4] + "*" * 10 + number[-4:]


# Reception schedules (接待日) ------------------------------------------------------------------------------
LEAD_DAYS = 3  # schedules are posted at least three days ahead (003)
MIN_HOURS = 2  # each reception lasts at least two hours (000)
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def check_hours(start: str, end: str, field: str = "end_time") -> None:
    if _minutes(end) - _minutes(start) < MIN_HOURS * 60:
        raise Invalid([(field, f"a reception lasts at least {MIN_HOURS} hours ({start}–{end} is shorter)")])


def rule_days(rule, first: date, last: date) -> list[date]:
    """The days from `first` to `last` (inclusive) on which the rule holds a reception."""
    days, day = [], first
    while day <= last:
        if (rule.pattern == "weekly" and day.weekday() == rule.weekday) or (
                rule.pattern == "monthly" and day.day in rule.month_days):
            days.append(day)
        day += timedelta(days=1)
    return days


def missing_days(rule, first: date, last: date) -> list[dict]:
    """Days of the month a monthly rule asks for that a month in [first, last] does not have (30 February, 31
    April): said in `skipped`, as nothing is published for them."""
    if rule.pattern != "monthly":
        return []
    missing, month = [], first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        month_end = following - timedelta(days=1)
        if first <= month_end <= last:
            missing += [{"day": None, "month": month.strftime("%Y-%m"),
                         "reason": f"{month.strftime('%Y-%m')} has no day {d} (it ends on the {month_end.day}th): "
                                   f"no reception that month on this day"}
                        for d in rule.month_days if d > month_end.day]
        month = following
    return missing


def describe(rule) -> str:
    """The rule in Chinese, as the notice prints it: 每月10日、25日 9:00-11:00."""
    hours = f"{rule.start_time}-{rule.end_time}"
    if rule.pattern == "weekly":
        return f"每{WEEKDAYS_ZH[rule.weekday]} {hours}"
    return "每月" + "、".join(f"{d}日" for d in rule.month_days) + f" {hours}"
