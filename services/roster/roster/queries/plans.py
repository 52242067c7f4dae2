"""Reads of assignment plans (派驻方案) and of what is published: a plan's view, the coverage report, the
assignments."""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import false, func, select

from wangge_common.errors import Invalid, NotFound
from wangge_common.paging import paginate
import csv
import io

from .. import planner
from ..models import Assignment, AssignmentPlan, Deputy, Grid, PlanEntry


class PlanScope:
    """The grids of a plan's scope (a grid's subtree, or the whole county) and the roster around them."""

    def __init__(self, session, scope_grid_id: str | None, field: str = "scope_grid_id"):
        rows = session.execute(select(Grid.id, Grid.code, Grid.name, Grid.level, Grid.parent_id, Grid.difficulty,
                                      Grid.constituency)).all()
        self.all = {r.id: r for r in rows}
        if scope_grid_id and scope_grid_id not in self.all:
            raise Invalid([(field, f"no grid {scope_grid_id}")])
        children = defaultdict(list)
        for r in rows:
            children[r.parent_id].append(r.id)
        self.children = children
        roots = [scope_grid_id] if scope_grid_id else children[None]
        ids, stack = [], list(roots)
        while stack:
            grid_id = stack.pop()
            ids.append(grid_id)
            stack += children.get(grid_id, [])
        if scope_grid_id:  # ancestors too, so tree distance and constituencies see the whole line
            parent = self.all[scope_grid_id].parent_id
            while parent:
                ids.append(parent)
                parent = self.all[parent].parent_id
        self.ids = set(ids)
        self.grids = [planner.PlanGrid(r.id, r.code, r.level, r.parent_id if r.parent_id in self.ids else None,
                                       r.difficulty, r.constituency) for r in (self.all[i] for i in ids)]
        scope_ids = set(ids) - (set() if not scope_grid_id else self._ancestors(scope_grid_id))
        self.leaves = {i for i in scope_ids if not children.get(i)}
        self.scope_ids = scope_ids
        self._townships: dict[str, str] = {}

    def township_of(self, grid_id: str) -> str:
        """The township (root of the tree) a grid belongs to, seen over the whole county."""
        found = self._townships.get(grid_id)
        if found is None:
            line, g = [], grid_id
            while g is not None and g not in self._townships:
                line.append(g)
                g = self.all[g].parent_id
            found = self._townships[g] if g is not None else line[-1]
            for g in line:
                self._townships[g] = found
        return found

    def townships(self, *grid_ids) -> frozenset:
        return frozenset(self.township_of(g) for g in grid_ids if g in self.all)

    def _ancestors(self, grid_id: str) -> set[str]:
        out, parent = set(), self.all[grid_id].parent_id
        while parent:
            out.add(parent)
            parent = self.all[parent].parent_id
        return out

    def deputies(self, session, *, only: set[str] | None = None) -> list[planner.PlanDeputy]:
        """Serving deputies anchored in the scope (home or work grid), or exactly `only`, with their load outside."""
        query = select(Deputy.id, Deputy.level, Deputy.kind, Deputy.home_grid_id, Deputy.work_grid_id,
                       Deputy.constituency, Deputy.capability, Deputy.status)
        if only is None:
            query = query.where(Deputy.status == "serving")
        elif len(only) <= 1000:  # a county plan's 13,000: all read and kept below (an IN list that long costs more)
            query = query.where(Deputy.id.in_(only)) if only else query.where(false())
        # every live assignment read and filtered here: NOT IN a county's 8,000 leaves costs far more
        outside = Counter(row.deputy_id for row in session.execute(
            select(Assignment.deputy_id, Assignment.grid_id).where(Assignment.ended_at.is_(None)))
            if row.grid_id not in self.leaves)
        found = []
        for d in session.execute(query):
            if only is not None and d.id not in only:
                continue
            if only is None and len(self.scope_ids) < len(self.all) and not (
                    {d.home_grid_id, d.work_grid_id} & self.scope_ids):
                continue
            found.append(planner.PlanDeputy(d.id, d.level, d.kind, d.home_grid_id, d.work_grid_id, d.constituency,
                                            d.capability, outside[d.id], d.status,
                                            self.townships(d.home_grid_id, d.work_grid_id)))
        return found


