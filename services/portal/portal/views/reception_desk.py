"""接待安排 on the township desk: set up a reception schedule at one of the township's grids and change one (its
place, hours and duty rota for the days it publishes from now on), through roster's reception-schedule API with the
staff member's token. Roster's refusals are put beside the fields they name, in Chinese; nothing typed is lost."""
from __future__ import annotations


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from wangge_common import clock
from wangge_common.contracts.labels import label

from ..clients import ServiceError
from ..desk_forms import DayChangeForm, ScheduleChangeForm, ScheduleForm
from ..schemas import options
from . import caller, runtime, signed_in
from .roster_desk import township_grids, township_id, township_stations

reception_desk = Blueprint("reception_desk", __name__, url_prefix="/desk/township/receptions")

# roster's field names -> the form's
FIELDS = {"grid_id": "grid_id", "station_id": "grid_id", "place": "place", "pattern": "pattern",
          "month_days": "month_days", "weekday": "weekday", "start_time": "start_time", "end_time": "end_time",
          "rota": "deputies", "two_representatives": "deputies", "weeks": "weeks", "deputy_ids": "deputies",
          "day": "day", "reason": "reason"}
# roster's 409 on a day, by what its detail says
DAY_CONFLICTS = (("days away", "接待日须至少提前 3 天公布：距今不足 3 天的接待日（原日期或新日期）不能再调整。"),
                 ("already has a reception", "这个接待制度在新日期已有接待日，请直接调整那一天。"),
                 ("was cancelled", "这次接待已取消，不能再调整；需要时请新建接待制度。"))
REFUSALS = {403: "不在您所辖乡镇的范围内，不能设置或修改。", 404: "名册中已没有这个接待制度。",
            409: "同样的接待制度（地点、日期、时间）已经设置过：请修改已有的那一个。"}


def _reason(field: str, reason: str) -> str:
    """Roster's reason (English, for integrators) said in Chinese for the person at the desk."""
    text = reason.lower()
    if field == "deputies":
        if "not serving" in text:
            return "所选代表中有人不在任，请重新选择"
        if "party" in text or "两代表" in reason:
            return "两代表同时接待须有一名党代表值班"
        if "people's-congress" in text or "人大代表" in reason:
            return "值班代表中至少要有一名人大代表"
        if "no deputy" in text:
            return "名册中没有所选的代表，请刷新页面后重新选择"
        return "值班代表有误，请重新选择"
    return {"end_time": "每次接待至少 2 小时，结束时间须比开始时间晚 2 小时以上",
            "start_time": "时间格式如 09:00",
            "weekday": "每周接待请选择星期几",
            "month_days": "请填写 1 至 31 之间的日期，最多 4 个，如：10、25",
            "grid_id": "请选择本乡镇的网格或联络站",
            "day": "日期格式如 2026-12-05",
            "reason": "请写明调整原因（2 至 500 字）",
            "place": "接待地点不超过 200 字"}.get(field, "名册服务未接受此项，请检查填写的内容")


def _refused(form, exc: ServiceError, conflict: str | None = None) -> None:
    if exc.status not in (403, 404, 409, 422):
        raise exc
    placed = False
    for error in exc.errors if exc.status == 422 else []:
        name = FIELDS.get(str(error.get("field", "")).split(".")[0])
        if name and hasattr(form, name):
            reason = _reason(name, str(error.get("reason", "")))
            field = getattr(form, name)
            if reason not in field.errors:
                field.errors = [*field.errors, reason]
            placed = True
    if not placed:
        said = conflict if exc.status == 409 and conflict else REFUSALS.get(exc.status, "名册服务未接受，请检查后再提交。")
        form.form_errors = [*form.form_errors, said]


def _deputy_choices() -> list[tuple[str, str]]:
    """The township's serving deputies and party delegates, by name."""
    found = runtime().services.get(caller(), "roster", "/v1/deputies", under=township_id(), page_size=500)["items"]
    return [(d["id"], f"{d['name']}（{label('deputy_kind', d.get('kind')) or '代表'}）")
            for d in sorted(found, key=lambda d: d["name"]) if d.get("status", "serving") == "serving"]


