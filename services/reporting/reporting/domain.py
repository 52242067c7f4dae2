"""Reporting rules, pure Python: the audit chain, how events shape a case's figures, KPI definitions, deputy
performance (履职) and the excellent-grid (优秀代表网格) formula. Nothing here imports Flask, SQLAlchemy or Kafka."""
from __future__ import annotations

import hashlib
import math
from json.encoder import encode_basestring as _string
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

GENESIS = "0" * 64


# --- the audit chain -------------------------------------------------------------------------------------------
def canonical_entry(seq: int, topic: str, partition: int, offset: int, event_id: str, payload: str) -> bytes:
    """The canonical bytes of one log entry: what the chain hash and the Merkle leaf are computed over.

    Exactly json.dumps([seq, topic, partition, offset, event_id, payload], ensure_ascii=False,
    separators=(",", ":")), assembled by hand because replay and verify do this a million times."""
    return (f"[{int(seq)},{_string(topic)},{int(partition)},{int(offset)},{_string(event_id)},"
            f"{_string(payload)}]").encode()


def entry_bytes(*, seq: int, topic: str, partition: int, offset: int, event_id: str, payload: str) -> bytes:
    return canonical_entry(seq, topic, partition, offset, event_id, payload)


def entry_hash(prev_hash: str, *, seq: int, topic: str, partition: int, offset: int, event_id: str, payload: str) -> str:
    """SHA-256 over the previous hash and the entry's canonical fields: change any entry and every later hash breaks."""
    canonical = canonical_entry(seq, topic, partition, offset, event_id, payload)
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical).hexdigest()


@dataclass
class Walk:
    """What one pass over the log found: entries walked, the chain's first break, the stored Merkle nodes that
    differ from (or are missing against) the recomputed ones, and the roots at the sizes asked for."""
    size: int = 0
    chain_problem: dict | None = None
    node_problems: list = field(default_factory=list)
    roots: dict = field(default_factory=dict)
    head_hash: str = GENESIS


def walk_log(rows, stored_nodes: dict, root_sizes=(), min_level: int = 4) -> Walk:
    """Walk (seq, topic, partition, offset, event_id, payload, prev_hash, hash) rows in seq order, once: check each
    entry's position, link and hash, rebuild the RFC 9162 tree as a compact range (the perfect subtrees of the
    binary decomposition of the size, largest first) and compare every subtree of level ≥ min_level with
    `stored_nodes` {(level, idx): hex}, popping what it compares, so what is left there was never recomputed.
    Stops at the first chain break; `roots` holds the root at each size of `root_sizes` reached."""
    sha = hashlib.sha256
    out = Walk()
    wanted = set(root_sizes)
    stack: list[bytes] = []
    prev, n = GENESIS, 0
    pop = stored_nodes.pop
    for seq, topic, partition, offset, event_id, payload, prev_hash, digest in rows:
        if seq != n + 1:
            out.chain_problem = {"seq": n + 1, "reason": f"entry {n + 1} is missing (found {seq} next)"}
            break
        if prev_hash != prev:
            out.chain_problem = {"seq": seq, "reason": "prev_hash does not match the previous entry's hash"}
            break
        canonical = canonical_entry(seq, topic, partition, offset, event_id, payload)
        if sha((prev + "\n").encode() + canonical).hexdigest() != digest:
            out.chain_problem = {"seq": seq, "reason": "hash does not match the entry's content"}
            break
        current, i, level = sha(b"\x00" + canonical).digest(), n, 0
        while i & 1:
            current = sha(b"\x01" + stack.pop() + current).digest()
            i >>= 1
            level += 1
            if level >= min_level:
                stored = pop((level, i), None)
                if stored != current.hex():
                    out.node_problems.append((i << level, level, i, stored is None))
        stack.append(current)
        n, prev = seq, digest
        if n in wanted:
            out.roots[n] = _fold(stack)
    out.size, out.head_hash = n, prev
    out.roots[n] = _fold(stack)
    return out


def _fold(stack: list[bytes]) -> bytes:
    """The root of a compact range: H(s0, H(s1, ... H(s_k-1, s_k)))."""
    if not stack:
        return hashlib.sha256(b"").digest()
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = hashlib.sha256(b"\x01" + left + root).digest()
    return root


def checkpoint_message(tree_size: int, root_hash: str, signed_at: str) -> bytes:
    """What a checkpoint's Ed25519 signature covers."""
    return f"wangge-audit-checkpoint/v1\n{tree_size}\n{root_hash}\n{signed_at}\n".encode()


# --- case figures ------------------------------------------------------------------------------------------------
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
CASE_EVENT_PREFIXES = ("case.", "work_order.")
# Intake's events that describe a case without moving it: their `state` is intake's view when they were written.
# The link events are keyed by the link, not the case, so they can arrive after routing's later events; a
# supplement can be written before intake has heard of the triage. Taking their state would move the case back.
STATE_FOLLOWING_EVENTS = frozenset({"case.supplemented", "case.related_linked", "case.related_confirmed",
                                    "case.related_undone"})


