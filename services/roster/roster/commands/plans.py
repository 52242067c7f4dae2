"""Assignment plans (派驻方案): propose, edit, approve, publish; and the coverage report of what is published."""
from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import insert, select, update

from wangge_common.db import utcnow
from wangge_common.errors import Conflict, DomainError, Invalid
from wangge_common.outbox import UnitOfWork
from dataclasses import asdict

from .. import planner
from ..models import Assignment, AssignmentPlan, Deputy, PlanEntry
from ..queries.plans import PlanScope, get_plan, plan_view


def _rules(plan: AssignmentPlan) -> planner.Rules:
    return planner.Rules(**plan.rules)


def create_plan(uow: UnitOfWork, data: dict) -> AssignmentPlan:
    """Compute a draft plan for a township (or the whole county); an infeasible plan lists its violations."""
    session = uow.session
    scope_grid_id = str(data["scope_grid_id"]) if data.get("scope_grid_id") else None
    rules = planner.Rules(**data.get("rules", {}))
    if rules.min_per_grid > rules.max_per_grid:
        raise Invalid([("rules.min_per_grid", f"must not exceed max_per_grid ({rules.max_per_grid})")])
    scope = PlanScope(session, scope_grid_id)
    if not scope.leaves:
        raise Invalid([("scope_grid_id", "the scope holds no grids to assign")])
    proposal = planner.propose(scope.grids, scope.deputies(session), rules)
    plan = AssignmentPlan(id=str(uuid.uuid4()), scope_grid_id=scope_grid_id, status="draft", rules=asdict(rules),
                          violations=_with_codes(proposal.violations, scope), warnings=proposal.warnings,
                          created_by=uow.actor)
    session.add(plan)
    session.flush()
    if proposal.entries:  # one executemany: a county plan has tens of thousands of rows
        session.execute(insert(PlanEntry), [{"plan_id": plan.id, "grid_id": g, "deputy_id": d, "basis": b}
                                            for g, d, b in proposal.entries])
    return plan


def _with_codes(violations: list[dict], scope: PlanScope) -> list[dict]:
    for v in violations:
        if "grid_id" in v and v["grid_id"] in scope.all:
            v.setdefault("grid_code", scope.all[v["grid_id"]].code)
    return violations


def _revalidate(session, plan: AssignmentPlan, scope: PlanScope) -> list[dict]:
    """The plan's violations against the roster as it is now (its warnings are refreshed too)."""
    entries = [tuple(r) for r in session.execute(select(PlanEntry.grid_id, PlanEntry.deputy_id, PlanEntry.basis)
                                                 .where(PlanEntry.plan_id == plan.id))]
    deputies = scope.deputies(session, only={d for _, d, _ in entries})
    tree = planner.Tree(scope.grids)
    plan.warnings = planner.warnings(tree, deputies, entries, _rules(plan))
    return _with_codes(planner.validate(scope.grids, deputies, entries, _rules(plan), tree), scope)


def _rules_met(session, plan: AssignmentPlan, what: str) -> None:
    plan.violations = _revalidate(session, plan, PlanScope(session, plan.scope_grid_id))
    if plan.violations:
        raise Invalid([{"field": v.get("grid_code") or v.get("grid_id") or v.get("deputy_id"), "rule": v["rule"],
                        "reason": v["reason"]} for v in plan.violations],
                      f"the plan breaks hard rules and cannot be {what}; edit the draft or create a new plan")


def submit_plan(uow: UnitOfWork, plan_id: str) -> AssignmentPlan:
    """Submit a draft that meets every hard rule for approval (提交审定): it is no longer edited by hand."""
    session = uow.session
    plan = get_plan(session, plan_id)
    if plan.status != "draft":
        raise Conflict(f"the plan is {plan.status}; only a draft can be submitted")
    _rules_met(session, plan, "submitted")
    plan.status, plan.submitted_by, plan.submitted_at = "submitted", uow.actor, utcnow()
    session.flush()
    return plan


class SelfApproval(DomainError):
    """The drafter (or submitter) of a plan approving it: 403, one person cannot both draft and approve."""

    status, title = 403, "Forbidden"


