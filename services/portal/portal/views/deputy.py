"""The deputies' workbench (代表工作台), on a phone: 我的网格, 接待日, 走访, 待我答复."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from wangge_common import clock

from .. import commands, queries
from ..clients import ServiceError
from ..domain import CHINA
from ..schemas import EndReceptionForm, MatterForm, ReplyForm, StartReceptionForm, VisitForm, options
from . import caller, registration, runtime, signed_in

deputy = Blueprint("deputy", __name__, url_prefix="/deputy")


def _assignments() -> list[dict]:
    found = runtime().services.get(caller(), "roster", "/v1/assignments", deputy_id=g.person.deputy_id,
                                   current="true", page_size=100)
    return found["items"] if isinstance(found, dict) else found


def _grid_choices() -> list[tuple[str, str]]:
    """The grids the deputy serves, and the grids under them (a matter is registered where it belongs)."""
    services, me = runtime().services, caller()
    choices = []
    for assignment in _assignments():
        choices.append((assignment["grid_id"], assignment["grid_name"]))
        children = services.get(me, "roster", "/v1/grids", parent_id=assignment["grid_id"], page_size=1000)
        for child in sorted(children["items"], key=lambda c: c["code"]):
            choices.append((child["id"], f"{assignment['grid_name']} · {child['name']}"))
    return choices


@deputy.get("")
@signed_in("deputy")
def home():
    """我的网格: each grid served, with its households, open cases, upcoming reception days and public notice."""
    services, me = runtime().services, caller()
    today = datetime.now(CHINA).date()
    grids = []
    for assignment in _assignments():
        gid = assignment["grid_id"]
        households = services.get(me, "intake", "/v1/households", grid_id=gid, page_size=1)["total"]
        cases = services.get(me, "routing", "/v1/cases", grid_id=gid, page_size=200)["items"]
        open_cases = [c for c in cases if c["state"] not in ("closed", "withdrawn")]
        days = services.get(me, "roster", "/v1/reception-days", grid_id=gid, page_size=5,
                            **{"from": today.isoformat(), "to": (today + timedelta(days=60)).isoformat()})
        grids.append({"id": gid, "name": assignment["grid_name"], "code": assignment["grid_code"],
                      "households": households, "open_cases": open_cases[:10], "open_total": len(open_cases),
                      "days": days["items"] if isinstance(days, dict) else days,
                      "notice": runtime().settings.page_url("roster", f"/v1/grids/{gid}/notice")})
    due = _replies_due()
    return render_template("deputy/home.html", grids=grids, due=due, duty_days=_duty_days())


def _duty_days(days: int = 60) -> list[dict]:
    """The published reception days this deputy is on duty for, wherever held (a grid or a liaison station), from
    today on."""
    if not g.person.deputy_id:
        return []
    today = datetime.now(CHINA).date()
    return runtime().services.get(caller(), "roster", "/v1/reception-days", deputy_id=g.person.deputy_id,
                                  page_size=50, **{"from": today.isoformat(),
                                                   "to": (today + timedelta(days=days)).isoformat()})["items"]


@deputy.get("/reception")
@signed_in("deputy")
def reception():
    """接待日: the one open reception session (with its matters), or the form to start one."""
    rt = runtime()
    with rt.db.sessions() as db:
        draft = queries.open_reception(db, g.person.id)
        matters = queries.registrations(db, draft.case_ids) if draft else []
    start = StartReceptionForm()
    served = [(a["grid_id"], a["grid_name"]) for a in _assignments()]
    start.grid_id.choices = options(served)
    end = EndReceptionForm(residents_received=str(len(matters)) if draft else None)
    return render_template("deputy/reception.html", draft=draft, matters=matters, start=start, end=end,
                           grid_names=dict(served), duty_days=[] if draft else _duty_days())


@deputy.post("/reception/start")
@signed_in("deputy")
def reception_start():
    form = StartReceptionForm()
    served = dict((a["grid_id"], a["grid_name"]) for a in _assignments())
    form.grid_id.choices = options(served.items())
    if not form.validate_on_submit() or form.grid_id.data not in served:
        flash("请选择您服务的网格后再开始接待。")
        return redirect(url_for("deputy.reception"))
    rt = runtime()
    with rt.db.transaction() as db:
        if queries.open_reception(db, g.person.id) is None:  # a second tap starts nothing new
            commands.start_reception(db, g.person.id, form.grid_id.data, form.reception_id.data or None)
    return redirect(url_for("deputy.reception"))


def _draft(draft_id: str):
    with runtime().db.sessions() as db:
        draft = queries.reception(db, draft_id)
    if draft is None or draft.account_id != g.person.id:
        abort(404)
    return draft


@deputy.route("/reception/<draft_id>/matter", methods=["GET", "POST"])
@signed_in("deputy")
def reception_matter(draft_id):
    """Register one resident's matter in the open session (station channel, the deputy as first receiver)."""
    draft = _draft(draft_id)
    if draft.ended_at is not None:
        flash("这次接待已结束。")
        return redirect(url_for("deputy.reception"))
    form = MatterForm()
    if request.method == "GET":
        form.grid_id.data = draft.grid_id
    form.topic.choices = options(registration.topic_choices())
    households = registration.prepare(form, _grid_choices())
    suggestions = []
    if request.method == "POST" and "lookup" not in request.form and form.validate_on_submit():
        suggestions = [] if form.confirmed.data else registration.similar(form)
        if not suggestions:
            case = registration.register(form, "station", {"kind": "deputy", "id": g.person.deputy_id})
            if case:
                with runtime().db.transaction() as db:
                    commands.add_to_reception(db.merge(draft), case["id"])
                flash(f"已登记，查询码 {case['tracking_code']}。")
                return redirect(url_for("deputy.reception"))
    status = 422 if request.method == "POST" and "lookup" not in request.form and (form.errors or suggestions) else 200
    return render_template("deputy/matter.html", form=form, households=households, suggestions=suggestions,
                           action=url_for("deputy.reception_matter", draft_id=draft_id), title="登记群众诉求",
                           back=url_for("deputy.reception")), status


