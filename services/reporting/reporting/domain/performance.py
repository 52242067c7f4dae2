"""Deputy performance (履职): one deputy's year against the duties' numbers, each duty decided by its own pure
function (visits, households by month, reach by quarter, receptions, cases, contact households, 五个一), and
`deputy_performance` putting them together. The day the figures are read (`as_of`) is an argument."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from .cases import seconds_between
from .kpis import rate

CONTACT_KINDS = ("wealth_leader", "household_in_difficulty", "respected_figure")  # 致富带头人, 困难群众, 乡贤
SETTLED_OUTCOMES = ("satisfied", "basically_satisfied")  # a matter closed unsatisfied is not 推动解决


@lru_cache(maxsize=64)
def _weeks(start: date, end: date) -> tuple[tuple[int, int], ...]:
    """The ISO weeks (year, week) from start to end (one list for every deputy of a table: cached)."""
    weeks, day = [], start
    while day <= end:
        key = day.isocalendar()[:2]
        if not weeks or weeks[-1] != key:
            weeks.append(key)
        day += timedelta(days=1)
    return tuple(weeks)


def in_year(rows: list[dict], year: int, field: str) -> list[dict]:
    """The rows whose ISO date or time `field` falls in `year`."""
    return [row for row in rows if row[field][:4] == str(year)]


def visit_figures(visits: list[dict], year: int, end: date) -> dict:
    """每周至少走访 1 次: visits of the year (already cut to it), the ISO weeks from 1 January to `end`, and
    whether every one of them had a visit."""
    start = date(year, 1, 1)
    weeks = _weeks(start, end) if end >= start else ()
    visit_weeks = {date.fromisoformat(v["visited_on"]).isocalendar()[:2] for v in visits}
    return {"visits": len(visits), "weeks": len(weeks), "weeks_with_visit": len(visit_weeks & set(weeks)),
            "visits_per_week": round(len(visits) / len(weeks), 2) if weeks else None,
            "visits_meet": bool(weeks) and visit_weeks >= set(weeks)}


def households_by_month(visits: list[dict], year: int, end: date) -> dict:
    """每月走访至少 10 户: distinct households visited in each month from January to `end`'s month."""
    months = [f"{year}-{m:02d}" for m in range(1, end.month + 1)] if end >= date(year, 1, 1) else []
    seen: dict[str, set] = {m: set() for m in months}
    for v in visits:
        seen.setdefault(v["visited_on"][:7], set()).update(v["household_ids"])
    rows = [{"month": m, "households": len(seen.get(m, ())), "meets": len(seen.get(m, ())) >= 10} for m in months]
    return {"households_by_month": rows, "households_meet": bool(rows) and all(m["meets"] for m in rows)}


