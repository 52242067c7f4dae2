"""Helpers of the deployment tests: where the repository is, and the command-line tools they run."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tool(name: str, env_var: str) -> str | None:
    """A command-line tool from $env_var, the project's .venv/bin, or PATH."""
    candidate = os.environ.get(env_var)
    if candidate:
        return candidate
    local = ROOT / ".venv" / "bin" / name
    if local.exists():
        return str(local)
    return shutil.which(name)


def require_tool(name: str, env_var: str, how: str) -> str:
    """The tool, or skip (fail under CI=true / WANGGE_REQUIRE_DEPLOY_TOOLS=1, where it must be there)."""
    found = tool(name, env_var)
    if found:
        return found
    message = f"{name} is not installed ({how}; or set {env_var})"
    if os.environ.get("WANGGE_REQUIRE_DEPLOY_TOOLS") or os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