@deputy.post("/reception/<draft_id>/end")
@signed_in("deputy")
def reception_end(draft_id):
    """End the session: it becomes intake's reception-session record, with its real duration."""
    draft = _draft(draft_id)
    form = EndReceptionForm()
    if draft.ended_at is not None:
        return redirect(url_for("deputy.reception"))
    if not form.validate_on_submit():
        with runtime().db.sessions() as db:
            matters = queries.registrations(db, draft.case_ids)
        start = StartReceptionForm()
        return render_template("deputy/reception.html", draft=draft, matters=matters, start=start, end=form,
                               grid_names={}), 422
    ended = datetime.now(timezone.utc)
    body = {"grid_id": draft.grid_id, "reception_id": draft.reception_id,
            "deputies": [{"deputy_id": g.person.deputy_id, "kind": "npc_deputy"}],
            "started_at": draft.started_at.isoformat(), "ended_at": ended.isoformat(),
            "residents_received": int(form.residents_received.data), "case_ids": list(draft.case_ids),
            "notes": form.notes.data or None}
    try:
        record = runtime().services.post(caller(), "intake", "/v1/reception-sessions", body,
                                         idempotency_key=f"reception-{draft.id}")
    except ServiceError as exc:
        if exc.status != 422:
            raise
        form.notes.errors = ["接待情况里不要写电话或身份证号" if any("notes" in e.get("field", "") for e in exc.errors)
                             else "提交有误，请检查"]
        with runtime().db.sessions() as db:
            matters = queries.registrations(db, draft.case_ids)
        return render_template("deputy/reception.html", draft=draft, matters=matters, start=StartReceptionForm(),
                               end=form, grid_names={}), 422
    with runtime().db.transaction() as db:
        commands.end_reception(db.merge(draft), record["id"], ended)
    flash(f"接待已结束：共 {record['minutes']} 分钟，登记 {len(draft.case_ids)} 件。"
          + ("" if record["meets_two_hours"] else "不足 2 小时。"))
    return redirect(url_for("deputy.reception"))


def _replies_due() -> list[dict]:
    services, me = runtime().services, caller()
    return services.get(me, "routing", "/v1/cases", first_receiver=g.person.deputy_id, state="answered",
                        page_size=100)["items"]


@deputy.get("/replies")
@signed_in("deputy")
def replies():
    """待我答复: cases this deputy received whose department answer must now be passed on (谁接待、谁答复)."""
    services, me = runtime().services, caller()
    now = datetime.now(timezone.utc)
    due = []
    for case in _replies_due():
        detail = services.get(me, "routing", f"/v1/cases/{case['case_id']}")
        answers = [o for o in detail["work_orders"] if o.get("summary")]
        due_at = clock.parse_time(case["reply_due_at"]) if case.get("reply_due_at") else None
        due.append({**case, "answers": answers, "overdue": bool(due_at and due_at < now)})
    return render_template("deputy/replies.html", due=due, form=ReplyForm())


