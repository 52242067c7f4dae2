"""Compare: the replayed tree against the signed checkpoints, every KPI table of the replay against the live
service (`snapshot`, `diff`), and the live projections row by row against a replay of the log (the scheduled
projection check: an edited projection row is not in the log, so only a replay catches it)."""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from .. import domain, merkle
from ..models import PROJECTIONS, AuditEntry, CaseFact, ReceptionAttendance, VisitFact
from ..queries import audit, kpis, performance
from ..schemas import KpiOut, PerformanceOut, RankingOut, SliceOut
from .rebuilding import project
from .sources import ENTRY_FIELDS

SHOWN = 50  # differences kept in a projection check's detail; the count is complete


def check_checkpoints(tree: merkle.MemoryTree, checkpoints: list[dict], trusted_key: str | None) -> list[dict]:
    results = []
    for cp in sorted(checkpoints, key=lambda c: c["tree_size"]):
        problem = audit.checkpoint_problem(cp, trusted_key)
        if problem is None and cp["tree_size"] > tree.size:
            problem = f"the log ({tree.size} entries) is shorter than the checkpoint"
        if problem is None and tree.root(cp["tree_size"]).hex() != cp["root_hash"]:
            problem = "the replayed root at this size differs from the signed root"
        results.append({"tree_size": cp["tree_size"], "root_hash": cp["root_hash"], "valid": problem is None,
                        "problem": problem})
    return results


# --- KPI snapshot and diff ---------------------------------------------------------------------------------------
def years(session) -> list[int]:
    found = {int(p[:4]) for p in session.scalars(select(CaseFact.period).distinct())}
    found |= {int(v[:4]) for v in session.scalars(select(VisitFact.visited_on).distinct())}
    found |= {int(s[:4]) for s in session.scalars(select(ReceptionAttendance.started_at).distinct())}
    return sorted(found)


def _plain(value):
    return json.loads(json.dumps(value, ensure_ascii=False, sort_keys=True))


def snapshot(session, year_list: list[int], as_of: date) -> dict:
    """Every KPI table, shaped exactly as the API serves it."""
    snap = {"kpis": KpiOut().dump(kpis.summary(session)), "slices": {}, "excellent_grids": {}, "deputies": {}}
    for dimension in domain.DIMENSIONS:
        snap["slices"][dimension] = SliceOut(many=True).dump(kpis.slices(session, dimension=dimension))
    for year in year_list:
        snap["excellent_grids"][str(year)] = RankingOut().dump(
            performance.excellent_grids(session, year=year, min_cases=10))
        snap["deputies"][str(year)] = PerformanceOut(many=True).dump(
            performance.deputies_performance(session, year=year, as_of=as_of))
    return _plain(snap)


def live_snapshot_http(base_url: str, api_key: str, year_list: list[int]) -> dict:
    import requests

    def get(path, **params):
        response = requests.get(base_url.rstrip("/") + path, params=params, timeout=60,
                                headers={"Authorization": f"Bearer {api_key}"})
        response.raise_for_status()
        return response.json()

    snap = {"kpis": get("/v1/kpis"), "excellent_grids": {}, "deputies": {},
            "slices": {d: get("/v1/kpis/slices", dimension=d) for d in domain.DIMENSIONS}}
    for year in year_list:
        snap["excellent_grids"][str(year)] = get("/v1/grids/excellent", year=year, min_cases=10)
        snap["deputies"][str(year)] = get("/v1/deputies/performance", year=year)
    return _plain(snap)


def diff(live, replayed, path: str = "") -> list[str]:
    """Every place the two differ, as 'path: live X, replay Y'."""
    if isinstance(live, dict) and isinstance(replayed, dict):
        out = []
        for key in sorted(set(live) | set(replayed), key=str):
            if key not in live:
                out.append(f"{path}/{key}: only in the replay")
            elif key not in replayed:
                out.append(f"{path}/{key}: only in the live service")
            else:
                out.extend(diff(live[key], replayed[key], f"{path}/{key}"))
        return out
    if isinstance(live, list) and isinstance(replayed, list):
        out = [f"{path}: live has {len(live)} rows, replay {len(replayed)}"] if len(live) != len(replayed) else []
        for i, (a, b) in enumerate(zip(live, replayed)):
            label = a.get("key", a.get("deputy_id", a.get("grid_id", i))) if isinstance(a, dict) else i
            out.extend(diff(a, b, f"{path}[{label}]"))
        return out
    return [] if live == replayed else [f"{path}: live {json.dumps(live, ensure_ascii=False)}, "
                                        f"replay {json.dumps(replayed, ensure_ascii=False)}"]


def _by_key(model, rows) -> dict:
    names = [c.name for c in model.__table__.primary_key.columns]
    return {tuple(row[n] for n in names): row for row in rows}


def projection_differences(session) -> tuple[int, int, list[str]]:
    """(entries replayed, differing rows, the first SHOWN of them as 'table key: live …, log …')."""
    columns = [getattr(AuditEntry, name) for name in ENTRY_FIELDS]
    records = [dict(row) for row in session.execute(select(*columns).order_by(AuditEntry.seq)).mappings()]
    expected_tables = dict(project(records).sorted_tables())
    count, shown = 0, []
    for model in PROJECTIONS:
        names = [c.name for c in model.__table__.columns]
        live = _by_key(model, ({n: getattr(obj, n) for n in names} for obj in session.scalars(select(model))))
        expected = _by_key(model, expected_tables.get(model, []))
        for key in sorted(set(live) | set(expected), key=repr):
            have, want = live.get(key), expected.get(key)
            if have == want:
                continue
            count += 1
            if len(shown) < SHOWN:
                if have is None or want is None:
                    what = "missing from the table" if have is None else "not in the log"
                else:
                    what = "; ".join(f"{n}: live {have[n]!r}, log {want[n]!r}" for n in names if have[n] != want[n])
                shown.append(f"{model.__tablename__} {'/'.join(map(str, key))}: {what}")
    return len(records), count, shown
