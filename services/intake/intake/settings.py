"""Intake's settings: every WANGGE_INTAKE_* variable, read once from the shared Settings."""
from __future__ import annotations

from dataclasses import dataclass

from wangge_common.settings import Settings

GROUP_COMMIT_MAX = 64  # registrations committed in one transaction at most (1: one each)
TRACK_LOOKUPS_PER_MINUTE = 30  # a resident's look-ups per client address (API and page share one budget)
OPEN311_POSTS_PER_MINUTE = "60/minute"  # per client address (WANGGE_RATELIMIT_OPEN311)


@dataclass(frozen=True)
class IntakeSettings:
    """What intake reads of its environment, beyond the shared Settings (which it keeps as `shared`)."""

    shared: Settings
    group_commit_max: int = GROUP_COMMIT_MAX  # WANGGE_INTAKE_GROUP_COMMIT_MAX
    track_per_minute: int = TRACK_LOOKUPS_PER_MINUTE  # WANGGE_INTAKE_TRACK_PER_MINUTE

    @classmethod
    def from_settings(cls, settings: Settings) -> "IntakeSettings":
        return cls(shared=settings,
                   group_commit_max=settings.count("GROUP_COMMIT_MAX", GROUP_COMMIT_MAX),
                   track_per_minute=int(settings.extra.get("WANGGE_INTAKE_TRACK_PER_MINUTE")
                                        or TRACK_LOOKUPS_PER_MINUTE))

    @property
    def pii_key(self) -> str:
        return self.shared.pii_key
