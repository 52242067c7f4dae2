"""One SQLAlchemy engine per service: SQLite in WAL mode by default, PostgreSQL when configured."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, create_engine, event, text
from sqlalchemy.types import TypeDecorator
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """Create the engine; SQLite gets WAL, a busy timeout and foreign keys on every connection."""
    if database_url.startswith("sqlite"):
        path = database_url.split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - exercised by every SQLite test
            # Let SQLAlchemy, not pysqlite, issue BEGIN, so a transaction starts with BEGIN IMMEDIATE below.
            dbapi_connection.isolation_level = None
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
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(database_url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class Database:
    """The engine and session factory of one service."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.engine = make_engine(database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

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
        keeps the objects read usable, detached), and the pool resets the isolation level."""
        with self.sessions() as session:
            if self.dialect == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


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
