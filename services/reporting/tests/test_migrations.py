"""Revision 7c41d2e9a8b5 keeps only the Merkle subtrees of 16 leaves and more; downgrading puts the small ones back."""
import pytest
from alembic import command
from sqlalchemy import create_engine, text

from wangge_common import migrations
from wangge_common.settings import Settings
from wangge_common.testing import create_test_database
from reporting import domain, merkle
from reporting.service import SPEC


@pytest.fixture
def database(tmp_path):
    url, drop = create_test_database("reporting_migrations", tmp_path)
    yield url
    drop()


def nodes(engine):
    with engine.connect() as conn:
        return {(level, idx): value for level, idx, value in conn.execute(
            text("SELECT level, idx, hash FROM audit_merkle_nodes"))}


def test_the_small_subtrees_go_on_upgrade_and_come_back_on_downgrade(database):
    settings = Settings.from_env("reporting", {"WANGGE_REPORTING_DATABASE_URL": database})
    config = migrations.alembic_config(SPEC, settings)
    migrations.upgrade(SPEC, settings, "0fc893af50a0")
    engine = create_engine(database)
    tree, prev, rows = merkle.MemoryTree(), domain.GENESIS, []
    for seq in range(1, 38):
        fields = dict(seq=seq, topic="cases.v1", partition=0, offset=seq, event_id=f"e-{seq}", payload=f'{{"n":{seq}}}')
        digest = domain.entry_hash(prev, **fields)
        rows.append(dict(fields, event_type="x", source="/t", subject="s", event_time="2026-01-01T00:00:00Z",
                         prev_hash=prev, hash=digest, recorded_at="2026-01-01 00:00:00"))
        tree.append(merkle.leaf_hash(domain.entry_bytes(**fields)))
        prev = digest
    everything = {(level, idx): value.hex() for level, row in enumerate(tree.levels) for idx, value in enumerate(row)}
    with engine.begin() as conn:
        conn.execute(text('INSERT INTO audit_log (seq, topic, "partition", "offset", event_id, event_type, source, '
                          "subject, event_time, payload, prev_hash, hash, recorded_at) VALUES (:seq, :topic, "
                          ":partition, :offset, :event_id, :event_type, :source, :subject, :event_time, :payload, "
                          ":prev_hash, :hash, :recorded_at)"), rows)
        conn.execute(text("INSERT INTO audit_merkle_nodes (level, idx, hash) VALUES (:l, :i, :h)"),
                     [{"l": level, "i": idx, "h": value} for (level, idx), value in everything.items()])
    command.upgrade(config, "7c41d2e9a8b5")
    assert nodes(engine) == {(level, idx): value.hex() for level, idx, value in tree.stored_nodes()}
    assert set(nodes(engine)) == {(4, 0), (4, 1), (5, 0)}
    command.downgrade(config, "0fc893af50a0")
    assert nodes(engine) == everything
    engine.dispose()


def test_the_deputies_case_counts_are_filled_from_the_cases_on_upgrade(database):
    """Revision f1a3c5e7b9d2 fills deputy_case_counts from case_facts with the projector's own counts."""
    from sqlalchemy import insert

    from reporting.models import CaseFact, DeputyCaseCount
    from reporting.samples import REGISTERED

    settings = Settings.from_env("reporting", {"WANGGE_REPORTING_DATABASE_URL": database})
    migrations.upgrade(SPEC, settings, "d4f6a8c0e2b5")
    cases = []
    for i, (deputy, replied, category, special, outcome) in enumerate([
            ("p1", True, "request", True, "satisfied"), ("p1", True, "suggestion", False, "unsatisfied"),
            ("p1", False, "suggestion", False, None), ("p2", False, "request", False, None),
            (None, True, "suggestion", True, "satisfied")]):
        case = domain.new_case(dict(REGISTERED, case_id=f"c{i}", received_at=f"202{5 + i % 2}-03-01T00:00:00Z"))
        case.update(deputy_id=deputy, replied=replied, category=category, special=special, outcome=outcome,
                    closed=outcome is not None, mediated=i == 0)
        cases.append(case)
    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(insert(CaseFact.__table__), cases)
    migrations.upgrade(SPEC, settings)
    with engine.connect() as conn:
        rows = {(r.deputy_id, r.year): {n: getattr(r, n) for n in domain.CASE_COUNTS}
                for r in conn.execute(DeputyCaseCount.__table__.select())}
    engine.dispose()
    expected = {}
    for key in {domain.deputy_year(c) for c in cases} - {None}:
        counts = domain.count_cases([c for c in cases if domain.deputy_year(c) == key])
        if any(counts.values()):
            expected[key] = counts
    assert rows == expected and ("p2", "2026") not in rows  # nothing to count: no row, as the projector leaves it
