"""民生微实事: a deputy proposes a micro livelihood project from the cases they collected; the township congress
reviews it and records its progress and result; the city decides the funding; everyone who may read cases follows
it. Every step goes through routing with the signed-in person's token."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from wangge_common.contracts.labels import label

from ..clients import ServiceError
from ..project_forms import SERVICE_REASONS, CompleteForm, FundingForm, ProgressForm, ProposeForm, ReviewForm
from ..schemas import options
from . import caller, runtime, signed_in
from .deputy import _grid_choices
from .roster_plans import people
from .worklist import grid_name

projects = Blueprint("projects", __name__, url_prefix="/projects")
READERS = ("deputy", "township_staff", "township_approver", "city_funder", "supervisor", "auditor")
STEPS = {  # step -> (form, role allowed, states it applies to, routing action, success message)
    "review": (ReviewForm, "township_staff", ("proposed",), "review", "已记录审核意见。"),
    "funding": (FundingForm, "city_funder", ("township_approved",), "funding", "已记录资金审批。"),
    "progress": (ProgressForm, "township_staff", ("funded", "in_progress"), "progress", "已记录进展。"),
    "complete": (CompleteForm, "township_staff", ("funded", "in_progress"), "complete",
                 "已登记结果：结果在网格公示栏公开，并请诉求群众评价。"),
}
ACTIONS = {"propose": "提出", "review:approved": "乡镇审核同意", "review:refused": "乡镇审核不同意",
           "funding:funded": "同意拨款", "funding:refused": "不予拨款", "progress": "进展", "complete": "完成"}


def _place(form, exc: ServiceError) -> None:
    """Routing's refusal beside the field it names, in Chinese; otherwise a message on top."""
    placed = False
    if exc.status == 422:
        for error in exc.errors:
            name = str(error.get("field", "")).split(".")[0]
            field = getattr(form, name, None)
            if field is not None:
                reason = SERVICE_REASONS.get(name)
                if name == "case_ids":
                    reason = "所选诉求不在该网格，或已纳入其他项目"
                field.errors = [*field.errors, reason or "未被接受，请检查填写的内容"]
                placed = True
    if not placed:
        flash({409: "项目当前状态不能进行这一步（可能已由他人处理），请刷新后再看。",
               403: "这个项目不在您的管辖范围内。"}.get(exc.status, "未保存，请稍后再试。"))


@projects.get("")
@signed_in(*READERS)
def index():
    """The projects the person may see, by state; the city sees those awaiting its funding first."""
    state = request.args.get("state") or ("township_approved" if g.person.role == "city_funder" else None)
    params = {"page_size": 100, "state": state}
    if g.person.role == "deputy":
        params["deputy_id"] = g.person.deputy_id
    found = runtime().services.get(caller(), "routing", "/v1/projects", **params)
    return render_template("projects/index.html", found=found, state=state)


def _case_choices() -> list[tuple[str, str]]:
    """The cases this deputy received or answers for (首问责任), newest first."""
    found = runtime().services.get(caller(), "routing", "/v1/cases", first_receiver=g.person.deputy_id,
                                   page_size=200)
    return [(c["case_id"], " · ".join((c.get("tracking_code") or "—",
                                       label("topic", c.get("topic")) or label("category", c["category"]),
                                       grid_name(c["grid_id"]), label("case_state", c["state"]))))
            for c in found["items"]]


@projects.route("/new", methods=["GET", "POST"])
@signed_in("deputy")
def propose():
    form = ProposeForm()
    form.grid_id.choices = options(_grid_choices())
    form.case_ids.choices = options(_case_choices())
    if request.method == "POST" and form.validate_on_submit():
        body = {"grid_id": form.grid_id.data, "deputy_id": g.person.deputy_id, "title": form.title.data.strip(),
                "description": form.description.data.strip(), "budget_yuan": int(form.budget_yuan.data),
                "case_ids": list(form.case_ids.data)}
        try:
            made = runtime().services.post(caller(), "routing", "/v1/projects", body)
        except ServiceError as exc:
            _place(form, exc)
        else:
            flash(f"已提出民生微实事（编号 {made['code']}），等待乡镇人大审核。")
            return redirect(url_for("projects.show", project_id=made["project_id"]))
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template("projects/new.html", form=form), status


def _forms(project: dict, submitted: tuple[str, object] | None = None) -> dict:
    forms = {}
    for step, (form_class, role, states, _, _) in STEPS.items():
        if g.person.role == role and project["state"] in states:
            forms[step] = form_class(formdata=None)
    if submitted:  # what was typed stays, with its reasons, even when the project moved on meanwhile
        forms[submitted[0]] = submitted[1]
    return forms


@projects.get("/<uuid:project_id>")
@signed_in(*READERS)
def show(project_id, submitted=None, status=200):
    try:
        project = runtime().services.get(caller(), "routing", f"/v1/projects/{project_id}")
    except ServiceError as exc:
        if exc.status in (403, 404):
            abort(exc.status)
        raise
    names = people(*(s.get("actor") for s in project["steps"]))
    return render_template("projects/show.html", p=project, forms=_forms(project, submitted), actions=ACTIONS,
                           names=names), status


@projects.post("/<uuid:project_id>/<step>")
@signed_in("township_staff", "city_funder")
def act(project_id, step):
    if step not in STEPS:
        abort(404)
    form_class, role, _, action, done = STEPS[step]
    if g.person.role != role:
        abort(403)
    form = form_class()
    if form.validate_on_submit():
        body = {name: field.data.strip() if isinstance(field.data, str) else field.data
                for name, field in form._fields.items() if name != "csrf_token"}
        for number in ("percent", "amount_yuan"):
            if number in body:
                body[number] = int(body[number]) if body[number] else None
        try:
            runtime().services.post(caller(), "routing", f"/v1/projects/{project_id}/{action}", body)
        except ServiceError as exc:
            _place(form, exc)
        else:
            flash(done)
            return redirect(url_for("projects.show", project_id=project_id))
    return show(project_id, submitted=(step, form), status=422)
