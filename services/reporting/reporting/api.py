"""Reporting HTTP API, version 1."""
from __future__ import annotations

from flask import Response, jsonify, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common import clock
from wangge_common.auth import requires
from wangge_common.http import reconcile_blueprint, runtime
from wangge_common.paging import PageArgs, page_of, paged, paginate

from . import replay
from .queries import alarms, audit as audit_log, kpis as kpi_queries, performance, runs
from .schemas import (AlarmOut, AuditEntryOut, AuditQuery, CaseFactOut, CheckpointOut, ConsistencyOut,
                      ConsistencyQuery, InclusionOut, InclusionQuery, KpiOut, MissQuery, PendingOut, PerformanceOut,
                      PerformanceQuery, PeriodQuery, ProjectKpiOut, ProjectKpiQuery, ProjectionCheckOut, RankingOut,
                      RankingQuery, ReconcileRunOut, SliceOut, SliceQuery, VerifyOut, YearQuery)
from .queries.tables import download

audit = Blueprint("audit", __name__, url_prefix="/v1/audit",
                  description="The audit log (审计日志): every event, hash-chained, in an RFC 9162 Merkle tree")
kpis = Blueprint("kpis", __name__, url_prefix="/v1/kpis", description="Key figures (办结率, 满意率 ...) and their slices")
deputies = Blueprint("deputies", __name__, url_prefix="/v1/deputies", description="Deputy performance (履职)")
grids = Blueprint("grids", __name__, url_prefix="/v1/grids", description="Excellent grids (优秀代表网格)")
internal = reconcile_blueprint(
    "reporting", audit_log.audit_entries_by_case, reads="snapshot",
    summary="Of these case ids, the ones the audit log holds events about, with its entries counted by event type.")


