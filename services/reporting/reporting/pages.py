"""Chinese pages for congress staff: the dashboard (统计看板) and a deputy's annual report (述职评议).

Public on purpose: they show aggregates and the names deputies are already publicly posted with (公示), never a
resident's personal data; the case lists show case ids only."""
from __future__ import annotations

from flask import Response, render_template, request
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import public
from wangge_common.contracts import labels
from wangge_common.errors import Invalid, NotFound
from wangge_common.http import runtime

from . import annual_report, charts, domain
from .queries import kpis as kpi_queries, performance
from .queries.tables import download, local_time

pages = Blueprint("pages", __name__, description="Pages (Chinese, printable, readable on a phone)",
                  template_folder="templates")
HTML = {"responses": {"200": {"description": "an HTML page", "content": {"text/html": {}}}}}
HEAT_COLUMNS = [("closure_rate", "办结率"), ("on_time_closure_rate", "按时办结率"), ("satisfaction_rate", "满意率"),
                ("reopen_rate", "发回重办率"), ("answer_rate", "答复群众率")]
TABLES = {f"kpis-{d}": f"按{title}" for d, title in domain.DIMENSIONS.items()}
TABLES.update({"excellent-grids": "优秀网格", "deputies": "代表履职"})


def _period() -> str | None:
    period = request.args.get("period") or None
    if period and not domain.is_period(period):
        raise Invalid([("period", "must be YYYY or YYYY-MM")])
    return period


def _year(period: str | None) -> int:
    raw = request.args.get("year") or (period[:4] if period else None)
    if raw is None:
        return performance.today().year
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise Invalid([("year", "must be a year between 2000 and 2100")])
    return int(raw)


def _table_rows(session, name: str, period: str | None, year: int) -> list[dict]:
    if name.startswith("kpis-") and name[5:] in domain.DIMENSIONS:
        return kpi_queries.slices(session, dimension=name[5:], period=period)
    if name == "excellent-grids":
        return performance.excellent_grids(session, year=year, min_cases=10)["grids"]
    if name == "deputies":
        return performance.deputies_performance(session, year=year, as_of=performance.today())
    raise NotFound(f"no table {name}; tables: {', '.join(TABLES)}")


@pages.route("/dashboard")
class Dashboard(MethodView):
    @public
    @pages.doc(**HTML)
    def get(self):
        """The dashboard: KPIs against targets, monthly trend, townships, the grid heat table, ranking, deputies."""
        period = _period()
        year = _year(period)
        with runtime().db.snapshot() as session:
            summary = kpi_queries.summary(session, period=period)
            months = kpi_queries.slices(session, dimension="period")
            townships = kpi_queries.slices(session, dimension="township", period=period)
            township = request.args.get("township") or None
            grids, township_choices = kpi_queries.grid_table(session, period=period, township=township)
            ranking = performance.excellent_grids(session, year=year, min_cases=10)
            deputies = performance.deputies_performance(session, year=year, as_of=performance.today())
        trend = charts.trend([m["key"] for m in months],
                             {"办结率": [m["closure_rate"] for m in months],
                              "满意率": [m["satisfaction_rate"] for m in months]},
                             [m["cases"] for m in months])
        return render_template(
            "dashboard.html", period=period, year=year, summary=summary, months=[m["key"] for m in months],
            kpi_chart=charts.kpi_bars(summary["kpis"]), trend_chart=trend,
            township_chart=charts.column_bars([(t["label"], t["closure_rate"]) for t in townships],
                                              domain.KPIS["closure_rate"][1], "各乡镇办结率"),
            grids=grids, township=township, township_choices=township_choices, heat_columns=HEAT_COLUMNS, targets={k: v[1] for k, v in domain.KPIS.items()},
            ranking=ranking, deputies=deputies, tables=TABLES, pct=charts.pct, heat=charts.heat)


@pages.route("/dashboard/misses")
class DashboardMisses(MethodView):
    @public
    @pages.doc(**HTML)
    def get(self):
        """The cases that miss one KPI (one click from the dashboard)."""
        kpi = request.args.get("kpi", "")
        if kpi not in kpi_queries.MISS_CONDITIONS:
            raise Invalid([("kpi", f"must be one of {', '.join(kpi_queries.MISS_CONDITIONS)}")])
        with runtime().db.snapshot() as session:
            cases = kpi_queries.misses(session, kpi=kpi, period=_period(), page_size=1000)["items"]
        title = domain.KPIS.get(kpi, ("未评价",))[0]
        return render_template("misses.html", title=title, cases=cases, label=labels.label, local=local_time)


@pages.route("/dashboard/export/<name>.<fmt>")
class DashboardExport(MethodView):
    @public
    @pages.doc(responses={"200": {"description": "the table as CSV or XLSX", "content": {
        "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
    def get(self, name, fmt):
        """Any dashboard table as CSV or XLSX."""
        if fmt not in ("csv", "xlsx"):
            raise NotFound("tables download as .csv or .xlsx")
        period = _period()
        with runtime().db.snapshot() as session:
            rows = _table_rows(session, name, period, _year(period))
        return download(rows, fmt, name)


@pages.route("/deputies/<deputy_id>/annual-report")
class AnnualReport(MethodView):
    @public
    @pages.doc(**HTML)
    def get(self, deputy_id):
        """A deputy's annual report (述职评议), printable."""
        year = _year(None)
        with runtime().db.snapshot() as session:
            p = performance.deputies_performance(session, year=year, as_of=performance.today(), deputy_id=deputy_id)[0]
        report = annual_report.build(p)
        chart = charts.count_bars([month[5:] + "月" for month, _ in report.months],
                                  [count for _, count in report.months], "每月走访户数", target=10, unit="户")
        return render_template("annual_report.html", p=p, report=report, households_chart=chart)


@pages.route("/deputies/<deputy_id>/annual-report.docx")
class AnnualReportDocx(MethodView):
    @public
    @pages.doc(responses={"200": {"description": "the annual report as a Word document", "content": {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}}}})
    def get(self, deputy_id):
        """A deputy's annual report (述职评议) as a Word document, for offices that edit it in Word or WPS."""
        year = _year(None)
        with runtime().db.snapshot() as session:
            p = performance.deputies_performance(session, year=year, as_of=performance.today(), deputy_id=deputy_id)[0]
        body = annual_report.docx_bytes(annual_report.build(p))
        filename = f"annual-report-{year}.docx"
        return Response(body, mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
