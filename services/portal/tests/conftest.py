"""A migrated portal for each test (SQLite, or PostgreSQL with TEST_DATABASE_URL), the services faked."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make portal_testkit importable
from portal_testkit import Portal  # noqa: E402


@pytest.fixture
def portal(tmp_path):
    harness = Portal(tmp_path)
    yield harness
    harness.close()