def _table_doc(schema) -> dict:
    """A table's 200 in all three forms `format=` asks for: JSON (the schema), CSV and XLSX for offices."""
    return {"responses": {"200": {"description": "OK", "content": {
        "application/json": {"schema": schema}, "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}}}}}}


def _table(rows, query, name):
    return rows if query.get("format", "json") == "json" else download(rows, query["format"], name)


@audit.route("/events")
class AuditEvents(MethodView):
    @requires("audit:read")
    @audit.arguments(AuditQuery, location="query")
    @audit.response(200, page_of(AuditEntryOut))
    def get(self, query):
        """Events in log order by subject (e.g. a case id), type and event time; page with after_seq."""
        with runtime().db.snapshot() as session:
            return audit_log.audit_events(session, subject=query.get("subject"), event_type=query.get("type"),
                                          since=clock.wire_time(query.get("since")),
                                          until=clock.wire_time(query.get("until")),
                                          after_seq=query["after_seq"], page=query["page"],
                                          page_size=query["page_size"])


@audit.route("/verify")
class AuditVerify(MethodView):
    @requires("audit:read")
    @audit.response(200, VerifyOut)
    def get(self):
        """Recompute the hash chain, the Merkle tree and every signed checkpoint: valid, or the first bad position."""
        with runtime().db.snapshot() as session:
            return audit_log.verify(session)


@audit.route("/proofs/inclusion")
class InclusionProof(MethodView):
    @requires("audit:read")
    @audit.arguments(InclusionQuery, location="query")
    @audit.response(200, InclusionOut)
    def get(self, query):
        """RFC 9162 inclusion proof of one entry (by event id or position) in the tree of a given size."""
        with runtime().db.snapshot() as session:
            return audit_log.inclusion_proof(session, event_id=query.get("event_id"), seq=query.get("seq"),
                                             tree_size_=query.get("tree_size"))


@audit.route("/proofs/consistency")
class ConsistencyProof(MethodView):
    @requires("audit:read")
    @audit.arguments(ConsistencyQuery, location="query")
    @audit.response(200, ConsistencyOut)
    def get(self, query):
        """RFC 9162 consistency proof: the tree at `second` entries extends the tree at `first`."""
        with runtime().db.snapshot() as session:
            return audit_log.consistency_proof(session, first=query["first"], second=query.get("second"))


@audit.route("/export")
class AuditExport(MethodView):
    @requires("audit:read")
    @audit.doc(responses={"200": {"description": "JSON Lines: every entry in log order, then every checkpoint",
                                  "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}})
    def get(self):
        """The whole log as `wangge export` writes it (one snapshot, keys sorted), streamed, for `wangge replay
        --file`: an auditor downloads it and rebuilds and checks everything offline."""
        def lines():
            with runtime().db.snapshot() as session:
                for line in replay.export_lines(session):
                    yield line + "\n"

        return Response(stream_with_context(lines()), mimetype="application/x-ndjson",
                        headers={"Content-Disposition": 'attachment; filename="audit-log.jsonl"'})


@audit.route("/checkpoints")
class Checkpoints(MethodView):
    @requires("audit:read")
    @audit.arguments(PageArgs, location="query")
    @audit.response(200, page_of(CheckpointOut))
    def get(self, query):
        """Signed checkpoints (tree size, root, Ed25519 signature), oldest first."""
        with runtime().db.snapshot() as session:
            return paginate(session, audit_log.checkpoints_query(), **paged(query), each=audit_log.checkpoint_view)


@kpis.route("")
class Kpis(MethodView):
    @requires("audit:read")
    @kpis.arguments(PeriodQuery, location="query")
    @kpis.response(200, KpiOut)
    def get(self, query):
        """The KPIs of all cases (or one period), each against its target, and cases by state."""
        with runtime().db.snapshot() as session:
            return kpi_queries.summary(session, period=query.get("period"))


@kpis.route("/slices")
class KpiSlices(MethodView):
    @requires("audit:read")
    @kpis.arguments(SliceQuery, location="query")
    @kpis.response(200, SliceOut(many=True))
    @kpis.doc(**_table_doc(SliceOut(many=True)))
    def get(self, query):
        """KPIs by grid, township, department, deputy, channel, category or month; CSV/XLSX with format=."""
        with runtime().db.snapshot() as session:
            rows = kpi_queries.slices(session, dimension=query["dimension"], period=query.get("period"))
        if query["format"] == "json":
            # rows already have SliceOut's shape (the replay diff dumps them through it): skip a second pass
            # over a few hundred rows, which was most of this endpoint's time
            return jsonify(rows)
        return download(rows, query["format"], f"kpis-by-{query['dimension']}")


@kpis.route("/projects")
class ProjectKpis(MethodView):
    @requires("audit:read")
    @kpis.arguments(ProjectKpiQuery, location="query")
    @kpis.response(200, ProjectKpiOut)
    def get(self, query):
        """Micro livelihood projects (民生微实事) of a year: proposed, funded, completed, the money approved and how
        the residents rated the completed ones; of one township with township_id."""
        with runtime().db.snapshot() as session:
            return kpi_queries.projects(session, year=query.get("year") or clock.local_date(clock.now()).year,
                                        township=query.get("township_id"))


@kpis.route("/misses")
class KpiMisses(MethodView):
    @requires("audit:read")
    @kpis.arguments(MissQuery, location="query")
    @kpis.response(200, page_of(CaseFactOut))
    @kpis.doc(**_table_doc(page_of(CaseFactOut)))
    def get(self, query):
        """The cases that count against a KPI in one slice (not closed, late, unsatisfied, unrated ...)."""
        with runtime().db.snapshot() as session:
            rows = kpi_queries.misses(session, kpi=query["kpi"], dimension=query["dimension"], key=query.get("key"),
                                      period=query.get("period"), after=query.get("after"), page=query["page"],
                                      page_size=query["page_size"])
        if query["format"] == "json":
            return rows
        return download([CaseFactOut().dump(r) for r in rows["items"]], query["format"], f"misses-{query['kpi']}")


@kpis.route("/pending")
class PendingEvents(MethodView):
    @requires("audit:read")
    @kpis.arguments(PageArgs, location="query")
    @kpis.response(200, page_of(PendingOut))
    def get(self, query):
        """Events about cases not registered here yet: kept, and applied when the registration arrives."""
        with runtime().db.snapshot() as session:
            return runs.pending_events(session, **paged(query))


@deputies.route("/performance")
class DeputiesPerformance(MethodView):
    @requires("audit:read")
    @deputies.arguments(PerformanceQuery, location="query")
    @deputies.response(200, PerformanceOut(many=True))
    @deputies.doc(**_table_doc(PerformanceOut(many=True)))
    def get(self, query):
        """Every deputy's year against the duties' numbers (visits, households, reach, receptions, 五个一); with
        `township`, only the deputies assigned to that township's grids."""
        year = query.get("year") or performance.today().year
        with runtime().db.snapshot() as session:
            rows = performance.deputies_performance(session, year=year, as_of=performance.today(),
                                                    township=query.get("township"))
        return _table(rows, query, f"deputies-{year}")


@deputies.route("/<deputy_id>/performance")
class DeputyPerformance(MethodView):
    @requires("audit:read")
    @deputies.arguments(YearQuery, location="query")
    @deputies.response(200, PerformanceOut)
    def get(self, query, deputy_id):
        """One deputy's year (the figures of the annual report, 述职评议)."""
        year = query.get("year") or performance.today().year
        with runtime().db.snapshot() as session:
            return performance.deputies_performance(session, year=year, as_of=performance.today(),
                                                    deputy_id=deputy_id)[0]


@grids.route("/excellent")
class ExcellentGrids(MethodView):
    @requires("audit:read")
    @grids.arguments(RankingQuery, location="query")
    @grids.response(200, RankingOut)
    @grids.doc(**_table_doc(RankingOut))
    def get(self, query):
        """The year's excellent-grid ranking: formula, inputs, score and rank of every grid, the top 10 % named."""
        year = query.get("year") or performance.today().year
        with runtime().db.snapshot() as session:
            result = performance.excellent_grids(session, year=year, min_cases=query["min_cases"])
        if query["format"] != "json":
            return download([{k: v for k, v in g.items()} for g in result["grids"]], query["format"],
                            f"excellent-grids-{year}")
        return result


@audit.route("/reconciliations")
class Reconciliations(MethodView):
    @requires("audit:read")
    @audit.response(200, ReconcileRunOut(many=True))
    def get(self):
        """The latest scheduled reconciliations (对账), newest first: cases intake accepted and missing where."""
        with runtime().db.snapshot() as session:
            return runs.recent_runs(session)


@audit.route("/alarms")
class Alarms(MethodView):
    @requires("audit:read")
    @audit.response(200, AlarmOut(many=True))
    def get(self):
        """What auditors must be told now (告警), most serious first: the log no longer reaching its last signed
        checkpoint (`checkpoint`: nothing more is signed), the latest projection check finding figures that differ
        from the log or failing, the latest reconciliation finding cases missing or failing. Empty when all holds."""
        with runtime().db.snapshot() as session:
            return alarms.current(session)


@audit.route("/projection-checks")
class ProjectionChecks(MethodView):
    @requires("audit:read")
    @audit.response(200, ProjectionCheckOut(many=True))
    def get(self):
        """The latest scheduled comparisons of the KPI projections with a replay of the audit log, newest first:
        `differs` names the first differing rows (an edited projection); the figures then need a rebuild."""
        with runtime().db.snapshot() as session:
            return runs.recent_checks(session)
