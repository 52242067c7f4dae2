"""Replay from an export: same KPIs as the live service, chain and signed checkpoints verified, byte-identical twice."""
import io
import json
from datetime import date, datetime, timezone

import pytest

from wangge_common.testing import create_test_database, event
from reporting import commands, replay
from reporting.replay import rebuilding
from reporting.samples import G1, P1, deliver_all, fixture_events, uid

KEY = commands.load_signing_key(commands.new_signing_key())


@pytest.fixture
def live(svc):
    roster, cases = fixture_events()
    deliver_all(svc, roster)
    deliver_all(svc, cases["a"].events + cases["b"].events[:4])
    with svc.runtime.db.transaction() as session:
        commands.sign_checkpoint(session, KEY, datetime(2026, 11, 21, tzinfo=timezone.utc))
    late = cases["c"].events
    deliver_all(svc, late[1:])  # before its registration: pending for a while
    for case in (cases["d"], cases["e"], cases["f"]):
        deliver_all(svc, case.events)
    deliver_all(svc, cases["b"].events[4:] + late[:1])
    deliver_all(svc, [event("visit.recorded", uid("v1"), {
        "visit_id": uid("v1"), "deputy_id": P1, "grid_id": G1, "visited_on": "2026-11-03",
        "household_ids": [uid("h1")], "residents_reached": 2, "cases_registered": 0, "kind": "door_to_door"})])
    with svc.runtime.db.transaction() as session:
        commands.sign_checkpoint(session, KEY, datetime(2026, 11, 22, tzinfo=timezone.utc))
    return svc


@pytest.fixture
def fresh_db(tmp_path):
    made = []

    def make(name):
        url, drop = create_test_database(f"replay_{name}", tmp_path)
        made.append(drop)
        return url

    yield make
    for drop in made:
        drop()


def exported(svc) -> str:
    out = io.StringIO()
    replay.export(svc.database_url, out)
    return out.getvalue()


def run(svc, text, into):
    return replay.replay(into=into, source_file=io.StringIO(text), trusted_key=commands.public_key_hex(KEY),
                         live_database_url=svc.database_url, as_of=date(2026, 12, 31))


def test_replay_from_an_export_matches_the_live_kpis_and_is_byte_identical_twice(live, fresh_db):
    text = exported(live)
    first = run(live, text, fresh_db("one"))
    assert first["chain"] == {"valid": True, "first_bad": None} and first["rebuilt_log_verifies"] is True
    assert [c["valid"] for c in first["checkpoints"]] == [True, True]
    assert first["kpis_vs_live"] == {"identical": True, "differences": []}
    assert first["entries"] == len([line for line in text.splitlines() if '"kind": "entry"' in line])
    assert first["pending_case_events"] == 0
    assert first["root_hash"] == live.client.get("/v1/audit/verify", headers=live.headers()).json["root_hash"]
    second = run(live, text, fresh_db("two"))
    assert replay.render(first).encode() == replay.render(second).encode()


def test_the_bulk_load_stores_values_as_the_service_does(live, fresh_db):
    """The SQLite bulk path binds through the column types: a timestamp is stored in SQLAlchemy's text form and
    reads back as an aware UTC datetime, like one the consumer wrote."""
    from sqlalchemy import select, text

    from wangge_common.db import Database
    from reporting.models import AuditEntry

    into = fresh_db("types")
    run(live, exported(live), into)
    db = Database(into)
    try:
        with db.sessions() as session:
            stored = session.scalars(select(AuditEntry.recorded_at)).first()
            assert stored.tzinfo is not None and stored.utcoffset().total_seconds() == 0
            if db.dialect == "sqlite":
                raw = session.execute(text("SELECT recorded_at FROM audit_log LIMIT 1")).scalar()
                with live.runtime.db.sessions() as other:
                    live_raw = other.execute(text("SELECT recorded_at FROM audit_log LIMIT 1")).scalar()
                assert len(raw) == len(live_raw) and raw[10] == live_raw[10] == " " and "+" not in raw
    finally:
        db.dispose()


def test_a_forged_export_is_caught_by_the_chain_and_the_signed_checkpoint(live, fresh_db):
    lines = exported(live).splitlines()
    entry = json.loads(lines[4])
    payload = json.loads(entry["payload"])
    payload["data"]["reason"] = "forged"
    entry["payload"] = json.dumps(payload)
    lines[4] = json.dumps(entry)
    report = run(live, "\n".join(lines), fresh_db("forged"))
    assert report["chain"]["first_bad"]["seq"] == 5
    assert [c["valid"] for c in report["checkpoints"]] == [False, False]


def test_a_replay_differs_from_a_live_service_that_changed(live, fresh_db):
    text = exported(live)
    deliver_all(live, fixture_events()[1]["d"].__class__("extra", G1).events)  # the live service moved on
    report = run(live, text, fresh_db("moved"))
    assert report["kpis_vs_live"]["identical"] is False
    assert any(d.startswith("/kpis/cases_total") for d in report["kpis_vs_live"]["differences"])


def test_replay_refuses_a_database_that_is_not_empty(live):
    with pytest.raises(ValueError, match="not empty"):
        run(live, exported(live), live.database_url)


def test_the_wangge_commands(live, fresh_db, tmp_path, capsys):
    from wangge_common import cli

    path = tmp_path / "log.jsonl"
    assert cli.main(["export", "--database-url", live.database_url, "-o", str(path)]) == 0
    report_path = tmp_path / "report.json"
    code = cli.main(["replay", "--file", str(path), "--into", fresh_db("cli"), "--public-key",
                     commands.public_key_hex(KEY), "--live-database-url", live.database_url, "--report",
                     str(report_path)])
    report = json.loads(report_path.read_text())
    assert code == 0 and report["kpis_vs_live"]["identical"] is True
    code = cli.main(["replay", "--file", str(path), "--into", fresh_db("cli2"), "--public-key", "00" * 32])
    assert code == 1 and "other than the trusted" in capsys.readouterr().out


def test_the_forked_rebuild_gives_exactly_what_the_serial_one_gives(live, monkeypatch):
    records, _ = replay.records_from_file(io.StringIO(exported(live)))
    records.insert(3, dict(records[1]))  # a redelivered event: skipped by both
    monkeypatch.setattr(rebuilding, "PARALLEL_FROM", 0)
    serial = replay.rebuild(records)
    forked = replay.rebuild(records, parallel=True)
    assert isinstance(forked.derived, rebuilding._Forked)
    assert (forked.rows, forked.head_hash, forked.duplicates) == (serial.rows, serial.head_hash, 1)
    assert forked.tree.levels == serial.tree.levels and forked.tree.root(forked.tree.size) == serial.tree.root(
        serial.tree.size)
    assert list(forked.store.sorted_tables()) == list(serial.store.sorted_tables())


def test_a_failure_in_the_forked_process_is_raised(live, monkeypatch):
    records, _ = replay.records_from_file(io.StringIO(exported(live)))
    monkeypatch.setattr(rebuilding, "PARALLEL_FROM", 0)

    def broken(_records):
        raise ValueError("a record the projector cannot read")

    monkeypatch.setattr(rebuilding, "project", broken)
    rebuilt = replay.rebuild(records, parallel=True)
    with pytest.raises(RuntimeError, match="cannot read"):
        rebuilt.store
