"""The KPI projections checked against the audit log on a schedule (issue 17, item 14).

`verify` proves the log itself; an edited projection row (case_facts, kpi_cells …) is not in the log, so only a
replay used to catch it. The scheduler's `projection-check` job does that replay in memory, with the same
Projector as `wangge replay` and the live consumer, every WANGGE_REPORTING_PROJECTION_CHECK_INTERVAL_S (3600), and
compares each projection table row by row with what the log gives, in one snapshot of the database. A difference
is an alarm: the run is recorded (`GET /v1/audit/projection-checks`), `projection_differences` goes above 0 on
/metrics (the ProjectionDiffersFromAuditLog alert tells the auditors), and an error is logged naming the rows.
It costs what a replay of the log costs (about 15 s per million events), which is why it runs hourly."""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime

from sqlalchemy import func, select

from .models import PROJECTIONS, AuditEntry, ProjectionCheck
from .runs import last_and_counts

log = logging.getLogger(__name__)
SHOWN = 50  # differences kept in a run's detail; the count is complete


def _by_key(model, rows) -> dict:
    names = [c.name for c in model.__table__.primary_key.columns]
    return {tuple(row[n] for n in names): row for row in rows}


def differences(session) -> tuple[int, int, list[str]]:
    """(entries replayed, differing rows, the first SHOWN of them as 'table key: live …, log …')."""
    from .replay import ENTRY_FIELDS, project  # replay imports the service spec, which runs this job
    columns = [getattr(AuditEntry, name) for name in ENTRY_FIELDS]
    records = [dict(row) for row in session.execute(select(*columns).order_by(AuditEntry.seq)).mappings()]
    expected_tables = dict(project(records).sorted_tables())
    count, shown = 0, []
    for model in PROJECTIONS:
        names = [c.name for c in model.__table__.columns]
        live = _by_key(model, ({n: getattr(obj, n) for n in names} for obj in session.scalars(select(model))))
        expected = _by_key(model, expected_tables.get(model, []))
        for key in sorted(set(live) | set(expected), key=repr):
            have, want = live.get(key), expected.get(key)
            if have == want:
                continue
            count += 1
            if len(shown) < SHOWN:
                if have is None or want is None:
                    what = "missing from the table" if have is None else "not in the log"
                else:
                    what = "; ".join(f"{n}: live {have[n]!r}, log {want[n]!r}" for n in names if have[n] != want[n])
                shown.append(f"{model.__tablename__} {'/'.join(map(str, key))}: {what}")
    return len(records), count, shown


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
            run.entries, run.differences, shown = differences(session)
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
        session.add(run)
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


def recent_checks(session, limit: int = 20) -> list[ProjectionCheck]:
    return session.scalars(select(ProjectionCheck).order_by(ProjectionCheck.started_at.desc()).limit(limit)).all()
