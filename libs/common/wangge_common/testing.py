"""Test helpers: a migrated service on SQLite (or PostgreSQL with TEST_DATABASE_URL), keys, event delivery."""
from __future__ import annotations

import atexit
import dataclasses
import json
import os
import shutil
import socket
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import auth, crypto, migrations
from .consumer import Delivery, EventProcessor
from .envelope import Event
from .outbox import PreparedEvent, UnitOfWork
from .runtime import Runtime, ServiceSpec
from .settings import Settings
from .tokens import TokenIssuer, new_seed


def free_port() -> int:
    """A TCP port nothing listens on right now (for servers tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_test_database(service: str, tmp_path: Path) -> tuple[str, callable]:
    """A fresh, empty database for one service: SQLite under tmp_path, or a new PostgreSQL database; and its
    cleanup. Tests of the migrations themselves start from here; other tests use `create_migrated_database`."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / (service + '.db')}", lambda: None
    return _create_postgres_database(base, f"wgt_{service}_{uuid.uuid4().hex[:10]}")


def _create_postgres_database(base: str, name: str, template: str | None = None) -> tuple[str, callable]:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


# Migrated templates of this process, one per service (by name and script directory): a test gets a copy of its
# service's template instead of running every migration again (Alembic costs ~0.3 s a test, a copy a few ms).
_TEMPLATES: dict[tuple[str, str], str] = {}
_TEMPLATE_DIR: list[Path] = []


def _template_settings(spec: ServiceSpec, url: str) -> Settings:
    # A throwaway key: a data migration running on an empty database has nothing to encrypt.
    return Settings.from_env(spec.name, {f"WANGGE_{spec.name.upper()}_DATABASE_URL": url,
                                         "WANGGE_PII_KEY": crypto.new_key(), "WANGGE_VAR_DIR": tempfile.gettempdir()})


def _sqlite_template(name: str, migrate) -> str:
    if not _TEMPLATE_DIR:
        _TEMPLATE_DIR.append(Path(tempfile.mkdtemp(prefix="wgt-templates-")))
        atexit.register(shutil.rmtree, _TEMPLATE_DIR[0], True)
    path = _TEMPLATE_DIR[0] / f"{name}-{len(_TEMPLATES)}.db"
    migrate(f"sqlite:///{path}")
    # Fold the write-ahead log into the file and leave WAL mode, so the file alone is the whole database: a copy
    # carries no -wal/-shm state (a copy's first connection turns WAL back on, as make_engine does everywhere).
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return str(path)


def _postgres_template(name: str, migrate, base: str) -> str:
    # One template per database and process (pytest-xdist workers, parallel runs): named by pid, dropped at exit.
    template = f"wgt_tpl_{name}_{os.getpid()}"
    url, drop = _create_postgres_database(base, template)
    atexit.register(drop)
    migrate(url)  # its engine must be disposed when it ends: nobody may stay connected to the template, which
    # PostgreSQL requires of CREATE DATABASE ... TEMPLATE
    return template


def create_migrated_copy(name: str, key: str, migrate, tmp_path: Path) -> tuple[str, callable]:
    """A fresh database at its newest migration, and its cleanup: a copy of a template that `migrate(url)` brought
    up once per process and `key` (SQLite: the template's file copied; PostgreSQL: CREATE DATABASE ... TEMPLATE).
    For the services (`create_migrated_database`) and for the portal, which has no ServiceSpec."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if (name, key) not in _TEMPLATES:
            _TEMPLATES[(name, key)] = _sqlite_template(name, migrate)
        path = tmp_path / f"{name}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_TEMPLATES[(name, key)], path)
        return f"sqlite:///{path}", lambda: None
    if (name, key) not in _TEMPLATES:
        _TEMPLATES[(name, key)] = _postgres_template(name, migrate, base)
    return _create_postgres_database(base, f"wgt_{name}_{uuid.uuid4().hex[:10]}", _TEMPLATES[(name, key)])


def create_migrated_database(spec: ServiceSpec, tmp_path: Path) -> tuple[str, callable]:
    """A fresh database for one service at its newest migration, and its cleanup (see create_migrated_copy)."""
    return create_migrated_copy(spec.name, str(spec.migrations),
                                lambda url: migrations.upgrade(spec, _template_settings(spec, url)), tmp_path)


@dataclass
class ServiceHarness:
    """One service, migrated, with its app, runtime and API keys, for unit and database tests. Its database is a
    copy of a template migrated once per process (create_migrated_database)."""

    spec: ServiceSpec
    create_app: callable
    tmp_path: Path
    keys: dict = field(default_factory=dict)
    _apps: list = field(default_factory=list)

    def __post_init__(self):
        self.database_url, self._drop = create_migrated_database(self.spec, self.tmp_path)
        raw_entries = []
        for name, scopes in {"all": sorted(auth.service_scopes(self.spec)), "reader": ["cases:read", "roster:read"],
                             "none": []}.items():
            raw, entry = auth.new_key(name, scopes)
            self.keys[name] = raw
            raw_entries.append(entry)
        # A trusted token issuer, as the portal is in `make run`: tests mint people's access tokens with it.
        self.token_issuer = TokenIssuer("https://portal.test", new_seed())
        jwks = self.token_issuer.write_jwks(self.tmp_path / f"{self.spec.name}-jwks.json")
        self.settings = Settings.from_env(self.spec.name, {
            "WANGGE_VAR_DIR": str(self.tmp_path), f"WANGGE_{self.spec.name.upper()}_DATABASE_URL": self.database_url,
            "WANGGE_API_KEYS": json.dumps(raw_entries), "WANGGE_PII_KEY": crypto.new_key(),
            "WANGGE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
            "WANGGE_TOKEN_ISSUER": "https://portal.test", "WANGGE_TOKEN_JWKS": str(jwks),
        })
        self.app = self.create_app(self.settings)
        self.client = self.app.test_client()
        self.runtime: Runtime = self.app.extensions["wangge_runtime"]
        self._offset = 0

    def headers(self, key: str = "all", **extra) -> dict:
        return {"Authorization": f"Bearer {self.keys[key]}", **extra}

    def person(self, person_id: str = "p-1", *, scopes=("cases:read", "cases:write"), grids=None, departments=None,
               deputy=None, **extra) -> dict:
        """Headers carrying a person's access token, as the portal sends them."""
        token = self.token_issuer.mint(person_id, scopes=scopes, name="测试人员", grids=grids, departments=departments,
                                       deputy=deputy)
        return {"Authorization": f"Bearer {token}", **extra}

    def deliver(self, event: Event, topic: str, group: str = "test") -> str:
        """Hand an event to the service's handlers as the consumer would; returns the outcome."""
        self._offset += 1
        return EventProcessor(self.runtime, group).process(
            event, Delivery(topic, 0, self._offset, event.subject, None))

    def outbox(self) -> list[Event]:
        """Every event the service has written to its outbox, oldest first."""
        table = self.runtime.tables.outbox
        with self.runtime.db.sessions() as session:
            rows = session.execute(table.select().order_by(table.c.id)).all()
        return [Event.from_json(r.payload) for r in rows]

    def another_app(self, **changes):
        """Another app of the service on the same database, with some settings changed: what a second gunicorn
        worker (or replica) is. Its connections are closed with the harness (an engine left to the garbage
        collector warns on PostgreSQL, and the warning fails whichever test is running then)."""
        app = self.create_app(dataclasses.replace(self.settings, **changes))
        self._apps.append(app)
        return app

    def close(self) -> None:
        for app in self._apps:
            app.extensions["wangge_runtime"].db.dispose()
        self.runtime.db.dispose()
        self._drop()


