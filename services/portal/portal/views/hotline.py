"""Call takers (热线话务员): register a call (hotline channel, the call taker as receiver) and today's list."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from .. import queries
from ..schemas import MatterForm, options
from . import caller, registration, runtime, signed_in

hotline = Blueprint("hotline", __name__, url_prefix="/hotline")


def _grid_choices() -> list[tuple[str, str]]:
    """Every group/estate grid of the county, township and village in the name (a caller says where they live)."""
    services, me = runtime().services, caller()
    choices = []
    for township in sorted(services.get(me, "roster", "/v1/grids", level=1, page_size=1000)["items"],
                           key=lambda t: t["code"]):
        villages = services.get(me, "roster", "/v1/grids", parent_id=township["id"], page_size=1000)["items"]
        for village in sorted(villages, key=lambda v: v["code"]):
            choices.append((village["id"], f"{township['name']} · {village['name']}"))
            groups = services.get(me, "roster", "/v1/grids", parent_id=village["id"], page_size=1000)["items"]
            for group in sorted(groups, key=lambda x: x["code"]):
                choices.append((group["id"], f"{township['name']} · {village['name']} · {group['name']}"))
    return choices


_CHOICES: dict = {}


def grid_choices() -> list[tuple[str, str]]:
    import time

    hit = _CHOICES.get("all")
    if hit and hit[0] > time.monotonic():
        return hit[1]
    found = _grid_choices()
    _CHOICES["all"] = (time.monotonic() + 300, found)
    return found


@hotline.route("", methods=["GET", "POST"])
@signed_in("call_taker")
def register():
    form = MatterForm()
    form.topic.choices = options(registration.topic_choices())
    households = registration.prepare(form, [("", "请选择来电群众所在网格"), *grid_choices()])
    suggestions = []
    if request.method == "POST" and "lookup" not in request.form and form.validate_on_submit():
        suggestions = [] if form.confirmed.data else registration.similar(form)
        if not suggestions:
            case = registration.register(form, "hotline", {"kind": "call_taker", "id": g.person.username})
            if case:
                flash(f"已登记，查询码 {case['tracking_code']}（请告知来电群众）。")
                return redirect(url_for("hotline.register"))
    with runtime().db.sessions() as db:
        today = queries.registered_today(db, g.person.id, datetime.now(timezone.utc))
    status = 422 if request.method == "POST" and "lookup" not in request.form and (form.errors or suggestions) else 200
    return render_template("hotline/register.html", form=form, households=households, suggestions=suggestions,
                           today=today, action=url_for("hotline.register"), title="热线登记", back=None), status
