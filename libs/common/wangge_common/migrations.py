"""Alembic per service: each service keeps its own script directory; this module runs them."""
from __future__ import annotations

import os

from alembic import command, context
from alembic.config import Config

from .db import UtcDateTime, make_engine
from .runtime import ServiceSpec
from .settings import Settings


def alembic_config(spec: ServiceSpec, settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", spec.migrations)
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    config.attributes["target_metadata"] = spec.metadata
    config.attributes["settings"] = settings  # a data migration may need a key (see migration_secret)
    return config


def migration_secret(name: str) -> str | None:
    """A secret for a data migration (e.g. WANGGE_PII_KEY to re-encrypt fields): from the settings the migration
    runs with, else the environment (alembic run by hand)."""
    from .settings import secret

    settings = context.config.attributes.get("settings")
    value = getattr(settings, name.removeprefix("WANGGE_").lower(), None) if settings is not None else None
    return value or secret(os.environ, name)


def upgrade(spec: ServiceSpec, settings: Settings, revision: str = "head") -> None:
    """Bring the service's database to `revision` (the newest by default)."""
    command.upgrade(alembic_config(spec, settings), revision)


def revision(spec: ServiceSpec, settings: Settings, message: str) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    command.revision(alembic_config(spec, settings), message=message, autogenerate=True)


def render_item(type_, obj, autogen_context):
    """Write UtcDateTime into migrations as the column type it stores, so they need no wangge import."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_env() -> None:
    """Body of every service's migrations/env.py."""
    config = context.config
    metadata = config.attributes["target_metadata"]
    url = config.get_main_option("sqlalchemy.url")
    batch = url.startswith("sqlite")  # SQLite alters tables by copying them
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=batch,
                          render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=batch,
                              compare_type=True, render_item=render_item)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
