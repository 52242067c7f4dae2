"""Call takers (热线话务员): register a call (hotline channel, the call taker as receiver) and today's list."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from .. import queries
from ..schemas import MatterForm, options
from . import caller, registration, runtime, signed_in

hotline = Blueprint("hotline", __name__, url_prefix="/hotline")


def grid_choices() -> list[tuple[str, str]]:
    """Every village and group/estate grid of the county, township and village in the name (a caller says where
    they live). Read fresh each time, a page of 1,000 grids per call, so a grid roster has just added is there
    (a cached list left it out for minutes); the tree is put together here rather than asked for village by
    village."""
    services, me = runtime().services, caller()
    grids, page = [], 1
    while True:
        found = services.get(me, "roster", "/v1/grids", page=page, page_size=1000)
        grids += found["items"]
        if page * 1000 >= found["total"] or not found["items"]:
            break
        page += 1
    by_id = {g["id"]: g for g in grids}
    choices = []
    for grid in sorted(grids, key=lambda g: g["code"]):
        parent = by_id.get(grid.get("parent_id"))
        if grid["level"] == 2 and parent is not None:
            choices.append((grid["id"], f"{parent['name']} · {grid['name']}"))
        elif grid["level"] == 3 and parent is not None and by_id.get(parent.get("parent_id")) is not None:
            choices.append((grid["id"], f"{by_id[parent['parent_id']]['name']} · {parent['name']} · {grid['name']}"))
    return choices


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
