"""Alembic environment: shared body in wangge_common.migrations."""
from wangge_common.migrations import run_env

run_env()
