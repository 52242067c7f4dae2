"""Alembic for the portal's own database (the same runner as the five services)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .models import Base

SCRIPTS = str(Path(__file__).parent / "migrations")


def config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPTS)
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["target_metadata"] = Base.metadata
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    command.revision(config(database_url), message=message, autogenerate=True)
