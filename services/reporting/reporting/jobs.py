"""Reporting's scheduled work (the `Periodic` entries of its spec): sign checkpoints, reconcile, check the
projections against the log; and the collectors that show on /metrics what these jobs found."""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from . import commands
from .models import ProjectionCheck, ReconcileRun
from .queries.audit import VERIFY_FAILURES, last_checkpoint_problem
from .queries.runs import last_and_counts
from .replay import compare
from .reconcile import STAGES, ReconcileError, ServiceClient, reconcile

log = logging.getLogger(__name__)


# --- signed checkpoints ----------------------------------------------------------------------------------------
def checkpoint_job(runtime, now) -> int:
    """Periodic job: sign a checkpoint when the log has grown, after checking it still reaches the last one."""
    key = commands.load_signing_key(runtime.state.settings.signing_key)
    with runtime.db.transaction() as session:
        problem = last_checkpoint_problem(session)
        if problem:
            VERIFY_FAILURES.labels("checkpoint").inc()
            raise commands.AuditLogBroken(f"audit log does not hold, no checkpoint signed: {problem}")
        return 1 if commands.sign_checkpoint(session, key, now) else 0


# --- the scheduled job ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """How often and over what the job reconciles: every `interval`, the `window` that ended `grace` ago (cases
    younger than `grace` are still on their way)."""

    interval: timedelta
    window: timedelta
    grace: timedelta

    @classmethod
    def from_settings(cls, settings) -> "Schedule":
        """From reporting's settings (`runtime.state.settings`)."""
        return cls(settings.reconcile_interval, settings.reconcile_window, settings.reconcile_grace)


def reconcile_job(runtime, now: datetime, client: ServiceClient | None = None) -> int:
    """Periodic job: when the last run is older than the interval, reconcile the window, record the run (for
    /metrics and /v1/audit/reconciliations) and return how many cases are missing."""
    schedule = Schedule.from_settings(runtime.state.settings)
    with runtime.db.sessions() as session:
        last = session.scalar(select(func.max(ReconcileRun.started_at)))
    if last is not None and now - last < schedule.interval:
        return 0
    client = client or ServiceClient(runtime.settings.service_urls, runtime.settings.service_key)
    until = now - schedule.grace
    since = until - schedule.window
    run = ReconcileRun(id=str(uuid.uuid4()), started_at=now, since=since, until=until)
    try:
        report = reconcile(client, since, until)
    except ReconcileError as exc:
        log.error("reconciliation failed: %s", exc)
        run.outcome, run.detail = "error", json.dumps({"error": str(exc)})
    else:
        run.outcome = "clean" if report["clean"] else "missing"
        run.accepted = report["accepted"]
        run.missing_routing, run.missing_notify, run.missing_audit = (
            len(report["missing"][stage]) for stage in STAGES)
        run.doubled = sum(len(ids) for ids in report["doubled"].values())
        run.detail = json.dumps({"missing": report["missing"], "doubled": report["doubled"]})
        if not report["clean"]:
            log.error("reconciliation %s .. %s: missing %s, doubled %s", report["since"], report["until"],
                      {s: len(ids) for s, ids in report["missing"].items()},
                      {s: len(ids) for s, ids in report["doubled"].items()})
    with runtime.db.transaction() as session:
        commands.record_run(session, run)
    return (run.missing_routing or 0) + (run.missing_notify or 0) + (run.missing_audit or 0)


class ReconcileCollector:
    """reconcile_missing{stage} and reconcile_runs_total{outcome}, read from the recorded runs at scrape time, so
    the web app's /metrics shows what the scheduler process found."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        missing = GaugeMetricFamily("reconcile_missing", "Cases accepted by intake and missing downstream, by stage "
                                    "(last completed reconciliation)", labels=["stage"])
        runs = CounterMetricFamily("reconcile_runs", "Reconciliation runs by outcome (clean, missing, error)",
                                   labels=["outcome"])
        try:
            with self.runtime.db.sessions() as session:
                last, counts = last_and_counts(session, ReconcileRun)
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is down
            return
        if last is not None:
            for stage, value in zip(STAGES, (last.missing_routing, last.missing_notify, last.missing_audit)):
                missing.add_metric([stage], value or 0)
        for outcome in ("clean", "missing", "error"):
            runs.add_metric([outcome], counts.get(outcome, 0))
        yield missing
        yield runs


# --- the projection check ---------------------------------------------------------------------------------------
def projection_check_job(runtime, now: datetime) -> int:
    """Periodic job: when the last check is older than the interval, compare the projections with the log, record
    the run and alarm on a difference; returns how many rows differ."""
    interval = runtime.state.settings.projection_check_interval
    with runtime.db.sessions() as session:
        last = session.scalar(select(func.max(ProjectionCheck.started_at)))
    if last is not None and now - last < interval:
        return 0
    run = ProjectionCheck(id=str(uuid.uuid4()), started_at=now)
    try:
        with runtime.db.snapshot() as session:  # the log and the tables of one moment
            run.entries, run.differences, shown = compare.projection_differences(session)
    except Exception as exc:  # noqa: BLE001 - recorded and logged; the job runs again at the next interval
        log.exception("projection check failed")
        run.outcome, run.detail = "error", json.dumps({"error": f"{type(exc).__name__}: {exc}"[:1000]})
    else:
        run.outcome = "differs" if run.differences else "clean"
        run.detail = json.dumps({"differences": shown}, ensure_ascii=False)
        if run.differences:
            log.error("projections differ from the audit log in %d rows (first: %s); the figures cannot be trusted "
                      "until they are rebuilt with wangge replay", run.differences, "; ".join(shown[:5]))
    with runtime.db.transaction() as session:
        commands.record_run(session, run)
    return run.differences or 0


class ProjectionCheckCollector:
    """projection_differences (last completed check) and projection_checks_total{outcome}, read from the recorded
    runs at scrape time, so the web app's /metrics shows what the scheduler found."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        try:
            with self.runtime.db.sessions() as session:
                last, counts = last_and_counts(session, ProjectionCheck)
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is down
            return
        gauge = GaugeMetricFamily("projection_differences", "Projection rows that differ from a replay of the audit "
                                  "log (last completed check)")
        gauge.add_metric([], last.differences if last is not None else 0)
        runs = CounterMetricFamily("projection_checks", "Scheduled projection checks by outcome (clean, differs, "
                                   "error)", labels=["outcome"])
        for outcome in ("clean", "differs", "error"):
            runs.add_metric([outcome], counts.get(outcome, 0))
        yield gauge
        yield runs
