"""A migrated notify service for each test (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
import pytest

from wangge_common.testing import ServiceHarness
from notify.app import create_app
from notify.service import SPEC


@pytest.fixture
def svc(tmp_path):
    harness = ServiceHarness(SPEC, create_app, tmp_path)
    yield harness
    harness.close()
