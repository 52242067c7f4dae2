"""A snapshot session sees one state of the database for all its statements, whatever commits meanwhile; SQLite
writers queue for each other in the kernel."""
import threading

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from wangge_common.db import make_engine


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
        # The writer commits while the snapshot is open (SQLite: the snapshot reads on the read engine, in a
        # deferred transaction that takes no write lock; WAL keeps its view), and never waits for it.
        writer.join(10)
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
        if runtime.db.dialect == "sqlite":  # the read engine is query_only: a write through it is refused
            with pytest.raises(OperationalError):
                session.execute(insert(notes).values(text="dropped"))
        else:
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


# --- SQLite writers queue in the kernel (flock), not in SQLite's sleeping busy handler ------------------------
def _notes_engine(path, **kwargs):
    engine = make_engine(f"sqlite:///{path}", **kwargs)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS notes (text TEXT UNIQUE)")
    return engine


def test_a_writer_waits_for_the_one_before_it_and_goes_on_when_it_commits(tmp_path):
    first, second = _notes_engine(tmp_path / "q.db"), make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    assert (tmp_path / "q.db-writers").exists()
    order, entered = [], threading.Event()

    def later_writer():
        entered.set()
        with second.begin() as conn:  # another process's engine in real life: blocks in flock
            order.append("second begins")
            conn.exec_driver_sql("INSERT INTO notes VALUES ('second')")

    with first.begin() as conn:
        conn.exec_driver_sql("INSERT INTO notes VALUES ('first')")
        thread = threading.Thread(target=later_writer)
        thread.start()
        assert entered.wait(5)
        thread.join(0.3)
        assert thread.is_alive() and order == []  # still queued behind the open transaction
        order.append("first commits")
    thread.join(10)
    assert order == ["first commits", "second begins"]
    with first.connect() as conn:
        assert conn.exec_driver_sql("SELECT text FROM notes ORDER BY text").scalars().all() == ["first", "second"]


def test_the_queue_is_left_on_rollback_and_on_a_failed_statement(tmp_path):
    engine = _notes_engine(tmp_path / "r.db")
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO notes VALUES ('x')")
            conn.exec_driver_sql("INSERT INTO notes VALUES ('x')")
    other = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    done = threading.Event()

    def write():
        with other.begin() as conn:
            conn.exec_driver_sql("INSERT INTO notes VALUES ('y')")
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(10)  # nobody holds the queue: the rolled-back writer left it


def test_a_thread_writing_on_a_second_connection_does_not_wait_for_itself(tmp_path):
    """It falls back to SQLite's busy timeout, which fails, where waiting on its own flock would hang."""
    engine = _notes_engine(tmp_path / "s.db")

    @event.listens_for(engine, "connect")
    def _short_busy_timeout(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    engine.dispose()
    with engine.begin() as outer:
        outer.exec_driver_sql("INSERT INTO notes VALUES ('outer')")
        with pytest.raises(OperationalError, match="locked"):
            with engine.begin() as inner:
                inner.exec_driver_sql("INSERT INTO notes VALUES ('inner')")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT text FROM notes").scalars().all() == ["outer"]


def test_without_the_queue_there_is_no_lock_file(tmp_path):
    _notes_engine(tmp_path / "t.db", writer_queue=False)
    assert not (tmp_path / "t.db-writers").exists()


def test_a_forked_child_does_not_keep_the_parents_writer_lock(tmp_path):
    import os

    engine, other = _notes_engine(tmp_path / "f.db"), make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    read_end, write_end = os.pipe()
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO notes VALUES ('parent')")
        child = os.fork()
        if child == 0:  # the child outlives the parent's transaction, holding whatever it inherited
            os.close(write_end)
            os.read(read_end, 1)
            os._exit(0)
    done = threading.Event()

    def write():
        with other.begin() as c:
            c.exec_driver_sql("INSERT INTO notes VALUES ('after')")
        done.set()

    threading.Thread(target=write, daemon=True).start()
    try:
        assert done.wait(10), "the child's inherited descriptor kept the writers' lock"
    finally:
        os.close(write_end)
        os.waitpid(child, 0)
        os.close(read_end)
