"""Test helpers: a migrated service on SQLite (or PostgreSQL with TEST_DATABASE_URL), keys, event delivery."""
from __future__ import annotations

import dataclasses

import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import auth, crypto, migrations
from .consumer import Delivery, EventProcessor
from .envelope import Event
from .runtime import Runtime, ServiceSpec
from .settings import Settings
from .tokens import TokenIssuer, new_seed


def free_port() -> int:
    """A TCP port nothing listens on right now (for servers tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_test_database(service: str, tmp_path: Path) -> tuple[str, callable]:
    """A fresh database for one service: SQLite under tmp_path, or a new PostgreSQL database; and its cleanup."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / (service + '.db')}", lambda: None
    name = f"wgt_{service}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


@dataclass
class ServiceHarness:
    """One service, migrated, with its app, runtime and API keys, for unit and database tests."""

    spec: ServiceSpec
    create_app: callable
    tmp_path: Path
    keys: dict = field(default_factory=dict)
    _apps: list = field(default_factory=list)

    def __post_init__(self):
        self.database_url, self._drop = create_test_database(self.spec.name, self.tmp_path)
        raw_entries = []
        for name, scopes in {"all": sorted(auth.SCOPES), "reader": ["cases:read", "roster:read"],
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
        migrations.upgrade(self.spec, self.settings)
        self.app = self.create_app(self.settings)
        self.client = self.app.test_client()
        self.runtime: Runtime = self.app.extensions["wangge_runtime"]
        self._offset = 0

    def headers(self, key: str = "all", **extra) -> dict:
        return {"Authorization": f"Bearer {self.keys[key]}", **extra}

    def person(self, person_id: str = "p-1", *, scopes=("cases:read", "cases:write"), grids=None, departments=None,
               **extra) -> dict:
        """Headers carrying a person's access token, as the portal sends them."""
        token = self.token_issuer.mint(person_id, scopes=scopes, name="测试人员", grids=grids, departments=departments)
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
