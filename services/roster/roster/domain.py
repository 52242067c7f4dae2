"""Roster rules from the seeds (DOMAIN.md); pure Python."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from wangge_common.contracts import labels
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


# --- the grid tree (网格) ---------------------------------------------------------------------------------------------
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


# --- deputies and the public notice (公示) ----------------------------------------------------------------------------
def mask_mobile(mobile: str) -> str:
    """138****1234: the form in which a mobile number is shown."""
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 7 else "****"


PHONE_DISPLAYS = ("office", "station", "masked_mobile")  # masked_mobile: the old name of "station"


def deputy_fields_problem(phone_display: str, office_phone: str | None, term_start, term_end) -> tuple | None:
    """(field, reason) when a deputy's fields disagree: the office number shown but none on file, or a term that
    ends before it starts."""
    if phone_display == "office" and not office_phone:
        return "office_phone", "is required when phone_display is 'office'"
    if term_start and term_end and term_end < term_start:
        return "term_end", f"must not be before term_start ({term_start.isoformat()})"
    return None


def public_phone(office_phone: str | None, display: str) -> str | None:
    """A deputy's own number for the public notice: the office number, when they agreed to publish it. Never the
    mobile, not even masked (a masked number cannot be called); otherwise the notice gives the station's number."""
    return office_phone if display == "office" and office_phone else None


def notice_period(first_day: date, notice_days: int) -> dict:
    """公示期: from the day the grid's assignments were published, `notice_days` days."""
    return {"from": first_day.isoformat(), "to": (first_day + timedelta(days=notice_days)).isoformat()}


# --- a person's identity: the resident ID number (GB 11643) -----------------------------------------------------------
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


# --- liaison stations (代表联络站), "1+4+N" ---------------------------------------------------------------------------
def station_network_findings(stations, townships, served: dict) -> list[dict]:
    """"1+4+N" (seed 002) checked: a main station (总站), a station for every township, every township station
    placed in a township and every area station serving a grid; each gap a finding with its reason.
    `stations` and `townships` have the columns of the tables; `served`: station id → the grid ids it serves."""
    findings = []
    if not any(s.tier == "main" for s in stations):
        findings.append({"rule": "no_main_station", "reason": "the county has no main station (总站)"})
    placed = {s.township_id for s in stations if s.tier == "township" and s.township_id}
    for town in townships:
        if town.id not in placed:
            findings.append({"rule": "township_without_station", "grid_id": town.id, "grid_code": town.code,
                             "reason": f"{town.name} has no township station (乡镇代表联络站)"})
    for s in stations:
        if s.tier == "township" and not s.township_id:
            findings.append({"rule": "station_without_township", "station_id": s.id,
                             "reason": f"the township station {s.name} serves no grid of a township"})
        if s.tier == "area" and not served.get(s.id):
            findings.append({"rule": "area_station_without_grid", "station_id": s.id,
                             "reason": f"the area station {s.name} serves no grid"})
    return findings


# --- reception schedules (接待日) -------------------------------------------------------------------------------------
LEAD_DAYS = 3  # schedules are posted at least three days ahead (003)
MIN_HOURS = 2  # each reception lasts at least two hours (000)
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def check_hours(start: str, end: str, field: str = "end_time") -> None:
    if _minutes(end) - _minutes(start) < MIN_HOURS * 60:
        raise Invalid([(field, f"a reception lasts at least {MIN_HOURS} hours ({start}–{end} is shorter)")])


def schedule_pattern_problem(pattern: str, weekday: int | None, month_days) -> tuple[str, str] | None:
    """(field, reason) when a schedule's pattern lacks what it needs: a weekday for a weekly rota, days of the
    month for monthly receptions."""
    if pattern == "weekly" and weekday is None:
        return "weekday", "a weekly rota needs a weekday (0 Monday … 6 Sunday)"
    if pattern == "monthly" and not month_days:
        return "month_days", "monthly receptions need their days of the month, e.g. [10, 25]"
    return None


def duty_team_problems(ids: list[str], found: dict, two_representatives: bool) -> list[str]:
    """Why a duty team cannot hold a reception: a member not on the roster or not serving, no people's-congress
    deputy, or (两代表) no party delegate. `found`: id → the deputy (name, status, kind) of those on the roster."""
    problems = [f"no deputy {d}" for d in ids if d not in found]
    problems += [f"{found[d].name} is {found[d].status}, not serving" for d in ids
                 if d in found and found[d].status != "serving"]
    kinds = {found[d].kind for d in ids if d in found}
    if "npc_deputy" not in kinds:
        problems.append("at least one people's-congress deputy (人大代表) must be on duty")
    if two_representatives and "party_delegate" not in kinds:
        problems.append("the 两代表 scheme needs a party-congress delegate (党代表) on duty too")
    return problems


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