def get_plan(session, plan_id: str) -> AssignmentPlan:
    plan = session.get(AssignmentPlan, plan_id)
    if plan is None:
        raise NotFound(f"no assignment plan {plan_id}")
    return plan


def list_plans(session, *, status=None, scope_grid_id=None, page=1, page_size=100) -> dict:
    query = select(AssignmentPlan)
    if status:
        query = query.where(AssignmentPlan.status == status)
    if scope_grid_id:
        query = query.where(AssignmentPlan.scope_grid_id == str(scope_grid_id))
    return paginate(session, query.order_by(AssignmentPlan.created_at.desc(), AssignmentPlan.id), page, page_size,
                    each=lambda plan: plan_view(session, plan, with_grids=False))


def plan_view(session, plan: AssignmentPlan, *, with_grids: bool = True) -> dict:
    """The plan with its grids and who serves each, by name and level."""
    view = {c: getattr(plan, c) for c in ("id", "scope_grid_id", "status", "rules", "violations", "created_by",
                                          "submitted_by", "submitted_at", "approved_by", "approved_at",
                                          "published_by", "published_at", "created_at")}
    view["feasible"] = not plan.violations
    view["warnings"] = plan.warnings or []
    if not with_grids:  # counted by the database: a county plan has 20,000 entries
        mine = PlanEntry.plan_id == plan.id
        grids, deputies = session.execute(select(func.count(func.distinct(PlanEntry.grid_id)),
                                                 func.count(func.distinct(PlanEntry.deputy_id))).where(mine)).one()
        view["summary"] = {"grids": grids, "deputies": deputies, "by_basis": dict(session.execute(
            select(PlanEntry.basis, func.count()).where(mine).group_by(PlanEntry.basis)).all())}
        return view
    rows = session.execute(
        select(PlanEntry.grid_id, PlanEntry.deputy_id, PlanEntry.basis, Deputy.name, Deputy.level, Deputy.kind)
        .join(Deputy, Deputy.id == PlanEntry.deputy_id).where(PlanEntry.plan_id == plan.id)).all()
    view["summary"] = {"grids": len({r.grid_id for r in rows}), "deputies": len({r.deputy_id for r in rows}),
                       "by_basis": dict(Counter(r.basis for r in rows))}
    if with_grids:
        wanted = {r.grid_id for r in rows}  # filtered here: an IN list of a county's grids costs more
        grids = {g.id: g for g in session.execute(select(Grid.id, Grid.code, Grid.name)) if g.id in wanted}
        by_grid = defaultdict(list)
        for r in rows:
            by_grid[r.grid_id].append({"deputy_id": r.deputy_id, "name": r.name, "level": r.level, "kind": r.kind,
                                       "basis": r.basis})
        view["grids"] = [{"grid_id": g, "code": grids[g].code, "name": grids[g].name, "deputies": by_grid[g]}
                         for g in sorted(by_grid, key=lambda g: grids[g].code)]
    return view


COVERAGE_FINDINGS = ("grids_without_deputy", "grids_without_township_deputy", "deputies_without_grid",
                     "deputies_over_load")


def coverage(session, *, township_id: str | None = None, max_load: int = 1) -> dict:
    """What is published: grids with no deputy or no township-level deputy, deputies with no grid or over load."""
    scope = PlanScope(session, township_id, "township_id")
    by_grid, load = _live_assignments(session)
    report = _CoverageReport(scope)
    for grid_id in sorted(scope.leaves, key=lambda g: scope.all[g].code):
        report.grid(grid_id, [r for r in by_grid[grid_id] if r.kind == "npc_deputy"])
    for d in session.execute(select(Deputy.id, Deputy.name, Deputy.level, Deputy.kind, Deputy.home_grid_id,
                                    Deputy.work_grid_id).where(Deputy.status == "serving")):
        anchor = d.home_grid_id or d.work_grid_id
        if not township_id or anchor in scope.scope_ids:
            report.deputy(d, anchor, load[d.id], max_load)
    townships = sorted(report.townships.values(), key=lambda t: t["code"] or "~")
    totals = {"grids": sum(t["grids"] for t in townships),
              **{k: sum(len(t[k]) for t in townships) for k in COVERAGE_FINDINGS}}
    return {"max_load": max_load, "totals": totals, "townships": townships}


