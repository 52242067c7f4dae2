"""Fixtures for notify's tests; the fakes and event builders live in notifyfakes.py beside this file."""
import sys
from pathlib import Path

# The suite imports tests with --import-mode=importlib (no test directory on sys.path), and the name `conftest` is
# taken by tests/integration: make this directory's helper module importable under its own name.
sys.path.insert(0, str(Path(__file__).parent))

from notifyfakes import smtp, svc, world  # noqa: E402,F401 - pytest finds fixtures by name
