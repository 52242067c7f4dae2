"""The supervisor desk (人大常委会督查): the KPI dashboard, the escalation ladder across townships, deputy performance
and excellent grids, every figure linking down to the cases behind it. It only reads: the supervisor's token
carries no scope that writes."""
from __future__ import annotations

import re

from flask import Blueprint, render_template, request

from ..clients import ServiceError
from . import caller, runtime, signed_in
from .entities import grids, page_number, township_of, year_asked

supervisor = Blueprint("supervisor", __name__, url_prefix="/supervisor")
KPIS = {"closure_rate": "办结率", "on_time_closure_rate": "按时办结率", "satisfaction_rate": "满意率",
        "unrated": "办结未评价", "reopen_rate": "发回重办率", "answer_rate": "答复群众率"}
# What "the cases behind" each figure are, in the words reporting's misses use.
MISSES = {"closure_rate": "未办结的诉求", "on_time_closure_rate": "未按时办结的诉求",
          "satisfaction_rate": "群众不满意的诉求", "unrated": "办结后未评价的诉求", "reopen_rate": "发回重办过的诉求",
          "answer_rate": "部门已答复、尚未答复群众的诉求"}
DIMENSIONS = {"all": "全县", "grid": "网格", "township": "乡镇", "department": "部门", "deputy": "代表",
              "channel": "渠道", "category": "类别", "period": "月份"}
STEPS = ("reminder", "supervision", "escalation")
PERIOD = re.compile(r"^20\d\d(-(0[1-9]|1[0-2]))?$")


def _period() -> tuple[str | None, str | None]:
    """The period asked for (YYYY or YYYY-MM), or the Chinese reason it is refused."""
    raw = (request.args.get("period") or "").strip()
    if not raw:
        return None, None
    return (raw, None) if PERIOD.match(raw) else (None, "请按“2026”或“2026-11”的格式填写统计期间")


@supervisor.get("")
@signed_in("supervisor")
def home():
    """指标看板: the county's KPIs against their targets and the townships' figures, each linking to its cases."""
    services, me = runtime().services, caller()
    period, period_error = _period()
    summary = services.get(me, "reporting", "/v1/kpis", period=period)
    townships = services.get(me, "reporting", "/v1/kpis/slices", dimension="township", period=period)
    year = int(period[:4]) if period else None
    projects = services.get(me, "reporting", "/v1/kpis/projects", year=year)
    return render_template("supervisor/home.html", summary=summary, townships=townships, period=period,
                           period_error=period_error, period_typed=request.args.get("period", ""), misses=MISSES,
                           projects=projects)


@supervisor.get("/misses")
@signed_in("supervisor", "auditor")
def misses():
    """The cases behind one figure (reporting's misses), each linking to its case page."""
    services, me = runtime().services, caller()
    kpi, dimension, key = request.args.get("kpi", ""), request.args.get("dimension", "all"), request.args.get("key")
    period, period_error = _period()
    problems = {}
    if kpi not in KPIS:
        problems["kpi"] = "请选择一项指标"
    if dimension not in DIMENSIONS:
        problems["dimension"] = "未知的统计维度"
    if dimension != "all" and not key:
        problems["key"] = "请选择要查看的" + DIMENSIONS.get(dimension, "对象")
    if period_error:
        problems["period"] = period_error
    found = None
    if not problems:
        try:
            found = services.get(me, "reporting", "/v1/kpis/misses", kpi=kpi, dimension=dimension, key=key,
                                 period=period, page=page_number(), page_size=50)
        except ServiceError as exc:
            if exc.status != 422:
                raise
            problems = {e.get("field", "kpi"): "填写有误，请检查" for e in exc.errors} or {"kpi": "填写有误，请检查"}
    title = _slice_title(dimension, key)
    return render_template("supervisor/misses.html", found=found, kpi=kpi, kpis=KPIS, misses=MISSES,
                           dimension=dimension, key=key, period=period, title=title, problems=problems,
                           dimensions=DIMENSIONS), 422 if problems else 200


def _slice_title(dimension: str, key: str | None) -> str:
    if dimension in ("grid", "township") and key:
        grid = grids(key).get(key)
        return grid["name"] if grid else "未知网格"
    if dimension == "all":
        return "全县"
    return f"{DIMENSIONS.get(dimension, '')} {key or ''}".strip()


@supervisor.get("/ladder")
@signed_in("supervisor")
def ladder():
    """督办阶梯: per township, how many work orders stand at 催办, 督办 and 提级督办 (open ones, or all ever)."""
    every = request.args.get("all") == "1"
    rows = runtime().services.get(caller(), "routing", "/v1/work-orders/ladder", open="false" if every else "true")
    directory = grids(*(r["grid_id"] for r in rows))
    towns: dict[str, dict] = {}
    for row in rows:
        town = township_of(row["grid_id"], directory) or {"id": "", "name": "未知网格", "code": ""}
        entry = towns.setdefault(town["id"], {"town": town, **{s: 0 for s in STEPS}, "cases": 0})
        entry[row["step"]] += row["orders"]
        entry["cases"] += row["cases"]
    table = sorted(towns.values(), key=lambda t: t["town"].get("code") or "")
    totals = {s: sum(t[s] for t in table) for s in STEPS}
    return render_template("supervisor/ladder.html", table=table, totals=totals, steps=STEPS, every=every)


@supervisor.get("/ladder/<uuid:township_id>")
@signed_in("supervisor")
def ladder_township(township_id):
    """The work orders behind one figure of the ladder: one township's orders at one step, grid by grid."""
    step = request.args.get("step", "")
    if step not in STEPS:
        return render_template("error.html", title="无法查看", message="请从督办阶梯中选择催办、督办或提级督办。"), 422
    every = request.args.get("all") == "1"
    services, me, town_id = runtime().services, caller(), str(township_id)
    rows = services.get(me, "routing", "/v1/work-orders/ladder", open="false" if every else "true")
    directory = grids(town_id, *(r["grid_id"] for r in rows))
    mine = [r for r in rows if r["step"] == step and (township_of(r["grid_id"], directory) or {}).get("id") == town_id]
    orders, more = [], 0
    for row in mine:  # only grids with orders at this step: a few calls, never one per grid of the township
        found = services.get(me, "routing", "/v1/work-orders", grid_id=row["grid_id"], step=step,
                             open=None if every else "true", sort="due", page_size=200)
        orders.extend({**o, "grid_id": row["grid_id"]} for o in found["items"])
        more += found["total"] - len(found["items"])
    town = directory.get(town_id) or {"name": "未知网格"}
    return render_template("supervisor/ladder_orders.html", town=town, step=step, orders=orders, every=every,
                           more=more)


@supervisor.get("/deputies")
@signed_in("supervisor")
def deputies():
    """代表履职: every deputy's year against the duties, with their page and annual report."""
    year = year_asked()
    rows = runtime().services.get(caller(), "reporting", "/v1/deputies/performance", year=year)
    return render_template("supervisor/deputies.html", rows=rows, year=year)


@supervisor.get("/grids")
@signed_in("supervisor")
def excellent():
    """优秀网格: the year's ranking with its rule in Chinese, each grid's figures linking to their cases."""
    year = year_asked()
    ranking = runtime().services.get(caller(), "reporting", "/v1/grids/excellent", year=year)
    return render_template("supervisor/grids.html", ranking=ranking, year=year)
