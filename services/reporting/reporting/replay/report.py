"""`wangge replay`: read the records, rebuild, load into a fresh database, verify, compare with the live service,
and the report as canonical JSON."""
from __future__ import annotations

import hashlib
import json
from datetime import date

from wangge_common import contracts, migrations
from wangge_common.db import Database
from wangge_common.runtime import ServiceSpec
from wangge_common.settings import Settings

from ..models import INFRA, MIGRATIONS, Base, PendingEvent
from ..queries import audit, performance
from .bulk import write
from .compare import check_checkpoints, diff, live_snapshot_http, snapshot, years
from .rebuilding import rebuild
from .sources import records_from_file, records_from_kafka

# What migrating a replay database needs of reporting's spec: its schema, not its consumers or jobs.
SCHEMA = ServiceSpec(name="reporting", metadata=Base.metadata, tables=INFRA, migrations=MIGRATIONS)


def replay(*, into: str, source_file=None, kafka_bootstrap: str | None = None, kafka_security: dict | None = None,
           trusted_key: str | None = None, live_database_url: str | None = None, live_url: str | None = None, api_key: str | None = None,
           as_of: date | None = None, idle_s: float = 5.0) -> dict:
    """Rebuild into the database at `into`, verify, and diff against the live service; returns the report."""
    as_of = as_of or performance.today()
    if source_file is not None:
        records, checkpoints = records_from_file(source_file)
        source = "export"
    else:
        records, checkpoints = records_from_kafka(kafka_bootstrap, list(contracts.TOPICS), idle_s=idle_s,
                                                  security=kafka_security), []
        source = "kafka"
    rebuilt = rebuild(records, parallel=True)
    db = Database(into)
    try:
        migrations.upgrade(SCHEMA, Settings.from_env("reporting", {"WANGGE_REPORTING_DATABASE_URL": into}))
        write(rebuilt, db, checkpoints)
        with db.sessions() as session:
            year_list = years(session)
            replayed = snapshot(session, year_list, as_of)
            verified = audit.verify(session)
    finally:
        rebuilt.close()
        db.dispose()
    report = {
        "source": source, "entries": rebuilt.entries, "duplicates_skipped": rebuilt.duplicates,
        "chain": {"valid": rebuilt.chain_problem is None, "first_bad": rebuilt.chain_problem} if source == "export"
        else {"valid": None, "note": "Kafka order differs from the live arrival order: chain rebuilt, not compared"},
        "rebuilt_log_verifies": verified["valid"], "root_hash": rebuilt.tree.root(rebuilt.tree.size).hex(),
        "checkpoints": check_checkpoints(rebuilt.tree, checkpoints, trusted_key),
        "pending_case_events": len(rebuilt.store.tables[PendingEvent]),
        "kpis_sha256": hashlib.sha256(json.dumps(replayed, ensure_ascii=False, sort_keys=True).encode()).hexdigest(),
    }
    live = None
    if live_database_url:
        live_db = Database(live_database_url)
        try:
            with live_db.snapshot() as session:
                live = snapshot(session, year_list, as_of)
        finally:
            live_db.dispose()
    elif live_url:
        live = live_snapshot_http(live_url, api_key, year_list)
    if live is not None:
        differences = diff(live, replayed)
        report["kpis_vs_live"] = {"identical": not differences, "differences": differences}
    return report


def render(report: dict) -> str:
    """The report as canonical JSON: the same inputs give the same bytes."""
    return json.dumps(report, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
