"""Issue 17, item 14: an edited KPI projection (not the log) is caught by itself: the scheduled projection check
replays the audit log, compares every projection row, and alarms (metric, error log, the run for auditors)."""
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from reporting.service import ReportingState
from reporting import jobs
from reporting.replay import compare
from reporting.models import CaseFact, KpiCell
from reporting.samples import deliver_all, fixture_events


def load(svc):
    roster, cases = fixture_events()
    deliver_all(svc, roster)
    for case in cases.values():
        deliver_all(svc, case.events)

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=timezone.utc)


def metric(svc, name):
    text = svc.client.get("/metrics").get_data(as_text=True)
    lines = [line for line in text.splitlines() if line.startswith(name + " ") or line.startswith(name + "{")]
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines}


def test_an_edited_projection_is_caught_and_alarmed_on_schedule(svc, caplog):
    load(svc)
    assert jobs.projection_check_job(svc.runtime, NOW) == 0
    assert metric(svc, "projection_differences") == {"projection_differences": 0.0}
    # someone edits the figures directly in the database: the log is untouched, so verify still passes
    with svc.runtime.db.transaction() as session:
        session.execute(update(KpiCell).where(KpiCell.dimension == "all").values(closed=KpiCell.closed + 7))
        session.execute(update(CaseFact).values(outcome="satisfied"))
    assert svc.client.get("/v1/audit/verify", headers=svc.headers()).json["valid"] is True
    # not yet due: the job looks every minute but checks once an interval
    assert jobs.projection_check_job(svc.runtime, NOW + timedelta(minutes=10)) == 0
    with caplog.at_level(logging.ERROR, logger="reporting.projection_check"):
        found = jobs.projection_check_job(svc.runtime, NOW + timedelta(hours=1, seconds=1))
    assert found > 0
    assert any("projections differ from the audit log" in r.getMessage() for r in caplog.records)
    assert metric(svc, "projection_differences") == {"projection_differences": float(found)}
    assert metric(svc, "projection_checks_total")['projection_checks_total{outcome="differs"}'] == 1.0
    runs = svc.client.get("/v1/audit/projection-checks", headers=svc.headers()).json
    assert [r["outcome"] for r in runs] == ["differs", "clean"]
    shown = runs[0]["detail"]["differences"]
    assert any(line.startswith("kpi_cells all/") and "closed: live" in line for line in shown)
    assert any(line.startswith("case_facts ") and "outcome: live 'satisfied'" in line for line in shown)
    assert runs[0]["entries"] == runs[1]["entries"] > 0
    assert svc.client.get("/v1/audit/projection-checks", headers=svc.headers("reader")).status_code == 403
    # the auditors are told (their desk shows the standing alarms) until a check finds the figures right again
    (alarm,) = svc.client.get("/v1/audit/alarms", headers=svc.headers()).json
    assert alarm["kind"] == "projection_differs" and alarm["detail"].startswith(f"{found} projection rows")


def test_the_interval_is_a_setting(svc):
    svc.runtime.settings = replace(svc.runtime.settings, extra={
        **svc.runtime.settings.extra, "WANGGE_REPORTING_PROJECTION_CHECK_INTERVAL_S": "60"})
    svc.runtime.state = ReportingState.build(svc.runtime)  # settings are read once, when the state is built
    load(svc)
    jobs.projection_check_job(svc.runtime, NOW)
    with svc.runtime.db.transaction() as session:
        session.execute(update(KpiCell).values(cases=KpiCell.cases + 1))
    assert jobs.projection_check_job(svc.runtime, NOW + timedelta(seconds=61)) > 0


def test_a_failing_check_is_recorded_as_an_error_not_a_crash(svc, monkeypatch):
    def broken(session):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(compare, "projection_differences", broken)
    assert jobs.projection_check_job(svc.runtime, NOW) == 0
    (run,) = svc.client.get("/v1/audit/projection-checks", headers=svc.headers()).json
    assert run["outcome"] == "error" and "disk gone" in run["detail"]["error"]
