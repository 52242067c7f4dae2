"""KPI definitions (办结率, 满意率 ...): what one case adds to each slice it counts in, and a slice's KPI row from
its counters. Pure."""
from __future__ import annotations

import math
import re

# name -> (Chinese, target or None, higher is better). Closure 95 % and satisfaction 90 % are the seeds' targets
# (000); on-time closure and answer-to-reporter take the closure target ("件件有答复"): one stated assumption.
PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")  # a KPI period: a year (2026) or a month (2026-11)


def is_period(text: str) -> bool:
    return PERIOD.match(text) is not None


KPIS = {
    "closure_rate": ("办结率", 0.95, True),
    "on_time_closure_rate": ("按时办结率", 0.95, True),
    "satisfaction_rate": ("满意率", 0.90, True),
    "reopen_rate": ("发回重办率", None, False),
    "answer_rate": ("答复群众率", 0.95, True),
}
DIMENSIONS = {"all": "全部", "grid": "网格", "township": "乡镇（街道）", "department": "职能部门", "deputy": "人大代表",
              "channel": "渠道", "category": "类别", "period": "月份"}


def rate(part: int, whole: int) -> float | None:
    """part / whole to four places; None when there is no whole."""
    return round(part / whole, 4) if whole else None


COUNTERS = ("cases", "closed", "on_time_closed", "answered", "replied", "reopened", "satisfied",
            "basically_satisfied", "unsatisfied", "handling_sum", "handling_count", "closed_unrated")
# The slices every case adds itself to; "state" feeds cases-by-state. Townships are summed from grid cells at
# query time, through the grid tree, so they never depend on the order roster events arrived in.
CELL_DIMENSIONS = ("all", "grid", "department", "deputy", "channel", "category", "period", "state")
NO_KEY = ""  # a case not (yet) attributed, e.g. no deputy has replied: its own slice, shown as 未定


def case_vector(case: dict) -> tuple[tuple, int | None]:
    """What one case adds to every slice it is in: its counters in `COUNTERS` order, and its handling-time hour
    (for the p90), or None when it has no handling time."""
    rating, closed = case["rating"], case["closed"]
    handled = closed and case["handling_s"] is not None
    return ((1, int(closed), int(closed and case["on_time"] is True), int(case["answered"]), int(case["replied"]),
             int(case["reopen_count"] > 0), int(rating == "satisfied"), int(rating == "basically_satisfied"),
             int(rating == "unsatisfied"), case["handling_s"] if handled else 0, int(handled),
             int(closed and rating is None)),
            case["handling_s"] // 3600 if handled else None)


def case_contribution(case: dict) -> tuple[dict, int | None]:
    """`case_vector` as a dict of counters."""
    vector, hour = case_vector(case)
    return dict(zip(COUNTERS, vector)), hour


def case_keys(case: dict) -> list[tuple[str, str]]:
    """(dimension, key) of every slice the case counts in; a withdrawn case counts nowhere."""
    if case["withdrawn"]:
        return []
    keys = {"all": "all", "grid": case["grid_id"], "department": case["department"], "deputy": case["deputy_id"],
            "channel": case["channel"], "category": case["category"], "period": case["period"],
            "state": case["state"]}
    return [(dim, keys[dim] or NO_KEY) for dim in CELL_DIMENSIONS]


def cell_periods(month: str) -> tuple[str, str, str]:
    """The periods a case of `month` (YYYY-MM) counts in: all time (""), its year, its month."""
    return "", month[:4], month


def case_cells(case: dict) -> list[tuple[str, str, str]]:
    """(dimension, key, period) of every slice the case counts in."""
    periods = cell_periods(case["period"])
    return [(dim, key, p) for dim, key in case_keys(case) for p in periods]


def kpi_row(counts: dict, p90_hours: int | None) -> dict:
    """One slice's KPIs from its counters and the p90 of its handling hours (see `percentile_hours`)."""
    c = counts
    row = {
        "cases": c["cases"], "closed": c["closed"], "on_time_closed": c["on_time_closed"],
        "answered": c["answered"], "replied": c["replied"], "reopened": c["reopened"],
        "rated": c["satisfied"] + c["basically_satisfied"] + c["unsatisfied"],
        "satisfied": c["satisfied"], "basically_satisfied": c["basically_satisfied"],
        # 未评价: closed without a rating; a case still open is not "unrated" yet
        "unsatisfied": c["unsatisfied"], "unrated": c["closed_unrated"],
    }
    row["closure_rate"] = rate(row["closed"], row["cases"])
    row["on_time_closure_rate"] = rate(row["on_time_closed"], row["closed"])
    row["satisfaction_rate"] = rate(row["satisfied"] + row["basically_satisfied"], row["rated"])
    row["reopen_rate"] = rate(row["reopened"], row["cases"])
    row["answer_rate"] = rate(row["replied"], row["answered"])
    count = c["handling_count"]
    row["avg_handling_hours"] = round(c["handling_sum"] / count / 3600, 2) if count else None
    row["p90_handling_hours"] = float(p90_hours) if count and p90_hours is not None else None
    row["meets"] = {name: (None if target is None or row[name] is None else row[name] >= target)
                    for name, (_, target, _) in KPIS.items()}
    return row


def p90_of(hours: dict) -> int | None:
    """The p90 a cell stores beside its histogram, recomputed whenever the histogram changes."""
    return percentile_hours(hours, 0.9) if hours else None


def percentile_hours(hours: dict, q: float) -> int:
    """Nearest-rank percentile over a histogram of whole hours (the hour the q-th case falls in, rounded down)."""
    rank = math.ceil(q * sum(hours.values()))
    seen = 0
    for hour in sorted(map(int, hours)):
        seen += hours[str(hour)]
        if seen >= rank:
            return hour
    return 0


def add_counts(total: dict, counts: dict, sign: int = 1) -> None:
    for name in COUNTERS:
        total[name] = total.get(name, 0) + sign * counts[name]


def add_hour(hours: dict, hour: int | None, sign: int = 1) -> None:
    if hour is None:
        return
    key = str(hour)
    hours[key] = hours.get(key, 0) + sign
    if hours[key] == 0:
        del hours[key]


def project_figures(rows: list[dict], year: str) -> dict:
    """The year's micro livelihood projects (民生微实事) from their facts: proposed, funded and completed in the year,
    refused (of those proposed), the money approved, and the residents' ratings of the completed ones."""
    def within(key: str) -> list[dict]:
        return [r for r in rows if (r[key] or "").startswith(year)]

    proposed, funded, completed = within("proposed_on"), within("funded_on"), within("completed_on")
    ratings = sum(r["ratings"] for r in completed)
    return {"proposed": len(proposed), "funded": len(funded), "completed": len(completed),
            "refused": sum(r["state"] == "refused" for r in proposed),
            "funded_yuan": sum(r["funded_yuan"] or 0 for r in funded),
            "ratings": ratings, "satisfaction": rate(sum(r["pleased"] for r in completed), ratings)}
