"""A hand edit of one grid of a draft plan, checked incrementally: a county plan has 10,000 grids and 20,000
entries, and one grid's change can only change that grid's rules and the load of the deputies it touched.

The stored violations (and warnings) of the plan are kept, less those of the edited grid and the per-deputy ones
of the deputies who joined or left it; those are checked again with the same rules as the whole plan
(`planner_checks`). The answer can be the whole plan or only what changed (`change_view`).
"""
from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import delete, func, insert, select

from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from .. import planner
from ..models import Assignment, Deputy, Grid, PlanEntry
from ..planner_checks import DEPUTY_RULES, check_deputy, check_grid, check_pairing, check_placement
from ..queries.plans import get_plan


class _Grids:
    """The grids an edit looks at — the edited grid, the touched deputies' home, work and assignment grids — with
    their lines up to the township and whether they have children: a few keyed reads, not the county's tree."""

    def __init__(self, session):
        self.session, self.row, self.parents = session, {}, set()
        self._checked: set[str] = set()

    def prepare(self, ids) -> None:
        wanted = {i for i in ids if i}
        missing = wanted - set(self.row)
        while missing:  # three levels: at most three rounds
            found = self.session.execute(select(Grid.id, Grid.parent_id, Grid.code, Grid.name)
                                                        .where(Grid.id.in_(missing))).all()
            self.row.update((r.id, r) for r in found)
            missing = {r.parent_id for r in found if r.parent_id and r.parent_id not in self.row}
        unchecked = wanted - self._checked
        if unchecked:
            self.parents |= set(self.session.scalars(select(Grid.parent_id).where(Grid.parent_id.in_(unchecked))
                                                     .distinct()))
            self._checked |= unchecked

    def lineage(self, grid_id: str) -> list[str]:
        out = []
        while grid_id in self.row:
            out.append(grid_id)
            grid_id = self.row[grid_id].parent_id
        return out

    def township(self, grid_id: str | None) -> str | None:
        line = self.lineage(grid_id) if grid_id else []
        return line[-1] if line else None

    def is_plan_leaf(self, grid_id: str, scope_grid_id: str | None) -> bool:
        self.prepare([grid_id])
        return grid_id in self.row and grid_id not in self.parents and (
            scope_grid_id is None or scope_grid_id in self.lineage(grid_id))


def _key(violation: dict) -> str:
    return json.dumps(violation, sort_keys=True, ensure_ascii=False)


def edit_plan_grid(uow: UnitOfWork, plan_id: str, grid_id: str, deputy_ids: list[str]) -> tuple:
    """Replace the deputies of one grid in a draft and re-check what that can change; (plan, change) where the
    change lists the grid as it is now and the violations and warnings that appeared or went."""
    session = uow.session
    plan = get_plan(session, plan_id)
    grids = _Grids(session)
    deputy_ids = _check_edit(session, plan, grids, grid_id, deputy_ids)
    before = set(session.scalars(select(PlanEntry.deputy_id).where(PlanEntry.plan_id == plan.id,
                                                                     PlanEntry.grid_id == grid_id)))
    session.execute(delete(PlanEntry).where(PlanEntry.plan_id == plan.id, PlanEntry.grid_id == grid_id))
    if deputy_ids:
        session.execute(insert(PlanEntry), [{"plan_id": plan.id, "grid_id": grid_id, "deputy_id": d,
                                             "basis": "manual"} for d in deputy_ids])
    touched = before | set(deputy_ids)
    deputies = _deputies(session, grids, plan, touched)
    fresh = dict(zip(("violations", "warnings"), _checks(session, grids, plan, grid_id, deputy_ids, deputies,
                                                          planner.Rules(**plan.rules))))
    gone = _replace_checked(plan, grid_id, touched, fresh)
    session.flush()
    return plan, _change(session, grids, plan, grid_id, deputy_ids, gone, fresh)


def _check_edit(session, plan, grids: _Grids, grid_id: str, deputy_ids: list[str]) -> list[str]:
    """A draft, a bottom-level grid of its scope, deputies on the roster; the deputy ids without repeats."""
    if plan.status != "draft":
        raise Conflict(f"the plan is {plan.status}; only a draft can be edited (create a new plan instead)")
    if not grids.is_plan_leaf(grid_id, plan.scope_grid_id):
        raise Invalid([("grid_id", "not a bottom-level grid of this plan's scope")])
    deputy_ids = list(dict.fromkeys(str(d) for d in deputy_ids))
    known = set(session.scalars(select(Deputy.id).where(Deputy.id.in_(deputy_ids)))) if deputy_ids else set()
    unknown = [d for d in deputy_ids if d not in known]
    if unknown:
        raise Invalid([("deputy_ids", f"no deputy {d}") for d in unknown])
    return deputy_ids


