"""A migrated intake service for each test (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
import sys
from pathlib import Path

import pytest

from wangge_common.testing import ServiceHarness
from intake.app import create_app
from intake.service import SPEC
sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make intake_testkit importable
from intake_testkit import DEPUTY, DEPUTY_2, GRID, OTHER_GRID, announce_deputy, announce_grid, assign  # noqa: E402


@pytest.fixture
def svc(tmp_path):
    harness = ServiceHarness(SPEC, create_app, tmp_path)
    yield harness
    harness.close()


@pytest.fixture
def gsvc(svc):
    """The service once roster has announced two grids, and two deputies serving the first."""
    announce_grid(svc, GRID)
    announce_grid(svc, OTHER_GRID, "SS-01-01-02")
    assign(svc, GRID, announce_deputy(svc, deputy_id=DEPUTY), announce_deputy(svc, deputy_id=DEPUTY_2))
    return svc

