"""Reporting rules, pure Python: the audit chain, how events shape a case's figures, KPI definitions, deputy
performance (履职) and the excellent-grid (优秀代表网格) formula. Nothing here imports Flask, SQLAlchemy or Kafka."""
from __future__ import annotations

import hashlib
import math
from json.encoder import encode_basestring as _string
from datetime import date, datetime, timedelta

GENESIS = "0" * 64


# --- the audit chain -------------------------------------------------------------------------------------------
def entry_bytes(*, seq: int, topic: str, partition: int, offset: int, event_id: str, payload: str) -> bytes:
    """The canonical bytes of one log entry: what the chain hash and the Merkle leaf are computed over.

    Exactly json.dumps([seq, topic, partition, offset, event_id, payload], ensure_ascii=False,
    separators=(",", ":")), assembled by hand because replay and verify do this a million times."""
    return (f"[{int(seq)},{_string(topic)},{int(partition)},{int(offset)},{_string(event_id)},"
            f"{_string(payload)}]").encode()


def entry_hash(prev_hash: str, *, seq: int, topic: str, partition: int, offset: int, event_id: str, payload: str) -> str:
    """SHA-256 over the previous hash and the entry's canonical fields: change any entry and every later hash breaks."""
    canonical = entry_bytes(seq=seq, topic=topic, partition=partition, offset=offset, event_id=event_id,
                            payload=payload)
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical).hexdigest()


def first_broken(entries, on_entry=None) -> dict | None:
    """Walk entries in order; the first whose position, link or hash is wrong, with the reason, else None.

    `on_entry(entry, canonical_bytes)` sees every entry that passed, so one walk also feeds the Merkle check."""
    prev, expected_seq = GENESIS, 1
    for e in entries:
        if e.seq != expected_seq:
            return {"seq": expected_seq, "reason": f"entry {expected_seq} is missing (found {e.seq} next)"}
        if e.prev_hash != prev:
            return {"seq": e.seq, "reason": "prev_hash does not match the previous entry's hash"}
        canonical = entry_bytes(seq=e.seq, topic=e.topic, partition=e.partition, offset=e.offset,
                                event_id=e.event_id, payload=e.payload)
        if hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest() != e.hash:
            return {"seq": e.seq, "reason": "hash does not match the entry's content"}
        if on_entry is not None:
            on_entry(e, canonical)
        prev, expected_seq = e.hash, expected_seq + 1
    return None


def checkpoint_message(tree_size: int, root_hash: str, signed_at: str) -> bytes:
    """What a checkpoint's Ed25519 signature covers."""
    return f"wangge-audit-checkpoint/v1\n{tree_size}\n{root_hash}\n{signed_at}\n".encode()


# --- case figures ------------------------------------------------------------------------------------------------
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
CASE_EVENT_PREFIXES = ("case.", "work_order.")


def _seconds_between(start: str, end: str) -> int:
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


def new_case(event_data: dict) -> dict:
    """A case's figures as registered (事一登记)."""
    return {
        "case_id": event_data["case_id"], "grid_id": event_data["grid_id"], "channel": event_data["channel"],
        "category": event_data["category"], "registered_at": event_data["received_at"],
        "period": event_data["received_at"][:7], "special": bool(event_data.get("special_groups")),
        "state": "registered", "department": None, "deputy_id": None,
        "answered": False, "answered_on_time": None, "replied": False, "replied_on_time": None,
        "rating": None, "reopen_count": 0, "mediated": False, "closed": False, "outcome": None,
        "on_time": None, "closed_at": None, "handling_s": None, "withdrawn": False,
    }