def _replace_checked(plan, grid_id: str, touched: set[str], fresh: dict) -> dict:
    """The plan's stored violations and warnings of the grid and of the deputies the edit touched give way to the
    fresh ones; the ones that went."""
    def stale(v: dict) -> bool:
        return v.get("grid_id") == grid_id or (v["rule"] in DEPUTY_RULES and v.get("deputy_id") in touched)

    gone = {"violations": [v for v in plan.violations or [] if stale(v)],
            "warnings": [w for w in plan.warnings or [] if stale(w)]}
    plan.violations = [v for v in plan.violations or [] if not stale(v)] + fresh["violations"]
    plan.warnings = [w for w in plan.warnings or [] if not stale(w)] + fresh["warnings"]
    return gone


def _deputies(session, grids: _Grids, plan, touched: set[str]) -> dict[str, planner.PlanDeputy]:
    """The deputies an edit touched, as the planner sees them: townships and the load they hold outside."""
    if not touched:
        return {}
    live = session.execute(select(Assignment.deputy_id, Assignment.grid_id)
                           .where(Assignment.deputy_id.in_(touched), Assignment.ended_at.is_(None))).all()
    rows = session.execute(select(Deputy.id, Deputy.level, Deputy.kind, Deputy.home_grid_id, Deputy.work_grid_id,
                                  Deputy.constituency, Deputy.capability, Deputy.status)
                           .where(Deputy.id.in_(touched))).all()
    grids.prepare([r.grid_id for r in live] + [g for d in rows for g in (d.home_grid_id, d.work_grid_id)])
    outside = Counter(r.deputy_id for r in live if not grids.is_plan_leaf(r.grid_id, plan.scope_grid_id))
    found = {}
    for d in rows:
        towns = frozenset(t for t in (grids.township(d.home_grid_id), grids.township(d.work_grid_id)) if t)
        found[d.id] = planner.PlanDeputy(d.id, d.level, d.kind, d.home_grid_id, d.work_grid_id, d.constituency,
                                         d.capability, outside[d.id], d.status, towns)
    return found


def _checks(session, grids: _Grids, plan, grid_id: str, deputy_ids: list[str], deputies: dict, rules) -> tuple:
    """The violations and warnings of the edited grid and of the deputies who joined or left it."""
    code, town = grids.row[grid_id].code, grids.township(grid_id)
    codes = {t: grids.row[t].code for t in {town} | {t for d in deputies.values() for t in d.townships}}
    violations = []
    for deputy_id in deputy_ids:
        misplaced = check_placement(grid_id, code, town, deputies[deputy_id], deputies[deputy_id].townships, codes)
        if misplaced:
            violations.append(misplaced)
    members = [deputies[d] for d in deputy_ids if deputies[d].kind == "npc_deputy"]
    violations += check_grid(grid_id, code, members, rules)
    npc = [d for d in deputies.values() if d.kind == "npc_deputy"]
    counts = dict(session.execute(select(PlanEntry.deputy_id, func.count()).where(
        PlanEntry.plan_id == plan.id, PlanEntry.deputy_id.in_([d.id for d in npc])).group_by(PlanEntry.deputy_id)
    ).all()) if npc else {}
    for deputy in sorted(npc, key=lambda d: d.id):
        if counts.get(deputy.id):
            violations += check_deputy(deputy, counts[deputy.id], rules)
    found_warnings = check_pairing(grid_id, code, [deputies[d].kind for d in deputy_ids], rules)
    return violations, found_warnings


def _change(session, grids: _Grids, plan, grid_id: str, deputy_ids: list[str], gone: dict, fresh: dict) -> dict:
    """Only what the edit changed: the grid with its deputies, violations and warnings added and removed."""
    names = {d.id: d for d in session.execute(select(Deputy.id, Deputy.name, Deputy.level, Deputy.kind)
                                              .where(Deputy.id.in_(deputy_ids)))} if deputy_ids else {}
    row = grids.row[grid_id]
    change = {"plan_id": plan.id, "status": plan.status, "feasible": not plan.violations,
              "violations_total": len(plan.violations), "warnings_total": len(plan.warnings or []),
              "grid": {"grid_id": grid_id, "code": row.code, "name": row.name, "deputies": [
                  {"deputy_id": d, "name": names[d].name, "level": names[d].level, "kind": names[d].kind,
                   "basis": "manual"} for d in deputy_ids]}}
    for label in ("violations", "warnings"):  # only the checked ones can differ: the others were kept as they were
        was, now = gone[label], fresh[label]
        was_keys, now_keys = {_key(v) for v in was}, {_key(v) for v in now}
        change[f"{label}_added"] = [v for v in now if _key(v) not in was_keys]
        change[f"{label}_removed"] = [v for v in was if _key(v) not in now_keys]
    return change