# --- contact households (双联系) --------------------------------------------------------------------------------------
MIN_LINKS, MIN_MEETINGS = 3, 2  # 双联系 (004): ≥ 3 households a deputy, each met ≥ twice a year


def contact_shortfall(links: list[tuple[str, str]], meetings) -> dict | None:
    """How a deputy's contact households (link id, kind) fall short of 双联系, given the meetings per link this
    year: fewer than 3 links, a kind missing, or a household met fewer than twice; None when they do not."""
    kinds = {kind for _, kind in links}
    missing = [k for k in CONTACT_KINDS if k not in kinds]
    rarely_met = [{"link_id": link_id, "kind": kind, "meetings": meetings[link_id]} for link_id, kind in links
                  if meetings[link_id] < MIN_MEETINGS]
    if len(links) >= MIN_LINKS and not missing and not rarely_met:
        return None
    return {"links": len(links), "kinds_missing": missing, "meetings": sum(meetings[link_id] for link_id, _ in links),
            "households_met_fewer_than_twice": rarely_met}


# --- the duty record (履职登记, seeds 002/003/004) ---------------------------------------------------------------
# Seed 004: at least 2 inspections (视察/调研) and at least one suggestion (建议) a year; seed 003: themed activities
# every quarter and forums (座谈会) every half-year; seed 002's "五个一" counts a good suggestion, an inspection, a
# dispute mediated and a household in difficulty helped.
DUTY_KIND_NAMES_ZH = labels.DUTY_KINDS
DUTY_REPLY_OUTCOMES = labels.DUTY_REPLY_OUTCOMES
DUTY_KINDS = tuple(DUTY_KIND_NAMES_ZH)
DUTY_EARLIEST = date(2000, 1, 1)  # no record is older than the programme's software


@dataclass(frozen=True)
class DutyTarget:
    key: str
    requirement_zh: str
    met: bool | None  # None: the year has not reached the period yet
    done: str


def duty_problems(kind: str, occurred_on: date, today: date, *, addressed_to: str | None) -> list[tuple[str, str]]:
    """What is wrong with a new record, as (field, reason)."""
    problems = []
    if kind not in DUTY_KINDS:
        problems.append(("kind", f"must be one of {', '.join(DUTY_KINDS)}"))
    if occurred_on > today:
        problems.append(("occurred_on", "must not be in the future"))
    if occurred_on < DUTY_EARLIEST:
        problems.append(("occurred_on", f"must not be before {DUTY_EARLIEST.isoformat()}"))
    if kind == "suggestion" and not (addressed_to or "").strip():
        problems.append(("addressed_to", "a suggestion names the department or office it is addressed to"))
    if kind != "suggestion" and addressed_to:
        problems.append(("addressed_to", "only a suggestion is addressed to a department"))
    return problems


def duty_targets(year: int, records: list[tuple[str, date]], today: date) -> list[DutyTarget]:
    """The seeds' yearly targets against one deputy's records (kind, occurred_on) of `year`, as of `today`.

    A target whose period has not ended is `met=None` unless already met (a quarter in progress can still be met)."""
    mine = [(kind, day) for kind, day in records if day.year == year]
    kinds = Counter(kind for kind, _ in mine)
    over = year < today.year
    inspections = kinds["inspection"] + kinds["survey"]

    def yearly(key, needed, count, text):
        met = count >= needed or (False if over else None)
        return DutyTarget(key, text, met, f"{count} 次")

    def periods(key, kind, size, text):
        spans = [(start, start + size - 1) for start in range(1, 13, size)]
        done, flags = [], []
        for first, last in spans:
            count = sum(1 for k, d in mine if k == kind and first <= d.month <= last)
            ended = year < today.year or (year == today.year and today.month > last)
            flags.append(True if count else (False if ended else None))
            done.append(count)
        met = False if False in flags else (True if all(flags) else None)
        return DutyTarget(key, text, met, "、".join(str(c) for c in done))

    return [
        yearly("suggestions", 1, kinds["suggestion"], "每年至少提出 1 条建议"),
        yearly("inspections", 2, inspections, "每年至少参加 2 次视察或调研"),
        periods("themed_activities", "themed_activity", 3, "每季度开展主题活动"),
        periods("forums", "forum", 6, "每半年召开座谈会"),
    ]