def _seconds_between(start: str, end: str) -> int:
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


def new_case(event_data: dict) -> dict:
    """A case's figures as registered (事一登记)."""
    return {
        "case_id": event_data["case_id"], "tracking_code": event_data.get("tracking_code"),
        "grid_id": event_data["grid_id"], "channel": event_data["channel"],
        "category": event_data["category"], "registered_at": event_data["received_at"],
        "period": event_data["received_at"][:7], "special": bool(event_data.get("special_groups")),
        "state": "registered", "department": None, "department_name": None, "deputy_id": None,
        "answered": False, "answered_on_time": None, "replied": False, "replied_on_time": None,
        "rating": None, "reopen_count": 0, "mediated": False, "closed": False, "outcome": None,
        "on_time": None, "closed_at": None, "handling_s": None, "withdrawn": False,
        "received_by_deputy_id": (event_data["received_by"]["id"]
                                  if (event_data.get("received_by") or {}).get("kind") == "deputy" else None),
    }


def apply_case_event(case: dict, event_type: str, data: dict, event_time: str) -> dict:
    """The case's figures after one later event of its life; returns a new dict (the input is left alone)."""
    case = dict(case)
    if data.get("state") and event_type.startswith("case.") and event_type not in STATE_FOLLOWING_EVENTS:
        case["state"] = data["state"]
    if event_type == "case.triaged":
        case["state"] = "triaged"
        if data.get("department"):
            case["department"], case["department_name"] = data["department"]["code"], data["department"]["name"]
    elif event_type == "case.assigned":
        orders = data["work_orders"]
        lead = next((o for o in orders if o["role"] in ("lead", "sole")), orders[0])
        case["department"], case["department_name"] = lead["department"]["code"], lead["department"]["name"]
    elif event_type == "case.answered":
        case["answered"], case["answered_on_time"] = True, data.get("on_time")
        if data.get("on_the_spot"):
            # A deputy answered on the spot (现场解答) and any order was cancelled: no department handled it.
            case["department"] = case["department_name"] = None
        elif data.get("department") and not case["department"]:
            case["department"], case["department_name"] = data["department"]["code"], data["department"]["name"]
    elif event_type == "work_order.answered":
        mediation = data.get("mediation")
        if mediation and mediation["outcome"] in ("agreement", "partial"):
            case["mediated"] = True
    elif event_type == "case.replied":
        # Only a reply that passes an answer on counts for 答复群众率; an interim reply before the answer does not,
        # so the rate (replied answers / answers) never exceeds 100 %.
        if case["answered"]:
            case["replied"], case["replied_on_time"] = True, data["on_time"]
        case["deputy_id"] = data.get("deputy_id") or case["deputy_id"]
    elif event_type == "case.evaluated":
        case["rating"] = data["rating"]  # the latest round counts; an earlier rating stays until re-rated
    elif event_type == "case.reopened":
        case["reopen_count"] = max(case["reopen_count"], data["reopen_count"])
        # 发回重办: a new round of handling, so a new answer and a new reply are due.
        case.update(closed=False, outcome=None, on_time=None, closed_at=None, handling_s=None, answered=False,
                    answered_on_time=None, replied=False, replied_on_time=None)
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
# score in 0..1, shown to people as 0..100 points: a grid never scores below zero. A missing rate counts as 0, except
# the reopen rate, which is 0 (nothing reopened) when missing.
RANKING_WEIGHTS = {"closure_rate": 0.35, "satisfaction_rate": 0.35, "on_time_closure_rate": 0.2, "reopen_rate": 0.1}
LOWER_IS_BETTER = ("reopen_rate",)
RANKING_FORMULA = ("score = 0.35 × closure_rate + 0.35 × satisfaction_rate + 0.20 × on_time_closure_rate "
                   "+ 0.10 × (1 − reopen_rate), rates in 0..1 (a missing rate counts as 0, a missing reopen rate as "
                   "no reopening), so 0 ≤ score ≤ 1; grids with fewer cases than the minimum are listed but not "
                   "ranked; the top 10 % of ranked grids (rounded up, at least one) are named 优秀代表网格; ties are "
                   "broken by more cases, then by grid code")
RANKING_FORMULA_ZH = ("综合得分（百分制）= 办结率 × 35 + 满意率 × 35 + 按时办结率 × 20 + （1 − 发回重办率）× 10。"
                      "某项暂无数据的按 0 计（发回重办率暂无数据的按无重办计），得分在 0 至 100 分之间。"
                      "全年受理件数不少于 {min_cases} 件的网格参加评比，按得分从高到低排名，"
                      "排名前 10%（向上取整，至少 1 个）的网格评为“优秀代表网格”；"
                      "得分相同的，受理件数多的在前，再按网格编号排列。")


