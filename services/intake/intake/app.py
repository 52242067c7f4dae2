"""Intake app factory."""
from wangge_common.crypto import FieldCipher
from wangge_common.http import create_service_app
from wangge_common.settings import Settings

from .api import cases
from .service import SPEC


def create_app(settings: Settings | None = None):
    settings = settings or Settings.from_env(SPEC.name)
    app = create_service_app(
        SPEC, settings, title="wangge intake", blueprints=(cases,),
        description="Intake (受理): cases from the hotline, stations, online, visits, meetings and 综治中心 "
                    "systems. Accepted cases are never lost: they are written with their event in one "
                    "transaction and published by the outbox relay.",
    )
    app.extensions["wangge_pii"] = FieldCipher(settings.pii_key)
    return app