def _page(form, title: str, rule: dict | None, deputies: list[tuple[str, str]], grid: str | None = None):
    status = 422 if request.method == "POST" else 200
    return render_template("township/schedule.html", form=form, title=title, rule=rule, grid=grid,
                           deputies=deputies), status


@reception_desk.route("/new", methods=["GET", "POST"])
@signed_in("township_staff")
def new():
    """Set up a schedule at a grid or a liaison station of the township; roster publishes its days for the weeks
    chosen."""
    form = ScheduleForm()
    places = [(x["id"], x["name"]) for x in township_grids()] + [
        (f"station:{s['id']}", f"联络站 · {s['name']}") for s in township_stations()]
    form.grid_id.choices = options([("", "请选择")] + places)
    deputies = _deputy_choices()
    form.deputies.choices = options(deputies)
    if request.method == "GET" and request.args.get("grid") in dict(places):
        form.grid_id.data = request.args["grid"]
    if request.method == "POST" and form.validate_on_submit():
        if form.grid_id.data not in dict(places):
            form.grid_id.errors = ["请选择本乡镇的网格或联络站"]
        elif _created(form):
            return redirect(url_for("township.receptions"))
    return _page(form, "新建接待制度", None, deputies)


def _created(form: ScheduleForm) -> bool:
    """Roster sets the schedule up and publishes its days; False with roster's reasons on the form if it refuses."""
    grid, _, station = form.grid_id.data.partition("station:")  # "station:<id>" or a grid id
    body = {"station_id": station} if station else {"grid_id": grid}
    body |= {"place": (form.place.data or "").strip() or None,
            "pattern": form.pattern.data, "start_time": form.start_time.data, "end_time": form.end_time.data,
            "rota": form.rota(), "two_representatives": bool(form.two_representatives.data),
            "weeks": int(form.weeks.data)}
    if form.pattern.data == "monthly":
        body["month_days"] = form.days_of_month()
    else:
        body["weekday"] = int(form.weekday.data)
    try:
        rule = runtime().services.post(caller(), "roster", "/v1/reception-schedules", body)
    except ServiceError as exc:
        _refused(form, exc)
        return False
    flash(f"已设置接待制度：{rule['description']}，已公布 {len(rule.get('published', []))} 个接待日。"
          + (f"{len(rule['skipped'])} 天未能公布（如当月没有该日期）。" if rule.get("skipped") else ""))
    return True


@reception_desk.route("/<uuid:rule_id>", methods=["GET", "POST"])
@signed_in("township_staff")
def edit(rule_id):
    """Change a schedule's place, hours or rota for the days it publishes from now on; days already published stay
    as they are (roster's rule)."""
    services, me = runtime().services, caller()
    rule = services.get(me, "roster", f"/v1/reception-schedules/{rule_id}")
    place = _place_name(rule)  # 403 for a place outside the township
    deputies = _deputy_choices()
    form = ScheduleChangeForm()
    on_rota = list(dict.fromkeys(d for team in rule["rota"] for d in team))
    names = dict(deputies)
    form.deputies.choices = options(deputies + [(d, "（已不在任的代表）") for d in on_rota if d not in names])
    if request.method == "GET":
        _fill(form, rule, on_rota)
    if request.method == "POST" and form.validate_on_submit() and _changed(form, rule):
        return redirect(url_for("township.receptions"))
    return _page(form, "修改接待制度", rule, deputies, place)


def _place_name(held: dict) -> str:
    """The name of the grid or liaison station a schedule or day is held at; 403 unless it is in the township (one
    of its grids, or a station serving them: roster checks the same on every change)."""
    if held.get("grid_id"):
        name = next((x["name"] for x in township_grids() if x["id"] == held["grid_id"]), None)
    else:
        name = next((s["name"] for s in township_stations() if s["id"] == held.get("station_id")), None)
    if name is None:
        abort(403)
    return name