def rank_grids(rows: list[dict], min_cases: int) -> list[dict]:
    """Rank grids by the documented formula; each row carries grid_id, code, name and its KPI row."""
    ranked, unranked = [], []
    for row in rows:
        score = sum(w * (1 - (row["kpis"][k] or 0) if k in LOWER_IS_BETTER else row["kpis"][k] or 0)
                    for k, w in RANKING_WEIGHTS.items())
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


CONTACT_KINDS = ("wealth_leader", "household_in_difficulty", "respected_figure")  # 致富带头人, 困难群众, 乡贤


def contact_households(*, year: int, end: date, links: list[dict], meetings: list[dict]) -> dict:
    """双联系 (004): at least 3 contact households — one wealth-creation leader, one household in difficulty, one
    respected local figure — each met at least twice a year. A link counts in the year when it was linked by `end`
    and not ended before the year began; meetings count in the year they took place, up to `end`, once a day per
    household."""
    start = date(year, 1, 1).isoformat()
    active = [link for link in links if link["linked_on"] <= end.isoformat()
              and (link["ended_on"] is None or link["ended_on"] >= start)]
    met = {link["link_id"]: 0 for link in active}
    # two meetings recorded with one household on one day are one meeting
    for link_id, met_on in {(m["link_id"], m["met_on"]) for m in meetings}:
        if link_id in met and start <= met_on <= end.isoformat():
            met[link_id] += 1
    kinds = {kind: sum(1 for link in active if link["kind"] == kind) for kind in CONTACT_KINDS}
    return {
        "contact_households": len(active), "contact_kinds": kinds,
        "contact_meetings": sum(met.values()), "contact_meetings_min": min(met.values()) if met else 0,
        "contact_meet": len(active) >= 3 and all(kinds.values()) and min(met.values()) >= 2,
    }


def cases_received(sessions: list[dict], registered: list[dict], visits: list[dict]) -> int:
    """Matters a deputy took in (受理): those registered in their reception sessions or with them as the receiver,
    each once, plus what their visits registered that is not already among those (a visit names only a count)."""
    ids = {cid for s in sessions for cid in s["case_ids"]} | {c["case_id"] for c in registered}
    on_visits = sum(v["cases_registered"] for v in visits)
    registered_on_visits = sum(1 for c in registered if c.get("channel") == "visit")
    return len(ids) + max(0, on_visits - registered_on_visits)


SETTLED_OUTCOMES = ("satisfied", "basically_satisfied")  # a matter closed unsatisfied is not 推动解决


def deputy_performance(*, year: int, as_of: date, visits: list[dict], sessions: list[dict], cases: list[dict],
                       grid_population: int | None, links: list[dict] = (), meetings: list[dict] = (),
                       registered: list[dict] = ()) -> dict:
    """One deputy's year: visits (≥ 1/week), households (≥ 10/month), residents reached (≥ 5 %/quarter),
    reception days and hours, cases received and answered, disputes mediated, contact households (双联系, see
    `contact_households`: roster's links and meetings) and the "五个一" tally. Periods not yet begun are not
    judged."""
    end = min(as_of, date(year, 12, 31))
    start = date(year, 1, 1)
    visits = [v for v in visits if v["visited_on"][:4] == str(year)]
    weeks = _weeks(start, end) if end >= start else []
    visit_weeks = {date.fromisoformat(v["visited_on"]).isocalendar()[:2] for v in visits}
    months = [f"{year}-{m:02d}" for m in range(1, end.month + 1)] if end >= start else []
    households_by_month = {m: set() for m in months}
    reach_by_quarter = {q: 0 for q in range(1, (end.month - 1) // 3 + 2)} if end >= start else {}
    for v in visits:
        households_by_month.setdefault(v["visited_on"][:7], set()).update(v["household_ids"])
        reach_by_quarter[(int(v["visited_on"][5:7]) - 1) // 3 + 1] = \
            reach_by_quarter.get((int(v["visited_on"][5:7]) - 1) // 3 + 1, 0) + v["residents_reached"]
    sessions = [s for s in sessions if s["started_at"][:4] == str(year)]
    reception_days = sorted({s["started_at"][:10] for s in sessions})
    reception_hours = round(sum(_seconds_between(s["started_at"], s["ended_at"]) for s in sessions) / 3600, 2)
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
        "livelihood_matter_settled": sum(1 for c in answered if c["closed"] and c.get("outcome") in SETTLED_OUTCOMES),
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
        "cases_received": cases_received(sessions, [c for c in registered if c["registered_at"][:4] == str(year)],
                                         visits),
        "cases_answered": len(answered), "disputes_mediated": mediated,
        **contact_households(year=year, end=end, links=list(links), meetings=list(meetings)),
        "meetings": sum(1 for v in visits if v["kind"] == "meeting"),
        "five_ones": five,
        "five_ones_done": sum(1 for v in five.values() if v),
    }
