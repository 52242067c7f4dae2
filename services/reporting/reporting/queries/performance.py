"""Deputy performance (履职) and the excellent-grid ranking (优秀代表网格), read from the projections."""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from wangge_common import clock
from wangge_common.errors import NotFound

from .. import domain
from . import kpis
from ..models import (CaseFact, ContactLink, ContactMeeting, DeputyCaseCount, DeputyFact, DutyFact, GridDeputy, GridFact,
                      ProjectFact, ReceptionAttendance, VisitFact)


def today() -> date:
    """The China calendar day: what a deputy's year is judged up to."""
    return clock.local_date(clock.now())


NO_CASES = dict.fromkeys(domain.CASE_COUNTS, 0)


def _deputies(session, deputy_id: str | None, township: str | None) -> list[DeputyFact]:
    """The deputies of the table: every one, one, or those assigned to a grid of a township (乡镇)."""
    query = select(DeputyFact).order_by(DeputyFact.name, DeputyFact.deputy_id)
    if deputy_id:
        query = query.where(DeputyFact.deputy_id == deputy_id)
    if township:
        in_township = (select(GridDeputy.deputy_id).join(GridFact, GridFact.grid_id == GridDeputy.grid_id)
                       .outerjoin(kpis.PARENT, kpis.PARENT.grid_id == GridFact.parent_id)
                       .where(kpis.TOWNSHIP == township))
        query = query.where(DeputyFact.deputy_id.in_(in_township))
    deputies = session.scalars(query).all()
    if deputy_id and not deputies:
        raise NotFound(f"no deputy {deputy_id} is known to reporting")
    return deputies


def _of(column, ids: list[str] | None):
    """`column IN ids`, or no condition when the table holds every deputy (cheaper than 400 bound ids)."""
    return column.in_(ids) if ids is not None else column.is_not(None)


