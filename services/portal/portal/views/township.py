"""The township congress staff desk (乡镇人大工作台), scoped to the staff's township by their token's grids:
待分办 (manual triage and the major-issue procedure), 督办 (overdue and supervised orders, extension requests),
回访 (ratings taken by phone) and 接待安排 (reception schedules and days)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..clients import ServiceError
from ..desk_forms import ExtensionDecisionForm, ForwardForm, ReturnVisitForm, SuperviseForm, TriageForm
from ..domain import CHINA
from . import caller, runtime, signed_in
from .roster_desk import township_id, township_stations
from .worklist import case_context, grid_name, order_action, refusal, with_choices

township = Blueprint("township", __name__, url_prefix="/desk/township")
PAGE = 30


def _page() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 10000)) if raw.isdigit() else 1


def _cases(**params) -> dict:
    # a dict, not keywords: routing's `path` filter would collide with the request path's argument
    found = runtime().services.call(caller(), "GET", "routing", "/v1/cases", params={"page_size": PAGE, **params})
    for case in found["items"]:
        case["grid_name"] = grid_name(case["grid_id"])
    return found


def _orders(**params) -> dict:
    return runtime().services.get(caller(), "routing", "/v1/work-orders", sort="due", open="true", page_size=PAGE,
                                  **params)


@township.get("/triage")
@signed_in("township_staff")
def triage_queue():
    """待分办: cases no catalogue line could route (or that every matching department returned), and the cases in
    the major-issue procedure (网格重大问题处理流程)."""
    page = _page()
    return render_template("township/triage.html", manual=_cases(queue="manual", page=page),
                           major=_cases(path="major_issue", open="true"), page=page)


@township.post("/cases/<uuid:case_id>/triage")
@signed_in("township_staff")
def triage(case_id):
    case_id = str(case_id)
    context = case_context(case_id)
    if "triage" not in context["forms"]:
        flash("这件诉求已由部门签收办理，不能再分办。")
        return redirect(url_for("worklist.case_page", case_id=case_id))
    form = with_choices(TriageForm(), context)
    if form.validate_on_submit():
        try:
            _send_triage(case_id, form, context)
            flash("已分办。")
            return redirect(url_for("worklist.case_page", case_id=case_id))
        except ServiceError as exc:
            refusal(exc, form, {"departments": "department", "state": "path", "convenor_deputy_id": "deputy",
                                "deputy_id": "deputy", "mediators": "mediators", "summary": "summary"})
    context["forms"]["triage"] = form
    return render_template("desks/case.html", **context), 422


def _send_triage(case_id: str, form: TriageForm, context: dict) -> None:
    services, me, path = runtime().services, caller(), form.path.data
    names = {d["code"]: d["name"] for d in context["departments"]}
    reason = form.reason.data.strip()
    if path == "on_the_spot":
        services.post(me, "routing", f"/v1/cases/{case_id}/on-the-spot-answer",
                      {"deputy_id": form.deputy.data, "summary": form.summary.data.strip(), "reason": reason})
        return
    body = {"path": path, "reason": reason}
    if path in ("town", "county"):
        body["departments"] = [{"code": form.department.data, "name": names.get(form.department.data, "")}]
    elif path == "joint_mediation":
        members = [m for m in form.members.data if m != form.lead.data]
        body["departments"] = ([{"code": form.lead.data, "name": names.get(form.lead.data, ""), "role": "lead"}]
                               + [{"code": m, "name": names.get(m, ""), "role": "member"} for m in members])
        body["mediators"] = form.mediator_names()
        body["convenor_deputy_id"] = form.deputy.data
    services.post(me, "routing", f"/v1/cases/{case_id}/triage", body)


@township.get("/supervision")
@signed_in("township_staff")
def supervision():
    """督办: overdue orders, orders under 督办 or 提级督办, and extension requests waiting for a decision."""
    return render_template("township/supervision.html", overdue=_orders(overdue="true", page=_page()),
                           forward=_orders(awaiting_forward="true"),
                           township=_orders(supervision="township"), county=_orders(supervision="county"),
                           extensions=_orders(extension_pending="true"))


@township.post("/orders/<uuid:order_id>/supervise")
@signed_in("township_staff")
def supervise(order_id):
    form = SuperviseForm(prefix="supervise")
    return order_action(str(order_id), "supervise", form, "supervise", lambda f: {
        "step": f.step.data, "reason": f.reason.data.strip()}, "已记录。", {"step": "step", "reason": "reason"})


@township.post("/orders/<uuid:order_id>/forward")
@signed_in("township_staff")
def forward(order_id):
    """转办: a county matter leaves the township congress for the county department, with the staff's note."""
    form = ForwardForm(prefix="forward")
    return order_action(str(order_id), "forward", form, "forward", lambda f: {"reason": f.reason.data.strip()},
                       "已转办县职能部门。", {"reason": "reason"})


