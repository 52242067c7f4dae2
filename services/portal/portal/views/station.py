"""The residents' online liaison station (网上联络站): public, no account, mobile first, no JavaScript needed.

A request becomes a case on the `online` channel through intake, with an Idempotency-Key from the form (a double
tap makes one case); photos go to intake first. Tracking and posters (QR codes) are here too.
"""
from __future__ import annotations

import time
import uuid

import segno
from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from wangge_common.contracts.labels import labels

from ..clients import ServiceError
from ..photos import checked
from ..schemas import OnlineForm
from . import limiter, online_limit, runtime, track_limit

station = Blueprint("station", __name__)
_CACHE: dict = {}
CACHE_S = 300
# intake's field names -> the form's
FIELD_OF = {"content": "content", "reporter.name": "name", "reporter.phone": "mobile", "grid_id": "grid_choice",
            "category": "category", "topic": "topic"}


def _cached(key, load):
    hit = _CACHE.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    value = load()
    _CACHE[key] = (time.monotonic() + CACHE_S, value)
    return value


def _grids(**query) -> list[dict]:
    rt = runtime()
    found = _cached(("grids", tuple(sorted(query.items()))), lambda: rt.services.get(
        rt.online_station(), "roster", "/v1/grids", page_size=1000, **query))
    return found["items"] if isinstance(found, dict) else found


def grid(grid_id: str) -> dict | None:
    rt = runtime()
    try:
        return _cached(("grid", grid_id), lambda: rt.services.get(rt.online_station(), "roster",
                                                                   f"/v1/grids/{grid_id}"))
    except ServiceError as exc:
        if exc.status in (404, 422):
            return None
        raise


def full_name(grid_id: str) -> str:
    names, current = [], grid(grid_id)
    while current:
        names.append(current["name"])
        current = grid(current["parent_id"]) if current.get("parent_id") else None
    return "".join(reversed(names))


def topics_by_category() -> dict[str, list[tuple[str, str]]]:
    """The topics the dispatch catalogue routes, per category, with their Chinese labels (from the contracts)."""
    rt = runtime()
    rules = _cached("rules", lambda: rt.services.get(rt.online_station(), "routing", "/v1/dispatch-rules"))
    names, found = labels("topic"), {}
    for rule in rules:
        if rule.get("topic") and rule.get("active", True):
            found.setdefault(rule["category"], set()).add(rule["topic"])
    return {c: sorted(((t, names.get(t, "其他")) for t in ts), key=lambda x: x[1]) for c, ts in found.items()}


def village_groups(township_id: str) -> list[tuple[dict, list[dict]]]:
    """A township's villages/communities, each with its groups: the choices of the grid on the form."""
    return [(village, sorted(_grids(parent_id=village["id"]), key=lambda g: g["code"]))
            for village in sorted(_grids(parent_id=township_id), key=lambda g: g["code"])]


@station.get("/online")
def online_start():
    """Choose the township (or arrive from a QR code with ?grid= or ?station=, straight to the form)."""
    if request.args.get("grid") or request.args.get("township"):
        return redirect(url_for("station.online_form", **request.args))
    if request.args.get("station"):
        return _from_station(request.args["station"])
    return render_template("station/start.html", townships=sorted(_grids(level=1), key=lambda g: g["code"]))


def _station(station_id: str) -> dict:
    """A liaison station as the public pages may show it (404 for an unknown id)."""
    rt = runtime()
    try:
        return rt.services.get(rt.online_station(), "roster", f"/v1/stations/{station_id}")
    except ServiceError as exc:
        if exc.status in (404, 422):
            abort(404)
        raise


def _from_station(station_id: str):
    found = _station(station_id)
    if len(found.get("grid_ids", [])) == 1:
        return redirect(url_for("station.online_form", grid=found["grid_ids"][0]))
    choices = [(g, full_name(g)) for g in found.get("grid_ids", [])]
    return render_template("station/station_grids.html", station=found, choices=choices)


def _form_context(form: OnlineForm, fixed_grid: str | None, township: str | None) -> dict:
    context = {"form": form, "fixed_grid": fixed_grid, "fixed_name": full_name(fixed_grid) if fixed_grid else None,
               "topics": topics_by_category(), "township": township, "villages": [],
               "category_labels": labels("category")}
    if not fixed_grid and township:
        context["villages"] = village_groups(township)
        context["township_name"] = (grid(township) or {}).get("name", "")
    return context


@station.route("/online/form", methods=["GET", "POST"])
@limiter.limit(online_limit, methods=["POST"])
def online_form():
    """The resident's form, for one grid (a poster's QR code) or a township's grids (chosen on the start page)."""
    fixed_grid = request.values.get("grid") or None
    township = request.values.get("township") or None
    if fixed_grid and grid(fixed_grid) is None:
        abort(404)
    if not fixed_grid and not township:
        return redirect(url_for("station.online_start"))
    form = OnlineForm()
    if request.method == "GET":
        form.nonce.data = uuid.uuid4().hex
    code = _accepted(form, fixed_grid, township) if form.validate_on_submit() else None
    if code:
        return redirect(url_for("station.online_done", code=code))
    status = 422 if request.method == "POST" else 200
    return render_template("station/form.html", **_form_context(form, fixed_grid, township)), status