def _live_assignments(session) -> tuple[dict, Counter]:
    """Live assignments by grid, and each NPC deputy's load (grids served)."""
    live = session.execute(select(Assignment.grid_id, Assignment.deputy_id, Deputy.level, Deputy.kind)
                           .join(Deputy, Deputy.id == Assignment.deputy_id)
                           .where(Assignment.ended_at.is_(None))).all()
    by_grid, load = defaultdict(list), Counter()
    for row in live:
        by_grid[row.grid_id].append(row)
        if row.kind == "npc_deputy":
            load[row.deputy_id] += 1
    return by_grid, load


class _CoverageReport:
    """The coverage findings, township by township."""

    def __init__(self, scope: PlanScope):
        self.scope, self.townships = scope, {}
        self.township_of = {}
        for grid_id in scope.all:
            line, g = [], grid_id
            while g:
                line.append(g)
                g = scope.all[g].parent_id
            self.township_of[grid_id] = line[-1]

    def township(self, grid_id) -> dict:
        t = self.township_of.get(grid_id)
        if t not in self.townships:
            info = self.scope.all.get(t)
            self.townships[t] = {"township_id": t, "code": info.code if info else None,
                                 "name": info.name if info else None, "grids": 0,
                                 **{finding: [] for finding in COVERAGE_FINDINGS}}
        return self.townships[t]

    def grid(self, grid_id: str, npc: list) -> None:
        entry, info = self.township(grid_id), self.scope.all[grid_id]
        entry["grids"] += 1
        item = {"grid_id": grid_id, "code": info.code, "name": info.name}
        if not npc:
            entry["grids_without_deputy"].append(item)
        elif not any(r.level == "township" for r in npc):
            entry["grids_without_township_deputy"].append(item)

    def deputy(self, d, anchor: str | None, load: int, max_load: int) -> None:
        item = {"deputy_id": d.id, "name": d.name, "level": d.level}
        if d.kind == "npc_deputy" and load == 0:
            self.township(anchor)["deputies_without_grid"].append(item)
        elif load > max_load:
            self.township(anchor)["deputies_over_load"].append({**item, "grids": load})


def coverage_csv(report: dict) -> str:
    """The coverage report as CSV: one line per finding, township first (UTF-8 with BOM for spreadsheet apps)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["township_code", "township_name", "finding", "grid_code", "grid_name", "deputy_name",
                     "deputy_level", "grids_served"])
    for t in report["townships"]:
        for finding in ("grids_without_deputy", "grids_without_township_deputy"):
            for g in t[finding]:
                writer.writerow([t["code"], t["name"], finding, g["code"], g["name"], "", "", ""])
        for finding in ("deputies_without_grid", "deputies_over_load"):
            for d in t[finding]:
                writer.writerow([t["code"], t["name"], finding, "", "", d["name"], d["level"], d.get("grids", 0)])
    return "\ufeff" + out.getvalue()


def list_assignments(session, *, grid_id=None, deputy_id=None, current=None, page=1, page_size=100) -> dict:
    """Assignments, live and ended: the history of who served where, and from which plan."""
    query = (select(Assignment.id, Assignment.grid_id, Grid.code.label("grid_code"), Grid.name.label("grid_name"),
                    Assignment.deputy_id, Deputy.name.label("deputy_name"), Assignment.plan_id,
                    Assignment.started_at, Assignment.ended_at, Assignment.end_reason)
             .join(Grid, Grid.id == Assignment.grid_id).join(Deputy, Deputy.id == Assignment.deputy_id))
    if grid_id:
        query = query.where(Assignment.grid_id == str(grid_id))
    if deputy_id:
        query = query.where(Assignment.deputy_id == str(deputy_id))
    if current is not None:
        query = query.where(Assignment.ended_at.is_(None) if current else Assignment.ended_at.is_not(None))
    return paginate(session, query.order_by(Assignment.started_at.desc(), Grid.code, Assignment.id), page, page_size,
                    rows=True)