def _fill(form: ScheduleChangeForm, rule: dict, on_rota: list[str]) -> None:
    form.place.data, form.start_time.data, form.end_time.data = rule["place"], rule["start_time"], rule["end_time"]
    form.deputies.data = on_rota
    one_each = len(rule["rota"]) > 1 and all(len(team) == 1 for team in rule["rota"])
    form.rotation.data = "rotate" if one_each else "together"
    form.two_representatives.data = rule["two_representatives"]


def _changed(form: ScheduleChangeForm, rule: dict) -> bool:
    """Roster's PATCH with what differs; False with roster's reasons on the form if it refuses."""
    wanted = {"place": (form.place.data or "").strip() or rule["place"], "start_time": form.start_time.data,
              "end_time": form.end_time.data, "rota": form.rota(),
              "two_representatives": bool(form.two_representatives.data)}
    changes = {k: v for k, v in wanted.items() if v != rule[k]}
    if not changes:
        flash("没有改动。")
        return True
    try:
        runtime().services.call(caller(), "PATCH", "roster", f"/v1/reception-schedules/{rule['id']}", json=changes)
    except ServiceError as exc:
        _refused(form, exc)
        return False
    flash("已保存：今后公布的接待日按新的安排；已公布的接待日不变，需要时请逐日调整。")
    return True


@reception_desk.route("/days/<uuid:reception_id>", methods=["GET", "POST"])
@signed_in("township_staff")
def day(reception_id):
    """Change or cancel one published reception day (at least three days ahead), with the reason the notice shows."""
    services, me = runtime().services, caller()
    found = services.get(me, "roster", f"/v1/reception-days/{reception_id}")
    place = _place_name(found)  # 403 for a place outside the township
    deputies = _deputy_choices()
    names = dict(deputies)
    form = DayChangeForm()
    form.deputies.choices = options(deputies + [(d, "（已不在任的代表）") for d in found["deputy_ids"] if d not in names])
    current = _day_now(found)
    if request.method == "GET":
        form.day.data, form.start_time.data, form.end_time.data = current["day"], current["start_time"], \
            current["end_time"]
        form.place.data, form.deputies.data = found["place"], list(found["deputy_ids"])
    if request.method == "POST" and form.validate_on_submit() and _day_changed(form, found, current):
        return redirect(url_for("township.receptions"))
    status = 422 if request.method == "POST" else 200
    return render_template("township/day.html", form=form, reception=found, current=current, grid=place,
                           deputies=deputies), status


def _day_now(found: dict) -> dict:
    starts, ends = clock.local(found["starts_at"]), clock.local(found["ends_at"])
    return {"day": str(found["day"]), "start_time": starts.strftime("%H:%M"), "end_time": ends.strftime("%H:%M")}


def _day_changed(form: DayChangeForm, found: dict, current: dict) -> bool:
    """Roster's PATCH of the day with what differs and the reason; False with its refusal on the form."""
    wanted = {"day": form.day.data, "start_time": form.start_time.data, "end_time": form.end_time.data,
              "place": form.place.data.strip(), "deputy_ids": list(dict.fromkeys(form.deputies.data))}
    was = {**current, "place": found["place"], "deputy_ids": list(found["deputy_ids"])}
    changes = {k: v for k, v in wanted.items() if v != was[k]}
    if form.cancel.data:
        changes["cancel"] = True
    if not changes:
        form.form_errors = [*form.form_errors, "没有改动：请修改日期、时间、地点或值班代表，或勾选“取消这次接待”。"]
        return False
    try:
        runtime().services.call(caller(), "PATCH", "roster", f"/v1/reception-days/{found['id']}",
                                json={**changes, "reason": form.reason.data.strip()})
    except ServiceError as exc:
        _refused(form, exc, next((zh for key, zh in DAY_CONFLICTS if key in (exc.detail or "")), None))
        return False
    flash("已取消这次接待，公示将写明原因。" if form.cancel.data else "已调整这次接待，公示将写明原因。")
    return True
