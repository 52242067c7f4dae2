"""名册: the township staff's grids, deputies and stations — list, search, edit, and import from XLSX/CSV with a
preview of every row's problems (roster's dry run) before anything is written. Read and written through roster's
API with the person's token, so roster itself keeps the staff to their township."""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ..clients import ServiceError
from ..roster_forms import ConfirmImportForm, DeputyForm, GridForm, ImportForm, SearchForm, StationForm
from ..schemas import options
from . import caller, runtime, signed_in

roster_desk = Blueprint("roster_desk", __name__, url_prefix="/desk/roster")
TABS = {"grids": "网格", "deputies": "代表", "stations": "联络站"}
STASH_HOURS = 2  # an upload waits this long for its confirmation
UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}$")
# What the page says when roster refuses a change (its own reasons are for integrators).
REFUSALS = {403: "不在您所辖乡镇的范围内，不能修改。", 409: "与名册中已有的记录冲突（如编码、外部编号或手机号已被使用），未保存。",
            404: "名册中已没有这条记录。"}


def township_id() -> str:
    return g.person.grid_id


def _roster(path: str, **params):
    return runtime().services.get(caller(), "roster", path, **params)


def township_stations() -> list[dict]:
    """The liaison stations serving the township's grids (its 联络站 and its communities' 联络点), by name."""
    return sorted(_roster("/v1/stations", under=township_id(), page_size=1000)["items"], key=lambda s: s["name"])


def township_grids() -> list[dict]:
    """Every grid of the township (the township, its villages, their groups), sorted by code."""
    return sorted(_roster("/v1/grids", under=township_id(), page_size=1000)["items"], key=lambda x: x["code"])


def grid_names(grids: list[dict]) -> dict:
    return {x["id"]: x["name"] for x in grids}


@roster_desk.get("")
@signed_in("township_staff")
def roster():
    tab = request.args.get("tab", "grids")
    if tab not in TABS:
        abort(404)
    search = SearchForm(request.args)
    q = search.q.data.strip() if search.validate() and search.q.data and search.q.data.strip() else None
    found = _roster(f"/v1/{tab}", under=township_id(), q=q, page_size=500)
    grids = township_grids()
    return render_template("roster_desk/roster.html", tab=tab, tabs=TABS, items=found["items"],
                           total=found["total"], search=search, names=grid_names(grids))


def _field_errors(form, exc: ServiceError) -> None:
    """Put roster's refusal beside the field it names, in Chinese; the rest goes on top of the form."""
    placed = False
    for error in exc.errors:
        field = getattr(form, str(error.get("field", "")).split(".")[0], None)
        if field is not None and exc.status == 422:
            field.errors = [*field.errors, "名册服务未接受此项，请检查填写的内容"]
            placed = True
    if not placed:
        flash(REFUSALS.get(exc.status, "未保存，请稍后再试。"))


def _changes(form, current: dict, names: tuple[str, ...]) -> dict:
    out = {}
    for name in names:
        value = getattr(form, name).data
        value = value.strip() if isinstance(value, str) else value
        value = None if value == "" else value
        if value != current.get(name):
            out[name] = value
    return out


def _edit_page(what: str, record_id, form, current: dict, title: str, changes: dict | None):
    """Save the changes (if the form was valid) and go back to the list, or show the form again with the reasons
    beside the fields and everything typed kept."""
    if changes is not None:
        try:
            if changes:
                runtime().services.call(caller(), "PATCH", "roster", f"/v1/{what}/{record_id}", json=changes)
            flash("已保存。" if changes else "没有改动。")
            return redirect(url_for("roster_desk.roster", tab=what))
        except ServiceError as exc:
            _field_errors(form, exc)
    status = 422 if request.method == "POST" else 200
    return render_template("roster_desk/edit.html", form=form, title=title, what=what, record=current), status


@roster_desk.route("/grids/<uuid:grid_id>", methods=["GET", "POST"])
@signed_in("township_staff")
def grid(grid_id):
    current = _roster(f"/v1/grids/{grid_id}")
    if str(grid_id) not in caller().grids:
        abort(403)
    form = GridForm(data={**current, "difficulty": str(current["difficulty"]),
                          "workers": "、".join(current.get("workers") or [])})
    changes = None
    if form.validate_on_submit():
        changes = _changes(form, current, ("name", "kind", "households", "population", "leader", "external_id"))
        if int(form.difficulty.data) != current["difficulty"]:
            changes["difficulty"] = int(form.difficulty.data)
        workers = [w for w in re.split(r"[、,，;；\s]+", form.workers.data or "") if w]
        if workers != (current.get("workers") or []):
            changes["workers"] = workers
    return _edit_page("grids", grid_id, form, current, f"网格：{current['name']}", changes)


