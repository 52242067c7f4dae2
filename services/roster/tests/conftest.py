"""A migrated roster service for each test (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
import pytest

from wangge_common.testing import ServiceHarness
from roster.app import create_app
from roster.service import SPEC


@pytest.fixture
def svc(tmp_path):
    harness = ServiceHarness(SPEC, create_app, tmp_path)
    yield harness
    harness.close()
