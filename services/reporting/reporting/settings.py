"""Reporting's own settings: every WANGGE_REPORTING_* variable, read here once into a frozen object.

The shared ones (database URL, broker, service URLs, keys) stay in `wangge_common.settings.Settings`; this object is
built from it once per process (`ReportingState.build`) and read as `runtime.state.settings`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from wangge_common.settings import Settings

PREFIX = "WANGGE_REPORTING_"
SIGNING_KEY_ENV = PREFIX + "SIGNING_KEY"


@dataclass(frozen=True)
class ReportingSettings:
    """What reporting's jobs are told by the environment (defaults in brackets)."""

    # WANGGE_REPORTING_SIGNING_KEY: the Ed25519 key checkpoints are signed with (32 bytes hex or base64, or PEM);
    # unset: the checkpoint job refuses to run (audit.SigningKeyMissing), everything else works.
    signing_key: str | None = None
    # WANGGE_REPORTING_RECONCILE_INTERVAL_S (300), _WINDOW_S (3600), _GRACE_S (120): reconcile every interval the
    # window that ended grace ago (see reconcile.Schedule).
    reconcile_interval: timedelta = timedelta(seconds=300)
    reconcile_window: timedelta = timedelta(seconds=3600)
    reconcile_grace: timedelta = timedelta(seconds=120)
    # WANGGE_REPORTING_PROJECTION_CHECK_INTERVAL_S (3600): how often the projections are compared with the log.
    projection_check_interval: timedelta = timedelta(seconds=3600)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ReportingSettings":
        def seconds(suffix: str, default: int) -> timedelta:
            return timedelta(seconds=settings.count(suffix, default))

        return cls(signing_key=settings.extra.get(SIGNING_KEY_ENV) or None,
                   reconcile_interval=seconds("RECONCILE_INTERVAL_S", 300),
                   reconcile_window=seconds("RECONCILE_WINDOW_S", 3600),
                   reconcile_grace=seconds("RECONCILE_GRACE_S", 120),
                   projection_check_interval=seconds("PROJECTION_CHECK_INTERVAL_S", 3600))
