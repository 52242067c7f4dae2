"""Fixtures for infrastructure tests: a throwaway service with only the infrastructure tables."""
from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from wangge_common.outbox import define_infra_tables
from wangge_common.runtime import Runtime, ServiceSpec
from wangge_common.settings import Settings
from wangge_common.testing import create_test_database


def make_runtime(tmp_path, handlers=None, consumes=("cases.v1",)):
    metadata = MetaData()
    tables = define_infra_tables(metadata)
    Table("notes", metadata, Column("id", Integer, primary_key=True), Column("text", String(100), unique=True))
    spec = ServiceSpec(name="routing", metadata=metadata, tables=tables, migrations="", consumes=consumes,
                       handlers=handlers or {}, publishes=("cases.v1",))
    url, drop = create_test_database("common", tmp_path)
    settings = Settings(service="routing", database_url=url, kafka_bootstrap="127.0.0.1:1", var_dir=tmp_path,
                        consumer_max_retries=2, consumer_retry_backoff_s=0.001, relay_batch_size=100)
    runtime = Runtime(spec, settings)
    metadata.create_all(runtime.db.engine)
    runtime._drop = drop
    return runtime


@pytest.fixture
def runtime_factory(tmp_path):
    made = []

    def factory(**kwargs):
        runtime = make_runtime(tmp_path / str(len(made)), **kwargs)
        made.append(runtime)
        return runtime

    (tmp_path / "0").mkdir()
    for i in range(1, 5):
        (tmp_path / str(i)).mkdir()
    yield factory
    for runtime in made:
        runtime.db.dispose()
        runtime._drop()
