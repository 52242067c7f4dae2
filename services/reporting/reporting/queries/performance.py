"""Deputy performance (履职) and the excellent-grid ranking (优秀代表网格), read from the projections."""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from wangge_common import clock
from wangge_common.errors import NotFound

from .. import domain
from . import kpis
from ..models import (CaseFact, ContactLink, ContactMeeting, DeputyFact, GridDeputy, GridFact, ReceptionAttendance,
                     VisitFact)


# Only the columns a deputy's figures need: reading them as rows, not ORM objects, keeps the deputies' table fast
# over a county's year of cases (100,000 cases: a few hundred ms instead of seconds).
CASE_COLUMNS = (CaseFact.case_id, CaseFact.replied, CaseFact.mediated, CaseFact.category, CaseFact.special,
                CaseFact.closed, CaseFact.outcome, CaseFact.channel, CaseFact.registered_at, CaseFact.deputy_id,
                CaseFact.received_by_deputy_id)


def _case_row(f) -> dict:
    return {"case_id": f.case_id, "replied": f.replied, "mediated": f.mediated, "category": f.category,
            "special": f.special, "closed": f.closed, "outcome": f.outcome, "channel": f.channel,
            "registered_at": f.registered_at}


def today() -> date:
    """The China calendar day: what a deputy's year is judged up to."""
    return clock.local_date(clock.now())


def deputies_performance(session, *, year: int, as_of: date, deputy_id: str | None = None) -> list[dict]:
    """Every deputy's year (or one deputy's), loaded in a few queries, not one per deputy."""
    deputies = select(DeputyFact).order_by(DeputyFact.name, DeputyFact.deputy_id)
    if deputy_id:
        deputies = deputies.where(DeputyFact.deputy_id == deputy_id)
    deputies = session.scalars(deputies).all()
    if deputy_id and not deputies:
        raise NotFound(f"no deputy {deputy_id} is known to reporting")
    ids = [d.deputy_id for d in deputies]
    prefix = f"{year:04d}"
    visits, sessions, cases, grids = {}, {}, {}, {}
    for v in session.scalars(select(VisitFact).where(VisitFact.deputy_id.in_(ids),
                                                     VisitFact.visited_on.startswith(prefix))):
        visits.setdefault(v.deputy_id, []).append({
            "visited_on": v.visited_on, "household_ids": json.loads(v.household_ids),
            "residents_reached": v.residents_reached, "cases_registered": v.cases_registered, "kind": v.kind})
    for s in session.scalars(select(ReceptionAttendance).where(ReceptionAttendance.deputy_id.in_(ids),
                                                               ReceptionAttendance.started_at.startswith(prefix))):
        sessions.setdefault(s.deputy_id, []).append({
            "started_at": s.started_at, "ended_at": s.ended_at, "residents_received": s.residents_received,
            "case_ids": json.loads(s.case_ids)})
    registered = {}
    for f in session.execute(select(*CASE_COLUMNS).where(CaseFact.deputy_id.in_(ids),
                                                         CaseFact.period.startswith(prefix))):
        cases.setdefault(f.deputy_id, []).append(_case_row(f))
    for f in session.execute(select(*CASE_COLUMNS).where(CaseFact.received_by_deputy_id.in_(ids),
                                                    CaseFact.period.startswith(prefix), CaseFact.withdrawn.is_(False))):
        registered.setdefault(f.received_by_deputy_id, []).append(_case_row(f))
    links, meetings = {}, {}
    for link in session.scalars(select(ContactLink).where(ContactLink.deputy_id.in_(ids))):
        links.setdefault(link.deputy_id, []).append({"link_id": link.link_id, "kind": link.kind,
                                                     "linked_on": link.linked_on, "ended_on": link.ended_on})
    for m in session.scalars(select(ContactMeeting).where(ContactMeeting.deputy_id.in_(ids),
                                                          ContactMeeting.met_on.startswith(prefix))):
        meetings.setdefault(m.deputy_id, []).append({"link_id": m.link_id, "met_on": m.met_on})
    for grid_deputy, grid in session.execute(select(GridDeputy, GridFact).join(
            GridFact, GridFact.grid_id == GridDeputy.grid_id).where(GridDeputy.deputy_id.in_(ids))):
        grids.setdefault(grid_deputy.deputy_id, []).append(grid)
    result = []
    for d in deputies:
        own_grids = sorted(grids.get(d.deputy_id, []), key=lambda g: g.code)
        population = sum(g.population for g in own_grids) or None
        figures = domain.deputy_performance(year=year, as_of=as_of, visits=visits.get(d.deputy_id, []),
                                            sessions=sessions.get(d.deputy_id, []),
                                            cases=cases.get(d.deputy_id, []), grid_population=population,
                                            links=links.get(d.deputy_id, []), meetings=meetings.get(d.deputy_id, []),
                                            registered=registered.get(d.deputy_id, []))
        result.append({"deputy_id": d.deputy_id, "name": d.name, "level": d.level, "kind": d.kind,
                       "position": d.position, "status": d.status,
                       "grids": [{"grid_id": g.grid_id, "code": g.code, "name": g.name} for g in own_grids],
                       **figures})
    return result


def excellent_grids(session, *, year: int, min_cases: int) -> dict:
    """The year's grid ranking: the formula, each grid's inputs, score and rank, the top 10 % named."""
    rows = kpis.slices(session, dimension="grid", period=f"{year:04d}")
    grids = {g.grid_id: g for g in session.scalars(select(GridFact).where(
        GridFact.grid_id.in_([r["key"] for r in rows])))}
    items = [{"grid_id": r["key"], "code": grids[r["key"]].code if r["key"] in grids else None,
              "name": grids[r["key"]].name if r["key"] in grids else r["key"],
              "kpis": {k: v for k, v in r.items() if k not in ("key", "label", "meets")}} for r in rows]
    ranked = domain.rank_grids(items, min_cases)
    return {"year": year, "min_cases": min_cases, "formula": domain.RANKING_FORMULA,
            "formula_zh": domain.RANKING_FORMULA_ZH.format(min_cases=min_cases),
            "weights": domain.RANKING_WEIGHTS, "grids_ranked": sum(1 for r in ranked if r["rank"]),
            "excellent": [r["grid_id"] for r in ranked if r["excellent"]], "grids": ranked}
