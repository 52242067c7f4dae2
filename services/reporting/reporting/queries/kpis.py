"""KPI queries over the projections (never over the log): slices from the KPI cells, targets, and the cases
that miss them from the case projection."""
from __future__ import annotations

import json

from sqlalchemy import and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import aliased

from wangge_common.contracts import labels
from wangge_common.errors import Invalid
from wangge_common.paging import paginate

from .. import domain
from ..models import CaseFact, DeputyFact, GridFact, KpiCell, ProjectFact

CHANNELS, CATEGORIES = labels.CHANNELS, labels.CATEGORIES


PARENT = aliased(GridFact)
# The township (乡镇) a case's grid belongs to, read through the tree at query time so the answer does not depend
# on whether a grid's parent arrived before it: level 1 is a township, level 2 hangs under one, level 3 under a
# level-2 grid.
TOWNSHIP = case((GridFact.level <= 1, GridFact.grid_id), (GridFact.level == 2, GridFact.parent_id),
                else_=PARENT.parent_id)


def _joined(query):
    return query.outerjoin(GridFact, GridFact.grid_id == CaseFact.grid_id) \
        .outerjoin(PARENT, PARENT.grid_id == GridFact.parent_id)


def _dimension_column(dimension: str):
    return {
        "all": literal("all"), "grid": CaseFact.grid_id, "township": TOWNSHIP,
        "department": CaseFact.department, "deputy": CaseFact.deputy_id, "channel": CaseFact.channel,
        "category": CaseFact.category, "period": CaseFact.period,
    }[dimension]


def _filters(period: str | None) -> list:
    where = [not_(CaseFact.withdrawn)]
    if period:
        where.append(CaseFact.period.startswith(period, autoescape=True))
    return where


def _township_of(session) -> dict:
    """grid id -> township id, through the grid tree (level 1 is a township)."""
    grids = {g.grid_id: (g.level, g.parent_id) for g in session.execute(
        select(GridFact.grid_id, GridFact.level, GridFact.parent_id))}
    found = {}
    for grid_id, (level, parent) in grids.items():
        if level <= 1 or parent is None:
            found[grid_id] = grid_id
        elif level == 2 or parent not in grids:
            found[grid_id] = parent
        else:
            found[grid_id] = grids[parent][1] or parent
    return found


def _cells(session, dimension: str, period: str | None) -> dict:
    """key -> (counters, p90 handling hours) of one dimension's slices, read from the KPI cells."""
    source = "grid" if dimension == "township" else dimension
    township = _township_of(session) if dimension == "township" else None
    # Only township slices merge histograms; every other slice reads the p90 its cell keeps.
    detail = KpiCell.handling_hours if township is not None else KpiCell.p90_hours
    rows = session.execute(select(KpiCell.key, detail, *(getattr(KpiCell, n) for n in domain.COUNTERS))
                           .where(KpiCell.dimension == source, KpiCell.period == (period or "")))
    merged: dict = {}
    for cell in rows:
        counts = dict(zip(domain.COUNTERS, cell[2:]))
        if township is None:
            merged[cell.key] = (counts, cell[1])
            continue
        key = township.get(cell.key, domain.NO_KEY)
        total_counts, total_hours = merged.setdefault(key, ({}, {}))
        domain.add_counts(total_counts, counts)
        for hour, n in json.loads(cell[1]).items():
            domain.add_hour(total_hours, int(hour), n)
    if township is not None:
        merged = {key: (counts, domain.p90_of(hours)) for key, (counts, hours) in merged.items()}
    return merged


def slices(session, *, dimension: str = "all", period: str | None = None) -> list[dict]:
    """KPIs per value of one dimension (grid, township, department, deputy, channel, category, month), read from
    the pre-summed KPI cells: a few hundred rows whatever the number of cases."""
    if dimension not in domain.DIMENSIONS:
        raise Invalid([("dimension", f"must be one of {', '.join(domain.DIMENSIONS)}")])
    rows = []
    for key, (counts, p90) in _cells(session, dimension, period).items():
        rows.append({"key": None if key == domain.NO_KEY else key, **domain.kpi_row(counts, p90)})
    keys = [r["key"] for r in rows]
    labels = _labels(session, dimension, keys)
    codes = dict(session.execute(select(GridFact.grid_id, GridFact.code).where(GridFact.grid_id.in_(keys))).all()) \
        if dimension in ("grid", "township") else {}
    for row in rows:
        row["label"] = labels.get(row["key"], row["key"] if row["key"] is not None else "（未定）")
        if codes:
            row["code"] = codes.get(row["key"])
    # grids and townships by their code, as offices file them; other slices by their key
    rows.sort(key=lambda r: (r["key"] is None, str(r.get("code") or "~") if codes else "", str(r["key"])))
    return rows


