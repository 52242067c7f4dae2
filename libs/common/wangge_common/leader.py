"""One leader per service among its replicas: the relay (so per-aggregate order holds) and the scheduler."""
from __future__ import annotations

import contextlib
import fcntl
import zlib
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .runtime import Runtime


class RelayLock:
    """Only one relay of a service publishes at a time, so per-aggregate order holds across replicas.
    With another `purpose` ("scheduler") the same lock elects one leader for other singleton work."""

    def __init__(self, runtime: Runtime, purpose: str = "relay"):
        self.runtime = runtime
        self.purpose = purpose
        self._key = zlib.crc32(f"wangge-{purpose}-{runtime.service}".encode())
        self._file = None
        self._conn = None

    def acquire(self) -> bool:
        if self.runtime.db.dialect == "sqlite":
            path = Path(self.runtime.settings.database_url.split("sqlite:///", 1)[-1] + f".{self.purpose}.lock")
            handle = open(path, "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._file = handle
            return True
        conn = self.runtime.db.engine.connect()
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar():
            conn.commit()
            self._conn = conn
            return True
        conn.close()
        return False

    def still_held(self) -> bool:
        if self._file is not None:
            return True
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None:
            # The lock belongs to the database session, which a pooled connection outlives: unlock explicitly.
            with contextlib.suppress(SQLAlchemyError):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.commit()
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None
