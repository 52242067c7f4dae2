"""The resident's tracking page (办理进度查询): Chinese, no personal data, no external assets."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from wangge_common.auth import public
from wangge_common.contracts import labels
from wangge_common.errors import NotFound
from wangge_common.http import runtime

from . import domain, queries

pages = Blueprint("pages", __name__, template_folder="templates")


@pages.get("/track")
@public
def track_form():
    """A form asking for the tracking code (查询码)."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("pages.track_page", tracking_code=code))
    return render_template("track.html", case=None, code="", missing=False)


@pages.get("/track/<string:tracking_code>")
@public
def track_page(tracking_code):
    """The steps of one case, as the resident sees them."""
    try:
        with runtime().state.reads() as session:  # no write lock: a reader never queues behind writers
            case = queries.track(session, tracking_code)
    except NotFound:
        return render_template("track.html", case=None, code=tracking_code, missing=True), 404
    return render_template("track.html", case=case, code=tracking_code, missing=False,
                           category=domain.CATEGORY_LABELS[case["category"]],
                           channel=domain.CHANNEL_LABELS[case["channel"]],
                           topic=labels.label("topic", case["topic"]))


def limited_page(wait_s: int):
    """What a resident sees over the look-up limit (429): in Chinese, with how long to wait."""
    code = (request.view_args or {}).get("tracking_code", "")
    return render_template("track.html", case=None, code=code, missing=False, limited=True, wait_s=wait_s)
