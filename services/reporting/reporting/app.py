"""Reporting app factory."""
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import audit, kpis
from .service import SPEC


def create_app(settings: Settings | None = None):
    return create_service_app(
        SPEC, settings, title="wangge reporting", blueprints=(audit, kpis),
        description="Reporting (统计): the hash-chained audit log of every event, and the key figures.",
    )
