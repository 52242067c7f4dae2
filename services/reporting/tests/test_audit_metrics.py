"""audit_verify_failures_total: the checkpoint job refuses to sign over a changed log and counts it; so does verify."""
from dataclasses import replace
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, update

from wangge_common.testing import event
from reporting import commands, jobs
from reporting.service import ReportingState
from reporting.models import AuditEntry, Checkpoint


def failures(check):
    return REGISTRY.get_sample_value("audit_verify_failures_total", {"check": check}) or 0.0


def fill(svc, n, start=0):
    for i in range(start, start + n):
        svc.deliver(event("case.teleported", f"c-{i}", {"i": i}), "cases.v1")


def job(svc):
    state = ReportingState(replace(svc.runtime.state.settings, signing_key=commands.new_signing_key()))
    return jobs.checkpoint_job(SimpleNamespace(state=state, db=svc.runtime.db), datetime.now(timezone.utc))


def checkpoint_sizes(svc):
    with svc.runtime.db.snapshot() as session:
        return list(session.scalars(select(Checkpoint.tree_size).order_by(Checkpoint.tree_size)))


def test_an_intact_log_gets_its_next_checkpoint_and_counts_nothing(svc):
    before = failures("checkpoint")
    fill(svc, 20)
    assert job(svc) == 1
    fill(svc, 5, start=20)
    assert job(svc) == 1
    assert checkpoint_sizes(svc) == [20, 25] and failures("checkpoint") == before


def test_an_entry_edited_after_its_checkpoint_stops_signing_and_is_counted(svc):
    fill(svc, 20)
    assert job(svc) == 1
    with svc.runtime.db.transaction() as session:  # entry 18 sits in the unstored right edge of the tree
        session.execute(update(AuditEntry).where(AuditEntry.seq == 18).values(payload='{"forged":true}'))
    fill(svc, 4, start=20)
    before = failures("checkpoint")
    with pytest.raises(commands.AuditLogBroken, match="differs from the signed root"):
        job(svc)
    assert failures("checkpoint") == before + 1
    assert checkpoint_sizes(svc) == [20]  # nothing signed over the change


def test_a_truncated_log_is_caught_by_the_checkpoint_job(svc):
    fill(svc, 6)
    assert job(svc) == 1
    with svc.runtime.db.transaction() as session:
        session.execute(update(Checkpoint).values(tree_size=Checkpoint.tree_size + 10))
        assert session.scalar(select(func.max(Checkpoint.tree_size))) == 16
    before = failures("checkpoint")
    with pytest.raises(commands.AuditLogBroken):
        job(svc)
    assert failures("checkpoint") == before + 1


def test_a_failed_verify_request_is_counted(svc):
    fill(svc, 4)
    job(svc)
    before = failures("verify")
    assert svc.client.get("/v1/audit/verify", headers=svc.headers()).json["valid"] is True
    assert failures("verify") == before
    with svc.runtime.db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(payload='{"forged":true}'))
    assert svc.client.get("/v1/audit/verify", headers=svc.headers()).json["valid"] is False
    assert failures("verify") == before + 1


def test_auditors_are_told_of_a_log_that_no_longer_holds_until_it_does(svc):
    """Issue 17 item 14: the alarm auditors see (GET /v1/audit/alarms, shown on every auditor page)."""
    fill(svc, 20)
    assert job(svc) == 1
    assert svc.client.get("/v1/audit/alarms", headers=svc.headers()).json == []
    with svc.runtime.db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 18).values(payload='{"forged":true}'))
    (alarm,) = svc.client.get("/v1/audit/alarms", headers=svc.headers()).json
    assert alarm["kind"] == "checkpoint" and "differs from the signed root" in alarm["detail"]
    assert svc.client.get("/v1/audit/alarms", headers=svc.headers("reader")).status_code == 403
