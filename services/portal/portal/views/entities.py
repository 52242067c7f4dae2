"""One page per grid and per deputy (网格页、代表页) with everything the signed-in person may see about it, from the
services that own each part (roster, routing, intake, reporting), and a deputy's own 我的履职. A part the person's
token may not read is named as such, never left out silently."""
from __future__ import annotations

import threading
import time
from datetime import date

from flask import Blueprint, Response, abort, g, render_template, request

from ..clients import Caller, ServiceError
from . import caller, runtime, signed_in

entities = Blueprint("entities", __name__)
STAFF = ("deputy", "call_taker", "township_staff", "department", "supervisor", "auditor")
OVERSIGHT = ("supervisor", "auditor")  # roles whose tokens read reporting's figures (audit:read)
DIRECTORY_S = 300
_directory: dict = {"until": 0.0, "grids": {}}
_lock = threading.Lock()


# --- the grid directory: names and the tree, for every page that shows a grid id --------------------------------
def grids(*wanted: str | None) -> dict[str, dict]:
    """Every grid of the roster by id, read at most every five minutes (names and the tree change rarely), or
    sooner when a grid `wanted` is not known yet (created since), at most every ten seconds."""
    now = time.monotonic()
    with _lock:
        known, until = _directory["grids"], _directory["until"]
    missing = any(w and w not in known for w in wanted)
    if until > now and not (missing and until - DIRECTORY_S + 10 < now):
        return known
    reader = Caller(g.person.id, g.person.display_name, ("roster:read",))
    found, page = {}, 1
    while True:
        batch = runtime().services.get(reader, "roster", "/v1/grids", page=page, page_size=1000)
        found.update({grid["id"]: grid for grid in batch["items"]})
        if page * 1000 >= batch["total"]:
            break
        page += 1
    with _lock:
        _directory.update(until=now + DIRECTORY_S, grids=found)
    return found


def township_of(grid_id: str | None, directory: dict) -> dict | None:
    grid = directory.get(grid_id or "")
    while grid and grid.get("parent_id") and grid["level"] > 1:
        grid = directory.get(grid["parent_id"])
    return grid


def grid_name(grid_id: str | None, directory: dict | None = None) -> str:
    """`乡镇 · 村 · 组` of a grid, or 未知网格 for an id the roster does not know."""
    directory = directory if directory is not None else grids(grid_id)
    names, grid = [], directory.get(grid_id or "")
    while grid:
        names.append(grid["name"])
        grid = directory.get(grid.get("parent_id") or "")
    return " · ".join(reversed(names)) or "未知网格"


def optional(read):
    """A section of a page: its data, or the Chinese reason it is not shown (outside the person's scope)."""
    try:
        return read(), None
    except ServiceError as exc:
        if exc.status in (401, 403):
            return None, "不在您的查看范围内"
        if exc.status == 404:
            return None, "没有记录"
        return None, "暂时无法读取，请稍后再试"


def page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1


@entities.app_context_processor
def _names():
    return {"grid_name": lambda grid_id: grid_name(grid_id) if g.get("person") else ""}


# --- pages ----------------------------------------------------------------------------------------------------
@entities.get("/grids/<uuid:grid_id>")
@signed_in(*STAFF)
def grid(grid_id):
    """A grid: where it lies, its deputies, its open work orders and cases, its figures (for those who may)."""
    services, me, gid, page = runtime().services, caller(), str(grid_id), page_number()
    found = services.get(me, "roster", f"/v1/grids/{gid}")
    directory = grids(gid)
    children = sorted((c for c in directory.values() if c.get("parent_id") == gid), key=lambda c: c["code"])
    deputies, _ = optional(lambda: services.get(me, "roster", "/v1/assignments", grid_id=gid, current="true",
                                                page_size=100)["items"])
    cases, cases_refused = optional(lambda: services.get(me, "routing", "/v1/cases", grid_id=gid, page=page,
                                                         page_size=20))
    orders, _ = optional(lambda: services.get(me, "routing", "/v1/work-orders", grid_id=gid, open="true",
                                              sort="due", page_size=20))
    households, _ = optional(lambda: services.get(me, "intake", "/v1/households", grid_id=gid,
                                                  page_size=1)["total"])
    figures = None
    if g.person.role in OVERSIGHT:
        dimension = "township" if found["level"] == 1 else "grid"
        rows, _ = optional(lambda: services.get(me, "reporting", "/v1/kpis/slices", dimension=dimension))
        figures = next((r for r in rows or [] if r["key"] == gid), {"cases": 0})
        figures["dimension"] = dimension
    return render_template("entities/grid.html", grid=found, chain=grid_name(gid, directory), children=children,
                           deputies=deputies or [], cases=cases, cases_refused=cases_refused,
                           orders=(orders or {}).get("items", []), households=households, figures=figures,
                           page=page)


