"""One SQLAlchemy engine per service: SQLite in WAL mode by default, PostgreSQL when configured."""
from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, create_engine, event, text
from sqlalchemy.types import TypeDecorator
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


class _WriterQueue:
    """Writers of one SQLite file wait for each other in the kernel (flock on `<file>-writers`), not in SQLite.

    SQLite's busy handler polls a held write lock by sleeping 1, 2, 5, 10 … ms between tries, so the lock sits
    free while every waiter sleeps, and a writer can wait far longer than the transaction it waits for. Taking
    an exclusive flock before BEGIN IMMEDIATE makes waiters queue in the kernel, each woken the moment the one
    before it commits. It is only an addition: SQLite's own lock still decides, a process that does not take
    the flock (the sqlite3 shell, a backup tool) is handled by the busy timeout as before, and a crashed holder's
    flock goes with its process. A thread that already writes on another connection of the same file does not
    queue behind itself: it falls back to the busy timeout, which fails after 30 s instead of waiting forever.
    """

    def __init__(self, path: str):
        self.path = f"{path}-writers"
        self._holders: set[int] = set()  # threads of this process in the queue's lock

    def acquire(self, dbapi_connection) -> None:
        me = threading.get_ident()
        if me in self._holders:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without the GIL
        except BaseException:
            os.close(fd)
            raise
        self._holders.add(me)
        _HELD.add(fd)
        dbapi_connection.wangge_writer = (fd, me)

    def release(self, dbapi_connection) -> None:
        held = dbapi_connection.wangge_writer
        if held is not None:
            dbapi_connection.wangge_writer = None
            self._holders.discard(held[1])
            if held[0] in _HELD:  # not if a fork's child already let go of its copy
                _HELD.discard(held[0])
                os.close(held[0])  # closing the descriptor releases its flock


# Descriptors holding a writers' flock in this process. A forked child shares them (flock belongs to the open
# file, not the process), so a lock would outlive its holder's release until the child exits: the child closes
# its copies at once (without unlocking, which would unlock the parent too).
_HELD: set[int] = set()


def _forget_writer_locks_in_child() -> None:
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_forget_writer_locks_in_child)


class _QueuedConnection(sqlite3.Connection):
    """A pysqlite connection that leaves the writers' queue when its transaction ends."""

    wangge_writers: _WriterQueue | None = None
    wangge_writer: tuple[int, int] | None = None  # (descriptor holding the flock, thread that took it)

    def _leave_queue(self) -> None:
        if self.wangge_writers is not None:
            self.wangge_writers.release(self)

    def commit(self):
        try:
            super().commit()
        finally:
            self._leave_queue()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._leave_queue()

    def close(self):
        try:
            super().close()
        finally:
            self._leave_queue()


def make_engine(database_url: str, *, pool_size: int = 10, writer_queue: bool = True) -> Engine:
    """Create the engine; SQLite gets WAL, a busy timeout and foreign keys on every connection, and (for a file)
    its writers queue in the kernel (_WriterQueue)."""
    if database_url.startswith("sqlite"):
        path = database_url.split("sqlite:///", 1)[-1]
        writers = None
        connect_args = {"timeout": 30, "check_same_thread": False}
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if writer_queue:
                writers = _WriterQueue(os.path.abspath(path))
                connect_args["factory"] = _QueuedConnection
        engine = create_engine(database_url, connect_args=connect_args)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - exercised by every SQLite test
            # Let SQLAlchemy, not pysqlite, issue BEGIN, so a transaction starts with BEGIN IMMEDIATE below.
            dbapi_connection.isolation_level = None
            if writers is not None:
                dbapi_connection.wangge_writers = writers
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover
            # Take the write lock up front: a deferred transaction that later writes can fail with
            # SQLITE_BUSY without waiting, which would turn concurrent requests into errors.
            if writers is not None:
                writers.acquire(conn.connection.dbapi_connection)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                if writers is not None:
                    writers.release(conn.connection.dbapi_connection)
                raise

        return engine
    return create_engine(database_url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def make_read_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """SQLite: an engine for reads only, on its own pooled connections: deferred transactions (no BEGIN IMMEDIATE,
    no writers' flock) and `query_only`, so a read never queues behind a writer; WAL lets it read the last
    committed state while a writer writes."""
    engine = create_engine(database_url, pool_size=pool_size, max_overflow=pool_size,
                           connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _read_pragmas(dbapi_connection, _record):  # pragma: no cover - exercised by every SQLite test
        dbapi_connection.isolation_level = None  # SQLAlchemy issues BEGIN (below), so a session is one snapshot
        dbapi_connection.execute("PRAGMA busy_timeout=30000")
        dbapi_connection.execute("PRAGMA query_only=ON")

    @event.listens_for(engine, "begin")
    def _read_begin(conn):  # pragma: no cover
        conn.exec_driver_sql("BEGIN")  # deferred: a read lock from the first statement, never the write lock

    return engine


class Database:
    """The engine and session factories of one service: `sessions` and `transaction` for writes, `reads` for
    reads (on SQLite a separate engine whose transactions take no write lock; on PostgreSQL the same engine)."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.engine = make_engine(database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine: Engine | None = None
        self._read_sessions = None
        self._read_lock = threading.Lock()

    def reads(self) -> Session:
        """A session for reads only. SQLite: never takes BEGIN IMMEDIATE or the writers' queue, so readers do not
        wait for a long write (an import); a write through it fails (query_only). PostgreSQL: a plain session."""
        path = self.url.split("sqlite:///", 1)[-1] if self.dialect == "sqlite" else ""
        if not path or path == ":memory:" or path.startswith("file:"):  # PostgreSQL, or no file to share
            return self.sessions()
        if self._read_sessions is None:
            with self._read_lock:
                if self._read_sessions is None:
                    self._read_engine = make_read_engine(self.url)
                    self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        return self._read_sessions()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any exception."""
        with self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A session whose statements all see one state of the database, for reads that must agree with each
        other (a log and the hashes over it, a listing and its total). PostgreSQL's default READ COMMITTED gives
        every statement its own snapshot, so such a read runs REPEATABLE READ; a SQLite transaction already sees
        one state from its first statement to its end. Nothing is written: closing the session rolls back (and
        keeps the objects read usable, detached), and the pool resets the isolation level. On SQLite it reads
        through `reads`: no write lock."""
        with self.reads() as session:
            if self.dialect == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    def ping(self) -> None:
        with self.reads() as session:  # a readiness probe must not queue behind a writer
            session.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        if self._read_engine is not None:
            self._read_engine.dispose()


class UtcDateTime(TypeDecorator):
    """Timestamps stored in UTC and read back timezone-aware, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