def apply_case_event(case: dict, event_type: str, data: dict, event_time: str) -> dict:
    """The case's figures after one later event of its life; returns a new dict (the input is left alone)."""
    case = dict(case)
    if data.get("state") and event_type.startswith("case."):
        case["state"] = data["state"]
    if event_type == "case.triaged":
        case["state"] = "triaged"
        if data.get("department"):
            case["department"] = data["department"]["code"]
    elif event_type == "case.assigned":
        orders = data["work_orders"]
        lead = next((o for o in orders if o["role"] in ("lead", "sole")), orders[0])
        case["department"] = lead["department"]["code"]
    elif event_type == "case.answered":
        case["answered"], case["answered_on_time"] = True, data.get("on_time")
        if data.get("department") and not case["department"]:
            case["department"] = data["department"]["code"]
    elif event_type == "work_order.answered":
        mediation = data.get("mediation")
        if mediation and mediation["outcome"] in ("agreement", "partial"):
            case["mediated"] = True
    elif event_type == "case.replied":
        case["replied"], case["replied_on_time"] = True, data["on_time"]
        case["deputy_id"] = data.get("deputy_id") or case["deputy_id"]
    elif event_type == "case.evaluated":
        case["rating"] = data["rating"]  # the latest round counts; an earlier rating stays until re-rated
    elif event_type == "case.reopened":
        case["reopen_count"] = max(case["reopen_count"], data["reopen_count"])
        case.update(closed=False, outcome=None, on_time=None, closed_at=None, handling_s=None)
    elif event_type == "case.withdrawn":
        case["withdrawn"] = True
    elif event_type == "case.closed":
        outcome = data["outcome"]
        case.update(outcome=outcome, closed=outcome != "withdrawn", withdrawn=outcome == "withdrawn",
                    on_time=data.get("on_time"), closed_at=event_time,
                    reopen_count=max(case["reopen_count"], data["reopen_count"]))
        if outcome in RATINGS:
            case["rating"] = outcome
        case["handling_s"] = _seconds_between(data.get("registered_at") or case["registered_at"], event_time)
    return case


# --- KPIs -------------------------------------------------------------------------------------------------------
# name -> (Chinese, target or None, higher is better). Closure 95 % and satisfaction 90 % are the seeds' targets
# (000); on-time closure and answer-to-reporter take the closure target ("件件有答复"): one stated assumption.
KPIS = {
    "closure_rate": ("办结率", 0.95, True),
    "on_time_closure_rate": ("按时办结率", 0.95, True),
    "satisfaction_rate": ("满意率", 0.90, True),
    "reopen_rate": ("发回重办率", None, False),
    "answer_rate": ("答复群众率", 0.95, True),
}
DIMENSIONS = {"all": "全部", "grid": "网格", "township": "乡镇（街道）", "department": "职能部门", "deputy": "人大代表",
              "channel": "渠道", "category": "类别", "period": "月份"}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


COUNTERS = ("cases", "closed", "on_time_closed", "answered", "replied", "reopened", "satisfied",
            "basically_satisfied", "unsatisfied", "handling_sum", "handling_count")
# The slices every case adds itself to; "state" feeds cases-by-state. Townships are summed from grid cells at
# query time, through the grid tree, so they never depend on the order roster events arrived in.
CELL_DIMENSIONS = ("all", "grid", "department", "deputy", "channel", "category", "period", "state")
NO_KEY = ""  # a case not (yet) attributed, e.g. no deputy has replied: its own slice, shown as 未定