def reach_by_quarter(visits: list[dict], year: int, end: date, grid_population: int | None) -> dict:
    """每季度联系网格居民至少 5 %: residents reached per quarter begun by `end`, as a share of the population of the
    deputy's grids (not judged when the population is unknown)."""
    reached = {q: 0 for q in range(1, (end.month - 1) // 3 + 2)} if end >= date(year, 1, 1) else {}
    for v in visits:
        quarter = (int(v["visited_on"][5:7]) - 1) // 3 + 1
        reached[quarter] = reached.get(quarter, 0) + v["residents_reached"]
    quarters = []
    for q, count in sorted(reached.items()):
        share = rate(count, grid_population) if grid_population else None
        quarters.append({"quarter": q, "residents_reached": count, "share": share,
                         "meets": None if share is None else share >= 0.05})
    return {"reach_by_quarter": quarters, "grid_population": grid_population,
            "reach_meet": bool(quarters) and all(q["meets"] for q in quarters)}


def reception_figures(sessions: list[dict]) -> dict:
    """接待日: days with a reception session, their hours, residents received (sessions of the year)."""
    return {"reception_days": len({s["started_at"][:10] for s in sessions}),
            "reception_hours": round(sum(seconds_between(s["started_at"], s["ended_at"]) for s in sessions) / 3600,
                                     2),
            "residents_received": sum(s["residents_received"] for s in sessions)}


def cases_received(sessions: list[dict], registered: list[dict], visits: list[dict]) -> int:
    """Matters a deputy took in (受理): those registered in their reception sessions or with them as the receiver,
    each once, plus what their visits registered that is not already among those (a visit names only a count)."""
    ids = {cid for s in sessions for cid in s["case_ids"]} | {c["case_id"] for c in registered}
    on_visits = sum(v["cases_registered"] for v in visits)
    registered_on_visits = sum(1 for c in registered if c.get("channel") == "visit")
    return len(ids) + max(0, on_visits - registered_on_visits)


CASE_COUNTS = ("answered", "mediated", "suggestions", "special_answered", "settled")


def count_cases(cases: list[dict]) -> dict:
    """What a deputy's figures need of the cases they replied on (`deputy_id`), as counts: answered (replied to the
    reporter), mediated, suggestions, answered for a special group, answered and closed satisfied (settled).
    queries.performance computes the same counts in SQL for a whole table of deputies."""
    answered = [c for c in cases if c["replied"]]
    return {"answered": len(answered), "mediated": sum(1 for c in cases if c["mediated"]),
            "suggestions": sum(1 for c in cases if c["category"] == "suggestion"),
            "special_answered": sum(1 for c in answered if c["special"]),
            "settled": sum(1 for c in answered if c["closed"] and c.get("outcome") in SETTLED_OUTCOMES)}


def deputy_year(case: dict) -> tuple[str, str] | None:
    """(deputy, year) a case's counts (`count_cases`) belong to: the deputy who replied on it and the year it was
    registered in; None while no deputy has replied."""
    return (case["deputy_id"], case["period"][:4]) if case.get("deputy_id") else None


def case_figures(counts: dict) -> dict:
    """受理与答复: cases answered (replied to the reporter) and disputes mediated, from `count_cases`."""
    return {"cases_answered": counts["answered"], "disputes_mediated": counts["mediated"]}


def meetings_per_link(link_ids: list[str], meetings: list[dict], start: str, last: str) -> dict[str, int]:
    """Days each link's household was met between `start` and `last` (ISO dates, inclusive): two meetings recorded
    with one household on one day are one meeting."""
    met = {link_id: 0 for link_id in link_ids}
    for link_id, met_on in {(m["link_id"], m["met_on"]) for m in meetings}:
        if link_id in met and start <= met_on <= last:
            met[link_id] += 1
    return met


def contact_households(*, year: int, end: date, links: list[dict], meetings: list[dict]) -> dict:
    """双联系 (004): at least 3 contact households — one wealth-creation leader, one household in difficulty, one
    respected local figure — each met at least twice a year. A link counts in the year when it was linked by `end`
    and not ended before the year began; meetings count in the year they took place, up to `end`, once a day per
    household."""
    start, last = date(year, 1, 1).isoformat(), end.isoformat()
    active = [link for link in links if link["linked_on"] <= last and (link["ended_on"] or start) >= start]
    met = meetings_per_link([link["link_id"] for link in active], meetings, start, last)
    kinds = {kind: sum(1 for link in active if link["kind"] == kind) for kind in CONTACT_KINDS}
    fewest = min(met.values()) if met else 0
    return {
        "contact_households": len(active), "contact_kinds": kinds,
        "contact_meetings": sum(met.values()), "contact_meetings_min": fewest,
        "contact_meet": len(active) >= 3 and all(kinds.values()) and fewest >= 2,
    }


DUTY_KINDS = ("suggestion", "inspection", "survey", "themed_activity", "forum", "dispute_mediated",
              "household_helped")


def five_ones(counts: dict, duties: dict | None = None, projects_completed: int = 0) -> dict:
    """“五个一” from the deputy's case counts (`count_cases`) and duty record (履职登记, counts by kind): a good
    suggestion (recorded, or a resident's suggestion taken in), an inspection or survey (视察/调研), a dispute mediated
    (in a case or recorded), a household in difficulty helped (answered, or recorded), a livelihood matter settled
    (a case answered and closed satisfied, or a micro livelihood project completed). Without a duty record (None)
    inspections have no source: None, never zero."""
    duty = duties or {}
    return {
        "good_suggestion": counts["suggestions"] + duty.get("suggestion", 0),
        "inspection": None if duties is None else duty.get("inspection", 0) + duty.get("survey", 0),
        "dispute_mediated": counts["mediated"] + duty.get("dispute_mediated", 0),
        "household_in_difficulty_helped": counts["special_answered"] + duty.get("household_helped", 0),
        "livelihood_matter_settled": counts["settled"] + projects_completed,
    }


def deputy_performance(*, year: int, as_of: date, visits: list[dict], sessions: list[dict], cases: list[dict] = (),
                       grid_population: int | None, links: list[dict] = (), meetings: list[dict] = (),
                       registered: list[dict] = (), case_counts: dict | None = None, duties: dict | None = None,
                       projects_completed: int = 0) -> dict:
    """One deputy's year: visits (≥ 1/week), households (≥ 10/month), residents reached (≥ 5 %/quarter),
    reception days and hours, cases received and answered, disputes mediated, contact households (双联系, see
    `contact_households`: roster's links and meetings) and the "五个一" tally. Periods not yet begun are not
    judged. The cases the deputy replied on come as rows (`cases`) or already counted (`case_counts`, see
    `count_cases`); the duty record's entries of the year as counts by kind (`duties`, None: no record read) and the
    micro livelihood projects the deputy completed in the year."""
    end = min(as_of, date(year, 12, 31))
    visits = in_year(visits, year, "visited_on")
    sessions = in_year(sessions, year, "started_at")
    counts = count_cases(cases) if case_counts is None else case_counts
    five = five_ones(counts, duties, projects_completed)
    return {
        "year": year, "as_of": end.isoformat(),
        **visit_figures(visits, year, end),
        **households_by_month(visits, year, end),
        **reach_by_quarter(visits, year, end, grid_population),
        **reception_figures(sessions),
        "cases_received": cases_received(sessions, in_year(list(registered), year, "registered_at"), visits),
        **case_figures(counts),
        **contact_households(year=year, end=end, links=list(links), meetings=list(meetings)),
        "meetings": sum(1 for v in visits if v["kind"] == "meeting"),
        "duties": None if duties is None else {kind: duties.get(kind, 0) for kind in DUTY_KINDS},
        "projects_completed": projects_completed,
        "five_ones": five,
        "five_ones_done": sum(1 for v in five.values() if v),
    }