def _grouped(rows, key: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for row in rows:
        found.setdefault(getattr(row, key), []).append(row)
    return found


def _visits(session, ids, prefix: str) -> dict[str, list[dict]]:
    rows = session.scalars(select(VisitFact).where(_of(VisitFact.deputy_id, ids),
                                                   VisitFact.visited_on.startswith(prefix)))
    return {deputy: [{"visited_on": v.visited_on, "household_ids": json.loads(v.household_ids),
                      "residents_reached": v.residents_reached, "cases_registered": v.cases_registered,
                      "kind": v.kind} for v in visits]
            for deputy, visits in _grouped(rows, "deputy_id").items()}


def _sessions(session, ids, prefix: str) -> dict[str, list[dict]]:
    rows = session.scalars(select(ReceptionAttendance).where(_of(ReceptionAttendance.deputy_id, ids),
                                                             ReceptionAttendance.started_at.startswith(prefix)))
    return {deputy: [{"started_at": s.started_at, "ended_at": s.ended_at, "residents_received": s.residents_received,
                      "case_ids": json.loads(s.case_ids)} for s in attended]
            for deputy, attended in _grouped(rows, "deputy_id").items()}


def _case_counts(session, ids, prefix: str) -> dict[str, dict]:
    """Each deputy's counts of the year from the deputy_case_counts projection: one row per deputy, not every
    case (issue 16)."""
    counted = (getattr(DeputyCaseCount, name) for name in domain.CASE_COUNTS)
    rows = session.execute(select(DeputyCaseCount.deputy_id, *counted)
                           .where(_of(DeputyCaseCount.deputy_id, ids), DeputyCaseCount.year == prefix))
    return {row[0]: dict(zip(domain.CASE_COUNTS, row[1:])) for row in rows}


def _registered(session, ids, prefix: str) -> dict[str, list[dict]]:
    """The cases each deputy took in as the receiver (受理), not withdrawn: few, so read as rows."""
    rows = session.execute(select(CaseFact.case_id, CaseFact.channel, CaseFact.registered_at,
                                  CaseFact.received_by_deputy_id)
                           .where(_of(CaseFact.received_by_deputy_id, ids), CaseFact.period.startswith(prefix),
                                  CaseFact.withdrawn.is_(False)))
    return {deputy: [{"case_id": r.case_id, "channel": r.channel, "registered_at": r.registered_at} for r in taken]
            for deputy, taken in _grouped(rows, "received_by_deputy_id").items()}


def _contacts(session, ids, prefix: str) -> tuple[dict, dict]:
    links = _grouped(session.scalars(select(ContactLink).where(_of(ContactLink.deputy_id, ids))), "deputy_id")
    meetings = _grouped(session.scalars(select(ContactMeeting).where(_of(ContactMeeting.deputy_id, ids),
                                                                     ContactMeeting.met_on.startswith(prefix))),
                        "deputy_id")
    return ({deputy: [{"link_id": k.link_id, "kind": k.kind, "linked_on": k.linked_on, "ended_on": k.ended_on}
                      for k in rows] for deputy, rows in links.items()},
            {deputy: [{"link_id": m.link_id, "met_on": m.met_on} for m in rows] for deputy, rows in meetings.items()})


def _duties(session, ids, prefix: str) -> dict[str, dict[str, int]]:
    """Each deputy's duty record of the year (履职登记), withdrawn entries left out, as counts by kind."""
    rows = session.execute(select(DutyFact.deputy_id, DutyFact.kind, func.count())
                           .where(_of(DutyFact.deputy_id, ids), DutyFact.occurred_on.startswith(prefix),
                                  DutyFact.withdrawn.is_(False))
                           .group_by(DutyFact.deputy_id, DutyFact.kind))
    found: dict[str, dict[str, int]] = {}
    for deputy_id, kind, count in rows:
        found.setdefault(deputy_id, {})[kind] = count
    return found


def _projects_completed(session, ids, prefix: str) -> dict[str, int]:
    rows = session.execute(select(ProjectFact.deputy_id, func.count())
                           .where(_of(ProjectFact.deputy_id, ids), ProjectFact.completed_on.startswith(prefix))
                           .group_by(ProjectFact.deputy_id))
    return dict(rows.all())


def _grids(session, ids) -> dict[str, list[GridFact]]:
    found: dict[str, list[GridFact]] = {}
    for grid_deputy, grid in session.execute(select(GridDeputy, GridFact).join(
            GridFact, GridFact.grid_id == GridDeputy.grid_id).where(_of(GridDeputy.deputy_id, ids))):
        found.setdefault(grid_deputy.deputy_id, []).append(grid)
    return found


def deputies_performance(session, *, year: int, as_of: date, deputy_id: str | None = None,
                         township: str | None = None) -> list[dict]:
    """Every deputy's year (or one deputy's, or those of one township's grids), loaded in a few queries, not one
    per deputy; the cases counted by the deputy_case_counts projection."""
    deputies = _deputies(session, deputy_id, township)
    ids = [d.deputy_id for d in deputies] if deputy_id or township else None
    prefix = f"{year:04d}"
    visits, sessions = _visits(session, ids, prefix), _sessions(session, ids, prefix)
    counts, registered = _case_counts(session, ids, prefix), _registered(session, ids, prefix)
    links, meetings = _contacts(session, ids, prefix)
    grids = _grids(session, ids)
    duties, projects = _duties(session, ids, prefix), _projects_completed(session, ids, prefix)
    result = []
    for d in deputies:
        own_grids = sorted(grids.get(d.deputy_id, []), key=lambda g: g.code)
        figures = domain.deputy_performance(
            year=year, as_of=as_of, visits=visits.get(d.deputy_id, []), sessions=sessions.get(d.deputy_id, []),
            case_counts=counts.get(d.deputy_id, NO_CASES),
            grid_population=sum(g.population for g in own_grids) or None, links=links.get(d.deputy_id, []),
            meetings=meetings.get(d.deputy_id, []), registered=registered.get(d.deputy_id, []),
            duties=duties.get(d.deputy_id, {}), projects_completed=projects.get(d.deputy_id, 0))
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