def case_contribution(case: dict) -> tuple[dict, int | None]:
    """What one case adds to every slice it is in: counters, and its handling-time hour (for the p90)."""
    rating = case["rating"]
    handled = case["closed"] and case["handling_s"] is not None
    counts = {
        "cases": 1, "closed": int(case["closed"]), "on_time_closed": int(case["closed"] and case["on_time"] is True),
        "answered": int(case["answered"]), "replied": int(case["replied"]), "reopened": int(case["reopen_count"] > 0),
        "satisfied": int(rating == "satisfied"), "basically_satisfied": int(rating == "basically_satisfied"),
        "unsatisfied": int(rating == "unsatisfied"),
        "handling_sum": case["handling_s"] if handled else 0, "handling_count": int(handled),
    }
    return counts, (case["handling_s"] // 3600 if handled else None)


def case_cells(case: dict) -> list[tuple[str, str, str]]:
    """(dimension, key, period) of every slice the case counts in; period "" is all time, then year, then month.
    A withdrawn case counts nowhere."""
    if case["withdrawn"]:
        return []
    keys = {"all": "all", "grid": case["grid_id"], "department": case["department"], "deputy": case["deputy_id"],
            "channel": case["channel"], "category": case["category"], "period": case["period"],
            "state": case["state"]}
    periods = ("", case["period"][:4], case["period"])
    return [(dim, keys[dim] or NO_KEY, p) for dim in CELL_DIMENSIONS for p in periods]


def kpi_row(counts: dict, p90_hours: int | None) -> dict:
    """One slice's KPIs from its counters and the p90 of its handling hours (see `percentile_hours`)."""
    c = counts
    row = {
        "cases": c["cases"], "closed": c["closed"], "on_time_closed": c["on_time_closed"],
        "answered": c["answered"], "replied": c["replied"], "reopened": c["reopened"],
        "rated": c["satisfied"] + c["basically_satisfied"] + c["unsatisfied"],
        "satisfied": c["satisfied"], "basically_satisfied": c["basically_satisfied"],
        "unsatisfied": c["unsatisfied"], "unrated": c["cases"] - c["satisfied"] - c["basically_satisfied"]
        - c["unsatisfied"],
    }
    row["closure_rate"] = _rate(row["closed"], row["cases"])
    row["on_time_closure_rate"] = _rate(row["on_time_closed"], row["closed"])
    row["satisfaction_rate"] = _rate(row["satisfied"] + row["basically_satisfied"], row["rated"])
    row["reopen_rate"] = _rate(row["reopened"], row["cases"])
    row["answer_rate"] = _rate(row["replied"], row["answered"])
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


# --- excellent grids (优秀代表网格) ------------------------------------------------------------------------------
RANKING_WEIGHTS = {"closure_rate": 0.35, "satisfaction_rate": 0.35, "on_time_closure_rate": 0.2, "reopen_rate": -0.1}
RANKING_FORMULA = ("score = 0.35 × 办结率 + 0.35 × 满意率 + 0.20 × 按时办结率 − 0.10 × 发回重办率 "
                   "(rates in 0..1, a missing rate counts as 0); grids with fewer cases than the minimum are "
                   "listed but not ranked; the top 10 % of ranked grids (rounded up, at least one) are named "
                   "优秀代表网格; ties are broken by more cases, then by grid code")


def rank_grids(rows: list[dict], min_cases: int) -> list[dict]:
    """Rank grids by the documented formula; each row carries grid_id, code, name and its KPI row."""
    ranked, unranked = [], []
    for row in rows:
        score = sum(w * (row["kpis"][k] or 0) for k, w in RANKING_WEIGHTS.items())
        item = dict(row, score=round(score, 4), rank=None, excellent=False)
        (ranked if row["kpis"]["cases"] >= min_cases else unranked).append(item)
    ranked.sort(key=lambda r: (-r["score"], -r["kpis"]["cases"], r["code"] or ""))
    named = math.ceil(len(ranked) * 0.10) if ranked else 0
    for position, item in enumerate(ranked, 1):
        item["rank"], item["excellent"] = position, position <= named
    unranked.sort(key=lambda r: r["code"] or "")
    return ranked + unranked


# --- deputy performance (履职) ------------------------------------------------------------------------------------
def _weeks(start: date, end: date) -> list[tuple[int, int]]:
    weeks, day = [], start
    while day <= end:
        key = day.isocalendar()[:2]
        if not weeks or weeks[-1] != key:
            weeks.append(key)
        day += timedelta(days=1)
    return weeks


def deputy_performance(*, year: int, as_of: date, visits: list[dict], sessions: list[dict], cases: list[dict],
                       grid_population: int | None) -> dict:
    """One deputy's year: visits (≥ 1/week), households (≥ 10/month), residents reached (≥ 5 %/quarter),
    reception days and hours, cases received and answered, disputes mediated, contact households (双联系:
    ≥ 3 households, each met ≥ 2 times a year) and the "五个一" tally. Periods not yet begun are not judged."""
    end = min(as_of, date(year, 12, 31))
    start = date(year, 1, 1)
    visits = [v for v in visits if v["visited_on"][:4] == str(year)]
    weeks = _weeks(start, end) if end >= start else []
    visit_weeks = {date.fromisoformat(v["visited_on"]).isocalendar()[:2] for v in visits}
    months = [f"{year}-{m:02d}" for m in range(1, end.month + 1)] if end >= start else []
    households_by_month = {m: set() for m in months}
    reach_by_quarter = {q: 0 for q in range(1, (end.month - 1) // 3 + 2)} if end >= start else {}
    contact_meetings: dict[str, int] = {}
    for v in visits:
        households_by_month.setdefault(v["visited_on"][:7], set()).update(v["household_ids"])
        reach_by_quarter[(int(v["visited_on"][5:7]) - 1) // 3 + 1] = \
            reach_by_quarter.get((int(v["visited_on"][5:7]) - 1) // 3 + 1, 0) + v["residents_reached"]
        if v["kind"] == "contact_household":
            for household in v["household_ids"]:
                contact_meetings[household] = contact_meetings.get(household, 0) + 1
    sessions = [s for s in sessions if s["started_at"][:4] == str(year)]
    reception_days = sorted({s["started_at"][:10] for s in sessions})
    reception_hours = round(sum(_seconds_between(s["started_at"], s["ended_at"]) for s in sessions) / 3600, 2)
    received = {cid for s in sessions for cid in s["case_ids"]}
    answered = [c for c in cases if c["replied"]]
    quarters = []
    for q, reached in sorted(reach_by_quarter.items()):
        share = _rate(reached, grid_population) if grid_population else None
        quarters.append({"quarter": q, "residents_reached": reached, "share": share,
                         "meets": None if share is None else share >= 0.05})
    month_rows = [{"month": m, "households": len(households_by_month.get(m, ())),
                   "meets": len(households_by_month.get(m, ())) >= 10} for m in months]
    mediated = sum(1 for c in cases if c["mediated"])
    five = {
        "good_suggestion": sum(1 for c in cases if c["category"] == "suggestion"),
        "inspection": None,  # no event reports inspections (视察) yet: shown as "no data", never as zero
        "dispute_mediated": mediated,
        "household_in_difficulty_helped": sum(1 for c in answered if c["special"]),
        "livelihood_matter_settled": sum(1 for c in answered if c["closed"]),
    }
    return {
        "year": year, "as_of": end.isoformat(),
        "visits": len(visits), "weeks": len(weeks), "weeks_with_visit": len(visit_weeks & set(weeks)),
        "visits_per_week": round(len(visits) / len(weeks), 2) if weeks else None,
        "visits_meet": bool(weeks) and visit_weeks >= set(weeks),
        "households_by_month": month_rows,
        "households_meet": bool(month_rows) and all(m["meets"] for m in month_rows),
        "reach_by_quarter": quarters, "grid_population": grid_population,
        "reach_meet": bool(quarters) and all(q["meets"] for q in quarters),
        "reception_days": len(reception_days), "reception_hours": reception_hours,
        "residents_received": sum(s["residents_received"] for s in sessions),
        "cases_received": len(received) + sum(v["cases_registered"] for v in visits),
        "cases_answered": len(answered), "disputes_mediated": mediated,
        "contact_households": len(contact_meetings),
        "contact_meetings_min": min(contact_meetings.values()) if contact_meetings else 0,
        "contact_meet": len(contact_meetings) >= 3 and min(contact_meetings.values()) >= 2,
        "meetings": sum(1 for v in visits if v["kind"] == "meeting"),
        "five_ones": five,
        "five_ones_done": sum(1 for v in five.values() if v),
    }