class FakeUnitOfWork(UnitOfWork):
    """The unit of work without a database, for rule tests that run in milliseconds: it builds and validates every
    emitted event against its contract exactly as the real one does (`prepare` is the real one's), numbers each
    subject's events 1, 2, 3 … (or from `sequences`), and keeps them in `emitted`. There is no session: a rule under
    test takes plain objects. Leaving it with an exception drops what was emitted, as a rollback would.

        uow = FakeUnitOfWork("routing", actor="person:p-1")
        with uow:
            commands.escalate(uow, order, reason="逾期")   # the code under test emits through uow
        assert uow.events == [("work_order.escalated", order.id, {...})]
    """

    def __init__(self, service: str = "test", *, actor: str = "test", state=None, settings=None,
                 sequences: dict[str, int] | None = None, correlation_id: str | None = None,
                 causation: Event | None = None, delivery=None):
        # what code reads of `uow.runtime`: the service's name, typed state and settings
        runtime = _FakeRuntime(service, state, settings)
        super().__init__(runtime, actor=actor, correlation_id=correlation_id, causation=causation, delivery=delivery)
        self.known_sequences = dict(sequences or {})  # subject -> its last sequence number "in the database"
        self.committed = False
        self.rolled_back = False

    def __enter__(self) -> "FakeUnitOfWork":
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.committed = True
        else:
            self.rolled_back = True
            self.emitted, self._rows, self._sequences = [], [], {}
        return False

    def emit_prepared(self, prepared: PreparedEvent, *, new_subject: bool = False) -> Event:
        last, _ = self._sequences.get(prepared.event.subject, (self.known_sequences.get(prepared.event.subject, 0),
                                                               None))
        if new_subject and last:
            raise AssertionError(f"{prepared.event.subject} already has events: it is not a new subject")
        event = prepared.event
        if event.sequence != last + 1:
            event = event.replace(sequence=last + 1)
        self._sequences[event.subject] = (last + 1, None)
        self.emitted.append(event)
        return event

    def reserve_sequences(self, subjects) -> None:
        for subject in subjects:
            self._sequences.setdefault(subject, (self.known_sequences.get(subject, 0), None))

    @property
    def events(self) -> list[tuple[str, str, dict]]:
        """(type, subject, data) of every event emitted, in order."""
        return [(e.type, e.subject, e.data) for e in self.emitted]

    def of_type(self, event_type: str) -> list[Event]:
        return [e for e in self.emitted if e.type == event_type]


@dataclass
class _FakeRuntime:
    service: str
    state: object = None
    settings: object = None


def event(event_type: str, subject: str, data: dict, *, source: str = "/wangge/test", sequence: int = 1, **kw) -> Event:
    return Event(type=event_type, source=source, subject=subject, data=data, sequence=sequence, **kw)


def browser_page(viewport: dict | None = None):
    """Headless Chromium for a page test: skipped when the machine has no Chromium, unless WANGGE_REQUIRE_BROWSER
    is set (CI sets it), where a missing browser fails the test instead of hiding it."""
    import pytest

    from .browser import chromium_page, chromium_path

    if chromium_path() is None:
        reason = "no Chromium on this machine (scripts/ensure-chromium installs it)"
        if os.environ.get("WANGGE_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    return chromium_page(viewport)


class live_server:
    """Serve a Flask app on a free local port in a thread, for tests a real browser (or a second service) calls:
    `with live_server(app) as base_url: ...`."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> str:
        import threading

        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(5)
        self._server.server_close()