@deputy.route("/replies/<uuid:case_id>", methods=["POST"])
@signed_in("deputy")
def reply(case_id):
    form = ReplyForm()
    if not form.validate_on_submit():
        flash("请选择答复方式并写明答复情况。")
        return redirect(url_for("deputy.replies"))
    runtime().services.post(caller(), "routing", f"/v1/cases/{case_id}/replies",
                            {"channel": form.channel.data, "reason": form.reason.data.strip()})
    flash("已记录答复。")
    return redirect(url_for("deputy.replies"))


def today() -> date:
    return datetime.now(CHINA).date()


@deputy.route("/visits", methods=["GET", "POST"])
@signed_in("deputy")
def visits():
    """走访: record a household visit (intake's visit); a matter raised becomes a case on the visit channel."""
    services, me = runtime().services, caller()
    form = VisitForm()
    grids = _grid_choices()
    form.grid_id.choices = options(grids)
    if request.method == "GET":
        _start_visit(form)
    _offer_households(form, services, me)
    submitted = request.method == "POST" and "lookup" not in request.form
    if submitted and form.validate_on_submit():
        done = _record_visit(form, services, me)
        if done:
            flash(done)
            return redirect(url_for("deputy.visits"))
    log = services.get(me, "intake", "/v1/visits", deputy_id=g.person.deputy_id, page_size=20)["items"]
    status = 422 if submitted and form.errors else 200
    return render_template("deputy/visits.html", form=form, log=log, grid_names=dict(grids)), status


def _start_visit(form: VisitForm) -> None:
    """A new visit: today, one resident reached, and the nonce that makes a double tap record it once."""
    form.visited_on.data = today().isoformat()
    form.residents_reached.data = "1"
    form.nonce.data = uuid.uuid4().hex


def _offer_households(form: VisitForm, services, me) -> None:
    """The households found by the address typed (in the grid chosen), beside those already chosen."""
    households = []
    if (form.household_query.data or "").strip():
        households = services.get(me, "intake", "/v1/households", address=form.household_query.data.strip(),
                                  grid_id=form.grid_id.data or None, page_size=20)["items"]
    chosen = list(form.household_ids.data or [])
    found = {h["id"] for h in households}
    form.household_ids.choices = options([(h["id"], h["address"]) for h in households]
                                         + [(h, "已选户档案") for h in chosen if h not in found])


def _record_visit(form, services, me) -> str | None:
    case_ids = []
    try:
        if form.category.data:
            case = services.post(me, "intake", "/v1/cases", {
                "channel": "visit", "grid_id": form.grid_id.data, "category": form.category.data,
                "content": form.content.data.strip(), "reporter": None,
                "household_id": (form.household_ids.data or [None])[0],
                "received_by": {"kind": "deputy", "id": g.person.deputy_id}},
                idempotency_key=f"visit-case-{form.nonce.data}")
            case_ids.append(case["id"])
            with runtime().db.transaction() as db:
                commands.remember_registration(db, g.person.id, case)
        visit = services.post(me, "intake", "/v1/visits", {
            "deputy_id": g.person.deputy_id, "grid_id": form.grid_id.data, "visited_on": form.visited_on.data,
            "kind": form.kind.data, "household_ids": list(form.household_ids.data or []),
            "residents_reached": int(form.residents_reached.data), "case_ids": case_ids,
            "notes": (form.notes.data or "").strip() or None}, idempotency_key=f"visit-{form.nonce.data}")
    except ServiceError as exc:
        if exc.status != 422:
            raise
        for error in exc.errors:
            name = error.get("field", "")
            field = {"visited_on": form.visited_on, "notes": form.notes, "household_id": form.household_ids,
                     "household_ids": form.household_ids, "content": form.content}.get(name.split(".")[0], form.notes)
            reason = {"visited_on": "走访日期不能晚于今天", "notes": "民情日志里不要写电话或身份证号"}.get(
                name.split(".")[0], "填写有误，请检查")
            field.errors = [*field.errors, reason]
        return None
    return f"已记录 {visit['visited_on']} 的走访" + (f"，登记诉求 {case['tracking_code']}。" if case_ids else "。")
