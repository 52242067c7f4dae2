"""A snapshot session sees one state of the database for all its statements, whatever commits meanwhile."""
import threading

import pytest
from sqlalchemy import func, insert, select


def count(session, table):
    return session.scalar(select(func.count()).select_from(table))


def test_a_snapshot_does_not_see_what_commits_during_it(runtime_factory):
    runtime = runtime_factory()
    notes = runtime.spec.metadata.tables["notes"]
    with runtime.db.transaction() as session:
        session.execute(insert(notes).values(text="before"))

    def write_one():
        with runtime.db.transaction() as session:
            session.execute(insert(notes).values(text="during"))

    with runtime.db.snapshot() as session:
        assert count(session, notes) == 1
        writer = threading.Thread(target=write_one)
        writer.start()
        if runtime.db.dialect == "sqlite":
            writer.join(0.3)  # SQLite: the snapshot's transaction holds the write lock; the writer waits for it
            assert writer.is_alive()
        else:
            writer.join(10)  # PostgreSQL: the writer commits while the snapshot is open
            assert not writer.is_alive()
        assert count(session, notes) == 1  # a later statement of the snapshot sees the same state
        assert session.scalars(select(notes.c.text)).all() == ["before"]
    writer.join(10)
    with runtime.db.sessions() as session:
        assert count(session, notes) == 2


def test_a_snapshot_writes_nothing(runtime_factory):
    runtime = runtime_factory()
    notes = runtime.spec.metadata.tables["notes"]
    with runtime.db.snapshot() as session:
        session.execute(insert(notes).values(text="dropped"))
    with runtime.db.sessions() as session:
        assert count(session, notes) == 0
    with pytest.raises(RuntimeError), runtime.db.snapshot():
        raise RuntimeError("a failing read leaves the connection clean")


def test_the_pool_gives_the_next_session_the_default_isolation_back(runtime_factory):
    runtime = runtime_factory()
    runtime.db.engine.dispose()  # one pooled connection, the snapshot's, is the one the next session gets
    with runtime.db.snapshot() as session:
        snapshot_level = session.connection().get_isolation_level()
    with runtime.db.sessions() as session:
        level = session.connection().get_isolation_level()
    if runtime.db.dialect == "postgresql":
        assert (snapshot_level, level) == ("REPEATABLE READ", "READ COMMITTED")
    else:
        assert snapshot_level == level