@roster_desk.route("/deputies/<uuid:deputy_id>", methods=["GET", "POST"])
@signed_in("township_staff")
def deputy(deputy_id):
    current = _roster(f"/v1/deputies/{deputy_id}")
    if current["status"] == "ended":
        flash("该代表任期已终止，记录作为历史保留，不能修改。")
        return redirect(url_for("roster_desk.roster", tab="deputies"))
    form = DeputyForm(data={**current, "phone_display": "office" if current["phone_display"] == "office"
                            else "station", "home_grid_id": current.get("home_grid_id") or ""})
    form.home_grid_id.choices = options([("", "（不在本乡镇）"), *((x["id"], f"{x['code']} {x['name']}")
                                                               for x in township_grids())])
    changes = None
    if form.validate_on_submit():
        changes = _changes(form, current, ("name", "position", "office_phone", "phone_display", "home_grid_id",
                                           "status", "pledge", "external_id"))
        if changes.get("phone_display") == "station" and current["phone_display"] == "masked_mobile":
            changes.pop("phone_display")
        if "status" in changes:
            if (form.reason.data or "").strip():
                changes["reason"] = form.reason.data.strip()
            else:
                form.reason.errors = ["变更状态须填写变更原因"]
                changes = None
    return _edit_page("deputies", deputy_id, form, current, f"代表：{current['name']}", changes)


@roster_desk.route("/stations/<uuid:station_id>", methods=["GET", "POST"])
@signed_in("township_staff")
def station(station_id):
    current = _roster(f"/v1/stations/{station_id}")
    form = StationForm(data=current)
    changes = None
    if form.validate_on_submit():
        changes = _changes(form, current, ("name", "address", "opening_hours", "phone"))
    return _edit_page("stations", station_id, form, current, f"联络站：{current['name']}", changes)


# --- import: upload → preview (roster's dry run) → confirm -------------------------------------------------------
def _stash_dir() -> Path:
    path = Path(runtime().settings.var_dir) / "portal-imports"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STASH_HOURS * 3600
    for old in path.iterdir():  # uploads never confirmed are not kept
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return path


def _stash(upload) -> tuple[str, str]:
    suffix = ".xlsx" if (upload.filename or "").lower().endswith(".xlsx") else ".csv"
    token = secrets.token_hex(16)
    (_stash_dir() / f"{token}-{g.person.id}{suffix}").write_bytes(upload.read())
    return token, suffix


def _stashed(token: str) -> Path | None:
    if not UPLOAD_NAME.match(token or ""):
        return None
    found = sorted(_stash_dir().glob(f"{token}-{g.person.id}.*"))  # only the person who uploaded it
    return found[0] if found else None


def _send(path: Path, what: str, **query):
    with path.open("rb") as stream:
        return runtime().services.call(caller(), "POST", "roster", f"/v1/imports/{what}",
                                       params={k: "true" for k, v in query.items() if v},
                                       files={"file": (f"import{path.suffix}", stream)})


def _problem_page(form, exc: ServiceError):
    """The file itself was refused (not a table, no rows, over a limit): say so beside the file field."""
    reasons = [e.get("reason") for e in exc.errors if e.get("reason")]
    chinese = [r for r in reasons if re.search(r"[\u4e00-\u9fff]", r)]
    form.file.errors = chinese or ["无法读取这个文件：请上传第 1 行为列标题的 .xlsx 或 .csv 表格"]
    return render_template("roster_desk/import.html", form=form), 422


@roster_desk.route("/import", methods=["GET", "POST"])
@signed_in("township_staff")
def import_upload():
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("roster_desk/import.html", form=form), 422 if request.method == "POST" else 200
    token, suffix = _stash(form.file.data)
    try:
        preview = _send(_stashed(token), form.what.data, dry_run=True)
    except ServiceError as exc:
        _stashed(token).unlink(missing_ok=True)
        return _problem_page(form, exc)
    confirm = ConfirmImportForm(data={"token": token, "what": form.what.data})
    by_row = {}
    for error in preview["errors"]:
        by_row.setdefault(error["row"], []).append(error)
    return render_template("roster_desk/preview.html", preview=preview, confirm=confirm, by_row=by_row,
                           what=form.what.data, filename=form.file.data.filename)


@roster_desk.post("/import/confirm")
@signed_in("township_staff")
def import_confirm():
    form = ConfirmImportForm()
    path = _stashed(form.token.data) if form.validate_on_submit() else None
    if path is None or form.what.data not in ("grids", "deputies"):
        flash("上传的文件已过期或不存在，请重新上传。")
        return redirect(url_for("roster_desk.import_upload"))
    try:
        done = _send(path, form.what.data, ignore_unknown_columns=form.ignore_unknown_columns.data,
                     import_valid_rows=form.import_valid_rows.data)
    except ServiceError as exc:
        flash(f"未导入任何数据：{exc.detail if re.search(r'[一-龥]', exc.detail or '') else '文件有问题的行或列尚未处理'}。"
              "请勾选处理方式后再确认，或改正表格后重新上传。")
        return redirect(url_for("roster_desk.import_upload"))
    path.unlink(missing_ok=True)
    flash(f"导入完成：新增 {done['created']} 条，更新 {done['updated']} 条，未变 {done.get('unchanged', 0)} 条"
          + (f"，有问题未导入 {done['invalid_rows']} 行" if done["invalid_rows"] else "") + "。")
    return redirect(url_for("roster_desk.roster", tab=form.what.data))