def _labels(session, dimension: str, keys: list) -> dict:
    if dimension in ("grid", "township"):
        return dict(session.execute(select(GridFact.grid_id, GridFact.name).where(GridFact.grid_id.in_(keys))).all())
    if dimension == "deputy":
        return dict(session.execute(select(DeputyFact.deputy_id, DeputyFact.name)
                                    .where(DeputyFact.deputy_id.in_(keys))).all())
    if dimension == "department":  # the name the latest event gave each department code
        return dict(session.execute(select(CaseFact.department, func.max(CaseFact.department_name))
                                    .where(CaseFact.department.in_(keys), CaseFact.department_name.is_not(None))
                                    .group_by(CaseFact.department)).all())
    if dimension == "channel":
        return CHANNELS
    if dimension == "category":
        return CATEGORIES
    return {"all": "全部"} if dimension == "all" else {}


def summary(session, *, period: str | None = None) -> dict:
    """The whole county's KPIs, each with its Chinese name and target, and cases by state."""
    rows = slices(session, period=period)
    row = rows[0] if rows else domain.kpi_row({name: 0 for name in domain.COUNTERS}, None)
    by_state = {key: counts["cases"] for key, (counts, _) in _cells(session, "state", period).items()}
    return {
        "period": period, "cases_total": sum(by_state.values()), "cases_by_state": by_state,
        "figures": {k: v for k, v in row.items() if k not in ("key", "label")},
        "kpis": [{"name": name, "title": title, "value": row[name], "target": target,
                  "higher_is_better": higher, "meets": row["meets"][name]}
                 for name, (title, target, higher) in domain.KPIS.items()],
    }


MISS_CONDITIONS = {
    "closure_rate": not_(CaseFact.closed),
    "on_time_closure_rate": and_(CaseFact.closed, or_(CaseFact.on_time.is_(None), not_(CaseFact.on_time))),
    "satisfaction_rate": CaseFact.rating == "unsatisfied",
    "unrated": and_(CaseFact.closed, CaseFact.rating.is_(None)),
    "reopen_rate": CaseFact.reopen_count > 0,
    "answer_rate": and_(CaseFact.answered, not_(CaseFact.replied)),
}


def misses(session, *, kpi: str, dimension: str = "all", key: str | None = None, period: str | None = None,
           page: int = 1, page_size: int = 100, after: str | None = None) -> dict:
    """The cases that count against a KPI in one slice (e.g. not closed, for 办结率), by case id."""
    if kpi not in MISS_CONDITIONS:
        raise Invalid([("kpi", f"must be one of {', '.join(MISS_CONDITIONS)}")])
    if dimension not in domain.DIMENSIONS:
        raise Invalid([("dimension", f"must be one of {', '.join(domain.DIMENSIONS)}")])
    query = select(CaseFact).where(*_filters(period), MISS_CONDITIONS[kpi])
    if dimension == "township":
        query = _joined(query)
    if dimension != "all":
        column = _dimension_column(dimension)
        query = query.where(column.is_(None) if key is None else column == key)
    if after:
        query = query.where(CaseFact.case_id > after)
    return paginate(session, query.order_by(CaseFact.case_id), page, page_size,
                    each=lambda f: {c.name: getattr(f, c.name) for c in CaseFact.__table__.columns})


def grid_table(session, *, period: str | None = None, township: str | None = None) -> tuple[list[dict], list[dict]]:
    """Every village and group grid (not only those with cases) with its KPIs, by grid code, optionally within one
    township; and the townships to choose from."""
    rows = {row["key"]: row for row in slices(session, dimension="grid", period=period)}
    empty = domain.kpi_row({name: 0 for name in domain.COUNTERS}, None)
    grids = session.scalars(select(GridFact).order_by(GridFact.code)).all()
    parents = {g.grid_id: g.parent_id for g in grids}
    townships = [{"grid_id": g.grid_id, "code": g.code, "name": g.name} for g in grids if g.level <= 1]

    def township_of(grid_id):
        seen = set()
        while parents.get(grid_id) and grid_id not in seen:
            seen.add(grid_id)
            grid_id = parents[grid_id]
        return grid_id

    table = []
    for g in grids:
        if g.level <= 1 or (township and township_of(g.grid_id) != township):
            continue
        table.append({**(rows.get(g.grid_id) or empty), "key": g.grid_id, "code": g.code, "label": g.name,
                      "level": g.level})
    return table, townships


def projects(session, *, year: int, township: str | None = None) -> dict:
    """Micro livelihood projects (民生微实事) of a year: how many were proposed, funded and completed in it, with the
    money and how the residents rated the completed ones (of one township, when given)."""
    prefix = f"{year:04d}"
    query = select(ProjectFact).where(or_(ProjectFact.proposed_on.startswith(prefix),
                                          ProjectFact.funded_on.startswith(prefix),
                                          ProjectFact.completed_on.startswith(prefix)))
    if township:
        query = query.where(ProjectFact.township_id == str(township))
    rows = [{c.name: getattr(r, c.name) for c in ProjectFact.__table__.columns} for r in session.scalars(query)]
    return {"year": year, "township_id": township, **domain.project_figures(rows, prefix)}
