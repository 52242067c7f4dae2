"""派驻方案: the township's assignment plans. The staff (or the approver) drafts one with roster's planner, sees its
violations and warnings, edits it grid by grid and submits it; a person with the approver's role who neither drafted
nor submitted it approves and publishes it;
anyone of the township prints the 公示 (A4). Roster records each step as the person who took it and refuses a
person approving a plan they drafted or submitted (403), which the page says in Chinese."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .. import queries
from ..clients import ServiceError
from ..domain import ROLE_LABELS, TOWNSHIP_ROLES
from ..roster_forms import DraftPlanForm, PlanGridForm, PlanStepForm
from . import caller, runtime, signed_in
from .roster_desk import township_grids, township_id

roster_plans = Blueprint("roster_plans", __name__, url_prefix="/desk/plans")
STEPS = {"submit": (TOWNSHIP_ROLES, "已提交审定。"), "approve": (("township_approver",), "已审定通过。"),
         "publish": (("township_approver",), "已公布，网格公示已更新。")}
REFUSED = {
    403: "不能审定自己起草或提交的方案：须由另一位有审定权限的人员审定。",
    409: "方案的状态已经变化（或名册已变化），这一步不能进行；请刷新后查看。",
    422: "方案还有不符合硬性规则的问题（见下方“问题”），不能提交或审定；请先逐个网格调整。",
}
MAX_PER_GRID = 10


def _plan(plan_id) -> dict:
    plan = runtime().services.get(caller(), "roster", f"/v1/assignment-plans/{plan_id}")
    if plan.get("scope_grid_id") != township_id():
        abort(404)  # not a plan of this township
    return plan


def people(*actors) -> dict:
    """person:<account id> → "name（role）" from the portal's own accounts; other actors as they are."""
    named = {}
    with runtime().db.sessions() as db:
        for who in {a for a in actors if a}:
            account = queries.account(db, who.split(":", 1)[1]) if who.startswith("person:") else None
            named[who] = f"{account.display_name}（{ROLE_LABELS[account.role]}）" if account else (
                "系统接口" if who.startswith("apikey:") else who)
    return named


@roster_plans.route("", methods=["GET", "POST"])
@signed_in(*TOWNSHIP_ROLES)
def plans():
    form = DraftPlanForm()
    if request.method == "POST":
        if form.validate_on_submit():
            rules = {"max_load": int(form.max_load.data), "max_per_grid": int(form.max_per_grid.data),
                     "pair_party_delegates": bool(form.pair_party_delegates.data)}
            try:
                made = runtime().services.post(caller(), "roster", "/v1/assignment-plans",
                                               {"scope_grid_id": township_id(), "rules": rules})
                flash("已生成方案草稿。" if made["feasible"] else "已生成方案草稿，但有不符合硬性规则的问题，请逐个网格调整。")
                return redirect(url_for("roster_plans.plan", plan_id=made["id"]))
            except ServiceError as exc:
                flash(REFUSED.get(exc.status, "未能生成方案，请稍后再试。"))
    found = runtime().services.get(caller(), "roster", "/v1/assignment-plans", scope_grid_id=township_id(),
                                   page_size=50)["items"]
    names = people(*(p.get(k) for p in found for k in ("created_by", "approved_by", "published_by")))
    return render_template("roster_desk/plans.html", plans=found, form=form, names=names,
                           can_draft=True), 422 if form.errors else 200


def _candidates() -> list[dict]:
    """The township's serving deputies, for a grid's hand edit."""
    found = runtime().services.get(caller(), "roster", "/v1/deputies", under=township_id(), status="serving",
                                   page_size=1000)["items"]
    return sorted(found, key=lambda d: (d["kind"], d["level"] != "township", d["name"]))


@roster_plans.get("/<uuid:plan_id>")
@signed_in(*TOWNSHIP_ROLES)
def plan(plan_id):
    return _page(plan_id)


def _page(plan_id, refusal: str | None = None, status: int = 200):
    current = _plan(plan_id)
    grids = {x["id"]: x for x in township_grids()}
    editable = current["status"] == "draft"
    by_grid = {x["grid_id"]: x for x in current.get("grids", [])}
    bottom = sorted((x for x in grids.values() if not any(c["parent_id"] == x["id"] for c in grids.values())),
                    key=lambda x: x["code"])
    names = people(current["created_by"], current.get("submitted_by"), current.get("approved_by"),
                   current.get("published_by"))
    candidates = _candidates()
    return render_template("roster_desk/plan.html", plan=current, bottom=bottom, by_grid=by_grid, grids=grids,
                           editable=editable, candidates=candidates, names=names,
                           deputy_names={d["id"]: d["name"] for d in candidates},
                           step_form=PlanStepForm(), grid_form=PlanGridForm(), refusal=refusal), status


@roster_plans.post("/<uuid:plan_id>/grids")
@signed_in(*TOWNSHIP_ROLES)
def edit_grid(plan_id):
    form = PlanGridForm()
    chosen = list(dict.fromkeys(request.form.getlist("deputy_ids")))
    if not form.validate_on_submit():
        abort(400)
    if len(chosen) > MAX_PER_GRID:
        flash(f"一个网格最多选 {MAX_PER_GRID} 名代表。")
    else:
        try:
            runtime().services.call(caller(), "PUT", "roster",
                                    f"/v1/assignment-plans/{plan_id}/grids/{form.grid_id.data}",
                                    json={"deputy_ids": chosen})
            flash("已调整该网格的代表，方案已重新检查。")
        except ServiceError as exc:
            flash(REFUSED.get(exc.status, "未能调整，请稍后再试。"))
    return redirect(url_for("roster_plans.plan", plan_id=plan_id) + f"#g-{form.grid_id.data}")


@roster_plans.post("/<uuid:plan_id>/<any(submit, approve, publish):step>")
@signed_in(*TOWNSHIP_ROLES)
def take_step(plan_id, step):
    roles, done = STEPS[step]
    if g.person.role not in roles or not PlanStepForm().validate_on_submit():
        abort(403)
    _plan(plan_id)
    try:
        runtime().services.post(caller(), "roster", f"/v1/assignment-plans/{plan_id}/{step}", {})
        flash(done)
        return redirect(url_for("roster_plans.plan", plan_id=plan_id))
    except ServiceError as exc:
        return _page(plan_id, REFUSED.get(exc.status, "这一步未能完成，请稍后再试。"), exc.status)


@roster_plans.get("/<uuid:plan_id>/notice")
@signed_in(*TOWNSHIP_ROLES)
def notice(plan_id):
    """The plan's 公示, printable on A4: every grid of the township with its deputies."""
    current = _plan(plan_id)
    if current["status"] not in ("approved", "published"):
        flash("方案审定后才能打印公示。")
        return redirect(url_for("roster_plans.plan", plan_id=plan_id))
    grids = {x["id"]: x for x in township_grids()}
    names = people(current.get("approved_by"), current.get("published_by"))
    return render_template("roster_desk/notice.html", plan=current, grids=grids, township=grids.get(township_id()),
                           names=names)