@entities.get("/deputies/<uuid:deputy_id>")
@signed_in(*STAFF)
def deputy(deputy_id):
    """A deputy: who they are (no private number), the grids they serve, the cases they first received, and their
    year's performance for those who may read it (the supervisor, the auditor, the deputy themselves)."""
    services, me, did, page = runtime().services, caller(), str(deputy_id), page_number()
    found = services.get(me, "roster", f"/v1/deputies/{did}")
    assignments, _ = optional(lambda: services.get(me, "roster", "/v1/assignments", deputy_id=did, current="true",
                                                   page_size=100)["items"])
    cases, cases_refused = optional(lambda: services.get(me, "routing", "/v1/cases", first_receiver=did, page=page,
                                                         page_size=20))
    year = year_asked()
    performance, _ = optional(lambda: _performance(did, year)) if _may_see_performance(did) else (None, None)
    return render_template("entities/deputy.html", deputy=found, assignments=assignments or [], cases=cases,
                           cases_refused=cases_refused, performance=performance, year=year, page=page)


@entities.get("/deputy/performance")
@signed_in("deputy")
def my_performance():
    """我的履职: the signed-in deputy's year against the duties' numbers, and the cases they received with each
    one's reply and the resident's rating."""
    services, me, year = runtime().services, caller(), year_asked()
    did = g.person.deputy_id
    performance = _performance(did, year)
    received = services.get(me, "routing", "/v1/cases", first_receiver=did, page_size=1000)
    this_year = [c for c in received["items"] if c["registered_at"][:4] == str(year)]
    ratings: dict[str, int] = {}
    for case in this_year:
        if case.get("outcome"):
            ratings[case["outcome"]] = ratings.get(case["outcome"], 0) + 1
    return render_template("entities/my_performance.html", p=performance, year=year, cases=this_year,
                           replied=sum(1 for c in this_year if c.get("replied_at")), ratings=ratings)


@entities.get("/deputies/<uuid:deputy_id>/annual-report")
@entities.get("/deputies/<uuid:deputy_id>/annual-report.docx", endpoint="annual_report_docx")
@signed_in(*STAFF)
def annual_report(deputy_id):
    """The deputy's annual report (述职评议) as reporting prints it, HTML or Word, through the portal so that the
    person needs no address of reporting's."""
    did = str(deputy_id)
    if not _may_see_performance(did):
        abort(403)
    docx = request.path.endswith(".docx")
    path = f"/deputies/{did}/annual-report" + (".docx" if docx else "")
    body = runtime().services.call(caller(), "GET", "reporting", path, params={"year": year_asked()})
    if docx:
        return Response(body, mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": f'attachment; filename="annual-report-{year_asked()}.docx"'})
    return Response(body, mimetype="text/html")


def _may_see_performance(deputy_id: str) -> bool:
    return g.person.role in OVERSIGHT or (g.person.role == "deputy" and g.person.deputy_id == deputy_id)


def _performance(deputy_id: str, year: int) -> dict:
    """A deputy's performance from reporting. The supervisor and auditor read it with their own token; a deputy
    reads only their own, with a token the portal mints for that one read (as it does to resolve their grids)."""
    me = caller()
    if g.person.role == "deputy":
        me = Caller(g.person.id, g.person.display_name, ("audit:read",))
    return runtime().services.get(me, "reporting", f"/v1/deputies/{deputy_id}/performance", year=year)


def year_asked() -> int:
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else date.today().year