def approve_plan(uow: UnitOfWork, plan_id: str) -> AssignmentPlan:
    """Approve a draft (or a submitted plan) that meets every hard rule (审定); the approver is the acting user,
    who must be another person than the one who drafted or submitted it."""
    session = uow.session
    plan = get_plan(session, plan_id)
    if plan.status not in ("draft", "submitted"):
        raise Conflict(f"the plan is {plan.status}; only a draft or a submitted plan can be approved")
    if uow.actor.startswith("person:") and uow.actor in (plan.created_by, plan.submitted_by):
        raise SelfApproval("one person cannot both draft (or submit) and approve the same plan: another person "
                           "with the approver's permission approves it",
                           errors=[{"field": "approved_by", "reason": f"{uow.actor} drafted or submitted this plan"}])
    _rules_met(session, plan, "approved")
    plan.status, plan.approved_by, plan.approved_at = "approved", uow.actor, utcnow()
    summary = plan_view(session, plan, with_grids=False)["summary"]
    session.flush()
    uow.emit("assignment_plan.approved", plan.id, {"plan_id": plan.id, "scope_grid_id": plan.scope_grid_id,
                                                   "grids": summary["grids"], "deputies": summary["deputies"]},
             new_subject=True)
    return plan


def publish_plan(uow: UnitOfWork, plan_id: str) -> AssignmentPlan:
    """Publish an approved plan: each grid's full list goes out (assignment.published); leavers get assignment.ended."""
    session = uow.session
    plan = get_plan(session, plan_id)
    if plan.status != "approved":
        raise Conflict(f"the plan is {plan.status}; only an approved plan can be published")
    scope = PlanScope(session, plan.scope_grid_id)
    plan.violations = _revalidate(session, plan, scope)
    if plan.violations:  # the roster changed since approval (a term ended, say)
        raise Conflict("the roster changed since approval and the plan now breaks hard rules: "
                       + "; ".join(f"{v.get('grid_code') or v.get('deputy_id')}: {v['reason']}"
                                   for v in plan.violations[:10])
                       + "; nothing was published: create a new plan for the roster as it is")
    now = utcnow()
    wanted, live = _wanted_and_live(session, plan, scope)
    deputies = {d.id: d for d in session.execute(select(Deputy.id, Deputy.kind, Deputy.level))}
    ended, opened, events = _publication(plan.id, scope, wanted, live, deputies, now)
    # Set-wise writes: one executemany each, and the events numbered with one read of their subjects' sequences.
    if ended:
        session.execute(update(Assignment), ended)  # ORM bulk UPDATE by primary key: one executemany
    if opened:
        session.connection().execute(insert(Assignment.__table__), opened)
    uow.emit_many(events)
    plan.status, plan.published_by, plan.published_at = "published", uow.actor, now
    session.flush()
    return plan


def _wanted_and_live(session, plan: AssignmentPlan, scope: PlanScope) -> tuple[dict, dict]:
    """grid → the deputies the plan wants there; grid → {deputy: live assignment id} of the scope's grids."""
    wanted = defaultdict(set)
    for grid_id, deputy_id in session.execute(select(PlanEntry.grid_id, PlanEntry.deputy_id)
                                              .where(PlanEntry.plan_id == plan.id)):
        wanted[grid_id].add(deputy_id)
    live = defaultdict(dict)  # read whole and filtered here: an IN list of a county's 8,000 grids costs more
    for row in session.execute(select(Assignment.id, Assignment.grid_id, Assignment.deputy_id)
                               .where(Assignment.ended_at.is_(None))):
        if row.grid_id in scope.leaves:
            live[row.grid_id][row.deputy_id] = row.id
    return wanted, live


def _publication(plan_id: str, scope: PlanScope, wanted: dict, live: dict, deputies: dict, now) -> tuple:
    """(assignments ended, assignments opened, events), grid by grid in code order: a leaver's assignment ends, a
    newcomer's opens, and every grid's full list is published."""
    ended, opened, events = [], [], []
    reason = f"replaced by plan {plan_id}"
    for grid_id in sorted(scope.leaves, key=lambda g: scope.all[g].code):
        for deputy_id, assignment_id in sorted(live[grid_id].items()):
            if deputy_id not in wanted[grid_id]:
                ended.append({"id": assignment_id, "ended_at": now, "end_reason": reason})
                events.append(("assignment.ended", grid_id, {"grid_id": grid_id, "deputy_id": deputy_id,
                                                             "reason": reason}))
        opened += [{"id": str(uuid.uuid4()), "grid_id": grid_id, "deputy_id": deputy_id, "plan_id": plan_id,
                    "started_at": now} for deputy_id in sorted(wanted[grid_id] - set(live[grid_id]))]
        events.append(("assignment.published", grid_id, {"grid_id": grid_id, "plan_id": plan_id, "deputies": [
            {"deputy_id": d, "kind": deputies[d].kind, "level": deputies[d].level} for d in sorted(wanted[grid_id])]}))
    return ended, opened, events
