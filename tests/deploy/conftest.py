"""Deployment checks that need no Docker engine: the image, compose, the proxy, Prometheus, Grafana, Kubernetes."""
import pytest

from deploytools import require_tool


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_tool("promtool", "WANGGE_PROMTOOL", "scripts/ensure-promtool unpacks it from Debian's prometheus")
