"""Bulk load: the rebuilt log, tree nodes, chain head, checkpoints and projections written into a fresh, migrated
database in one transaction (SQLite straight through the driver, PostgreSQL through Core's executemany)."""
from __future__ import annotations

import sqlite3
from operator import itemgetter
from typing import Iterable

from sqlalchemy import Boolean, Integer, String, func, select

from wangge_common.db import Database, utcnow

from ..models import AuditEntry, ChainHead, Checkpoint, MerkleNode
from .rebuilding import LOG_COLUMNS, Rebuilt

DEFER_INDEXES = True
PAGE_SIZE = 8192


class BulkLoader:
    """Bulk inserts in one transaction. SQLite: straight through the driver's executemany, with the fresh
    database's rollback journal in memory and without fsync while loading (the replay database is a scratch copy
    rebuilt from the source, so a crash mid-load loses nothing: delete it and replay again); PostgreSQL: Core's
    executemany inside a session transaction."""

    def __init__(self, db: Database):
        self.db, self.sqlite = db, db.dialect == "sqlite"

    def __enter__(self):
        if self.sqlite:
            self.raw = self.db.engine.raw_connection()
            self.cursor = self.raw.driver_connection.cursor()
            self.cursor.execute("PRAGMA synchronous=OFF")
            try:  # leaving WAL needs the database to itself; a database in use keeps WAL (and is refused below)
                self.journal = self.cursor.execute("PRAGMA journal_mode=MEMORY").fetchone()[0]
            except sqlite3.OperationalError:
                self.journal = "wal"
            if PAGE_SIZE and self.journal != "wal" and self._empty():
                # larger pages for a million log rows; only an empty database can still change them (VACUUM)
                self.cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
                self.cursor.execute("VACUUM")
            self.cursor.execute("BEGIN IMMEDIATE")
        else:
            self.session_cm = self.db.transaction()
            self.session = self.session_cm.__enter__()
        return self

    def __exit__(self, kind, value, tb):
        if not self.sqlite:
            return self.session_cm.__exit__(kind, value, tb)
        try:
            self.cursor.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            if self.journal != "wal":
                self.cursor.execute("PRAGMA journal_mode=WAL")  # what every service connection sets anyway
            self.cursor.execute("PRAGMA synchronous=NORMAL")
            self.cursor.close()
            self.raw.close()
        return False

    def _empty(self) -> bool:
        return self.cursor.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0

    def count(self, table) -> int:
        if self.sqlite:
            return self.cursor.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
        return self.session.scalar(select(func.count()).select_from(table))

    def bound(self, column, value):
        """`value` as SQLAlchemy would bind it into `column` (on SQLite a timestamp becomes its text form)."""
        if not self.sqlite:
            return value
        dialect = self.db.engine.dialect
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        return value if process is None else process(value)

    def insert(self, table, columns: tuple, rows: Iterable[tuple], chunk: int = 20000,
               bound_already: tuple = ()) -> None:
        """Rows as tuples in `columns` order; values as SQLAlchemy would bind them (booleans, numbers and text
        as they are, other types through `bound` unless named in `bound_already`)."""
        if self.sqlite:
            self._insert_sqlite(table, columns, rows, bound_already)
        else:
            self._insert_core(table, columns, rows, chunk)

    def _insert_sqlite(self, table, columns: tuple, rows: Iterable[tuple], bound_already: tuple) -> None:
        """Straight through the driver's executemany, the table's indexes dropped and built again after."""
        convert = [None if c in bound_already or isinstance(table.c[c].type, (Boolean, Integer, String))
                   else table.c[c] for c in columns]
        if any(c is not None for c in convert):
            rows = (tuple(v if c is None else self.bound(c, v) for v, c in zip(row, convert)) for row in rows)
        names = ", ".join(f'"{c}"' for c in columns)
        indexes = self.cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                      "AND sql IS NOT NULL", (table.name,)).fetchall() if DEFER_INDEXES else []
        for name, _ in indexes:  # built once after the load (a sort) instead of row by row
            self.cursor.execute(f'DROP INDEX "{name}"')
        self.cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})",
                                rows)
        for _, sql in indexes:
            self.cursor.execute(sql)

    def _insert_core(self, table, columns: tuple, rows: Iterable[tuple], chunk: int) -> None:
        """Core's executemany in chunks, inside the session's transaction (PostgreSQL)."""
        batch = []
        for row in rows:
            batch.append(dict(zip(columns, row)))
            if len(batch) == chunk:
                self.session.execute(table.insert(), batch)
                batch = []
        if batch:
            self.session.execute(table.insert(), batch)

    def insert_dicts(self, table, rows: Iterable[dict]) -> None:
        """Rows as dicts holding every column of the table."""
        columns = tuple(c.name for c in table.columns)
        self.insert(table, columns, map(itemgetter(*columns), rows))


def write(rebuilt: Rebuilt, db: Database, checkpoints: list[dict]) -> None:
    """Write log, stored tree nodes, head, checkpoints and every projection into an empty, migrated database, in
    one transaction."""
    with BulkLoader(db) as load:
        if load.count(AuditEntry.__table__):
            raise ValueError("the target database is not empty: replay writes into a fresh one")
        recorded_at = load.bound(AuditEntry.__table__.c.recorded_at, utcnow())
        load.insert(AuditEntry.__table__, LOG_COLUMNS + ("recorded_at",),
                    (row + (recorded_at,) for row in rebuilt.rows), bound_already=("recorded_at",))
        load.insert(MerkleNode.__table__, ("level", "idx", "hash"),
                    ((level, idx, value.hex()) for level, idx, value in rebuilt.tree.stored_nodes()))
        load.insert(ChainHead.__table__, ("id", "seq", "hash"), [(1, rebuilt.entries, rebuilt.head_hash)])
        cp_columns = ("tree_size", "root_hash", "signed_at", "public_key", "signature")
        load.insert(Checkpoint.__table__, cp_columns, [tuple(cp[k] for k in cp_columns) for cp in checkpoints])
        for model, rows in rebuilt.store.sorted_tables():
            load.insert_dicts(model.__table__, rows)
