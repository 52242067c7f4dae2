"""What a service process holds at run time: its settings, database and infrastructure tables."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import MetaData

from .db import Database
from .outbox import InfraTables, UnitOfWork
from .settings import Settings


@dataclass(frozen=True)
class Periodic:
    """A job the service's scheduler process runs every `every_s` seconds: `run(runtime, now)` returns how many
    things it did (for the log and metrics). Jobs must be idempotent: one scheduler per service holds the leader
    lock, but a job can still run again after a crash."""

    name: str
    every_s: float
    run: Callable


@dataclass(frozen=True)
class ServiceSpec:
    """How a service plugs into the shared infrastructure; each service declares one in service.py."""

    name: str
    metadata: MetaData
    tables: InfraTables
    migrations: str  # path of the service's Alembic script directory
    consumes: tuple[str, ...] = ()
    handlers: dict[str, Callable] = field(default_factory=dict)  # event type, or "*", -> handler(uow, event)
    publishes: tuple[str, ...] = ()  # topics its outbox relay publishes to
    ready_requires_broker: bool = True  # False where the outbox lets the service serve with the broker down
    periodic: tuple[Periodic, ...] = ()  # run by `wangge schedule <service>` (deadlines, retries, checkpoints)
    collectors: tuple[Callable, ...] = ()  # collector(runtime): extra Prometheus metrics the web app's /metrics reads
    # state(runtime) -> the service's own typed state (its settings object, cipher, caches), built once per process
    # and kept as `runtime.state`: services read attributes, never string keys (see docs/architecture.md).
    state: Callable | None = None
    # scope -> what it allows: every scope the service's routes require (auth.requires checks this list at start-up;
    # the shared infrastructure's own, e.g. outbox:republish, are added from auth.COMMON_SCOPES). Keys may carry
    # other services' scopes too; `wangge apikey new` accepts any scope some service declares.
    scopes: dict[str, str] = field(default_factory=dict)


class Runtime:
    """A service's live resources, created from settings when a process starts, never at import."""

    def __init__(self, spec: ServiceSpec, settings: Settings):
        self.spec = spec
        self.settings = settings
        self.service = spec.name
        self.tables = spec.tables
        self.db = Database(settings.database_url)
        self.state = spec.state(self) if spec.state else None

    def unit_of_work(self, **kwargs) -> UnitOfWork:
        return UnitOfWork(self, **kwargs)
