"""The test harness's databases: a copy of a template migrated once per process, each copy independent."""
from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from wangge_common import testing
from wangge_common.migrations import alembic_config
from wangge_common.settings import Settings


def _revision(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()


def test_each_test_gets_its_own_copy_of_a_database_at_head(tmp_path):
    from roster.service import SPEC

    settings = Settings(service="roster", database_url="sqlite://", kafka_bootstrap="", var_dir=tmp_path)
    head = ScriptDirectory.from_config(alembic_config(SPEC, settings)).get_current_head()
    first_url, drop_first = testing.create_migrated_database(SPEC, tmp_path / "a")
    second_url, drop_second = testing.create_migrated_database(SPEC, tmp_path / "b")
    try:
        assert first_url != second_url
        assert _revision(first_url) == _revision(second_url) == head
        engine = create_engine(first_url)
        with engine.begin() as conn:  # a change to one copy is not seen in the other
            conn.execute(text("UPDATE alembic_version SET version_num = 'changed'"))
        engine.dispose()
        assert _revision(second_url) == head
        assert len({k for k in testing._TEMPLATES if k[0] == "roster"}) == 1  # migrated once
    finally:
        drop_first()
        drop_second()