@township.post("/orders/<uuid:order_id>/extension")
@signed_in("township_staff")
def decide_extension(order_id):
    form = ExtensionDecisionForm(prefix="decide")
    return order_action(str(order_id), "extension-decision", form, "decide", lambda f: {
        "approved": f.decision.data == "approve", "reason": f.reason.data.strip()}, "已审批延期申请。",
        {"approved": "decision", "reason": "reason"})


@township.get("/return-visits")
@signed_in("township_staff")
def return_visits():
    """回访: cases whose answer the resident has and whose rating is still missing; staff phone and record it."""
    return render_template("township/return_visits.html", waiting=_cases(state="resolved", page=_page()))


@township.post("/cases/<uuid:case_id>/rating")
@signed_in("township_staff")
def rate(case_id):
    case_id, form = str(case_id), ReturnVisitForm()
    if form.validate_on_submit():
        try:
            note = (form.comment.data or "").strip() or None
            runtime().services.post(caller(), "routing", f"/v1/cases/{case_id}/ratings", {
                "rating": form.rating.data, "via": "return_visit", "comment": note})
            flash("已记录回访评价。" + ("群众不满意，已发回重办。" if form.rating.data == "unsatisfied" else ""))
            return redirect(url_for("township.return_visits"))
        except ServiceError as exc:
            refusal(exc, form, {"rating": "rating", "comment": "comment", "state": "rating"})
    return render_template("desks/case.html", **case_context(case_id, {"visit": form})), 422


@township.get("/receptions")
@signed_in("township_staff")
def receptions():
    """接待安排: the township's reception schedules and the days they publish (the next eight weeks), each grid
    with its public notice (公示) that shows them."""
    services, me, settings = runtime().services, caller(), runtime().settings
    township = township_id()
    schedules = services.get(me, "roster", "/v1/reception-schedules", under=township, page_size=1000)["items"]
    today = datetime.now(CHINA).date()
    days = services.get(me, "roster", "/v1/reception-days", under=township, page_size=1000, **{
        "from": today.isoformat(), "to": (today + timedelta(weeks=8)).isoformat()})["items"]
    stations = {s["id"]: s["name"] for s in township_stations()}
    names = {x["grid_id"]: grid_name(x["grid_id"]) for x in schedules + days if x.get("grid_id")}
    names.update({x["station_id"]: stations.get(x["station_id"], "联络站") for x in schedules + days
                  if x.get("station_id")})
    deputies = _deputy_names({d for day in days for d in day["deputy_ids"]})
    # a grid's notice (roster) lists its reception days; a station's board (notify) lists the station's
    notices = {place: settings.page_url("notify", f"/board/stations/{place}") if place in stations
               else settings.page_url("roster", f"/v1/grids/{place}/notice") for place in names}
    return render_template("township/receptions.html", schedules=schedules, days=days, names=names,
                           deputies=deputies, notices=notices, person=g.person)


def _deputy_names(ids: set[str]) -> dict[str, str]:
    services, me, names = runtime().services, caller(), {}
    for deputy_id in ids:
        try:
            names[deputy_id] = services.get(me, "roster", f"/v1/deputies/{deputy_id}")["name"]
        except ServiceError:
            names[deputy_id] = "（代表）"
    return names