def _accepted(form: OnlineForm, fixed_grid: str | None, township: str | None) -> str | None:
    """The tracking code of the case a valid form became, or None with the reasons beside the fields."""
    grid_id = fixed_grid or form.grid_choice.data
    photos = _checked_photos(form)
    _check_grid(form, grid_id, fixed_grid, township)
    _check_topic(form)
    if form.grid_choice.errors or form.photos.errors or form.topic.errors:
        return None
    return _submit(form, grid_id, photos)


def _check_grid(form: OnlineForm, grid_id: str | None, fixed_grid: str | None, township: str | None) -> None:
    """The grid must exist, and be of the township the form was opened for."""
    if not grid_id or grid(grid_id) is None:
        form.grid_choice.errors = ["请选择所在的村（社区）和组"]
    elif fixed_grid is None and township and grid_id not in _township_grids(township):
        form.grid_choice.errors = ["请选择本乡镇的村（社区）和组"]


def _check_topic(form: OnlineForm) -> None:
    """A topic chosen must be one the dispatch catalogue routes under the category chosen."""
    topics = dict(topics_by_category().get(form.category.data, []))
    if form.topic.data and form.topic.data not in topics:
        form.topic.errors = [f"“{labels('topic').get(form.topic.data, '该事项')}”不属于所选类别，请重新选择"]


def _township_grids(township: str) -> set[str]:
    return {g["id"] for village, groups in village_groups(township) for g in [village, *groups]}


def _checked_photos(form: OnlineForm) -> list[tuple[str, bytes, str]]:
    """Up to three photos, each ≤ 5 MB and JPEG or PNG by content; reasons go beside the field."""
    photos, problem = checked(form.photos.data)
    if problem:
        form.photos.errors = [problem]
    return photos


def _submit(form: OnlineForm, grid_id: str, photos) -> str | None:
    """Photos to intake, then the case with the form's Idempotency-Key; the tracking code, or None with the
    service's reasons put beside the fields."""
    rt = runtime()
    station_caller = rt.online_station()
    attachments = []
    for name, body, media_type in photos:
        stored = rt.services.call(station_caller, "POST", "intake", "/v1/attachments", params={"grid_id": grid_id,
                                  "name": name}, data=body, headers={"Content-Type": media_type})
        attachments.append({**{k: stored[k] for k in ("name", "media_type", "size", "sha256")},
                            "url": rt.services.urls["intake"] + stored["url"]})  # served to authorised staff only
    body = {"channel": "online", "grid_id": grid_id, "category": form.category.data,
            "topic": form.topic.data or None, "content": form.content.data.strip(), "attachments": attachments,
            "reporter": {"name": form.name.data.strip(), "phone": form.mobile.data.strip()},
            "received_by": {"kind": "system", "id": "online-station"}}
    nonce = form.nonce.data if form.nonce.data and len(form.nonce.data) <= 64 else uuid.uuid4().hex
    try:
        case = rt.services.post(station_caller, "intake", "/v1/cases", body, idempotency_key=f"online-{nonce}")
    except ServiceError as exc:
        if exc.status != 422:
            raise
        for error in exc.errors:
            field = getattr(form, FIELD_OF.get(error.get("field"), "content"))
            field.errors = [*field.errors, "填写有误，请检查后重新提交"]
        if not exc.errors:
            form.content.errors = ["这次提交没有成功：同一份表单已用不同内容提交过，请刷新页面重新填写"]
        return None
    return case["tracking_code"]


@station.get("/online/done/<code>")
def online_done(code):
    return render_template("station/done.html", code=code)


@station.get("/track")
def track_form():
    code = (request.args.get("code") or "").strip().upper()
    if code:
        return redirect(url_for("station.track", code=code))
    return render_template("station/track.html", case=None, code="")


@station.get("/track/<code>")
@limiter.limit(track_limit)
def track(code):
    rt = runtime()
    try:
        case = rt.services.get(rt.online_station(), "intake", f"/v1/track/{code}")
    except ServiceError as exc:
        if exc.status in (404, 422):
            return render_template("station/track.html", case=None, code=code, missing=True), 404
        raise
    return render_template("station/track.html", case=case, code=code)


def _public(path: str) -> str:
    """The address a resident's phone opens: WANGGE_PORTAL_PUBLIC_URL behind a proxy, else this request's host."""
    return (runtime().settings.public_url or request.host_url.rstrip("/")) + path


def _qr_svg(url: str) -> Markup:
    qr = segno.make(url, error="m")
    return Markup(qr.svg_inline(border=2, dark="#000", omitsize=True))  # a viewBox: the poster sizes it


@station.get("/grids/<grid_id>/poster")
def grid_poster(grid_id):
    """A printable A4 poster with the QR code that opens the form for this grid."""
    if grid(grid_id) is None:
        abort(404)
    url = _public(url_for("station.online_form", grid=grid_id))
    return render_template("station/poster.html", title=full_name(grid_id), url=url, qr=_qr_svg(url))


@station.get("/stations/<station_id>/poster")
def station_poster(station_id):
    found = _station(station_id)
    url = _public(url_for("station.online_start", station=station_id))
    return render_template("station/poster.html", title=found["name"], url=url, qr=_qr_svg(url))
