"""Reporting app factory."""
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import audit, deputies, grids, internal, kpis
from .pages import pages
from .service import SPEC


def create_app(settings: Settings | None = None):
    return create_service_app(
        SPEC, settings, title="wangge reporting", blueprints=(audit, kpis, deputies, grids, internal, pages),
        description="Reporting (统计): the hash-chained, Merkle-proved audit log of every event, the key figures, "
                    "deputy performance, excellent grids, and the dashboard.",
    )
