"""Roster's settings: every WANGGE_ROSTER_* variable, read once from the shared Settings."""
from __future__ import annotations

from dataclasses import dataclass, field

from wangge_common.settings import Settings

NOTICE_DAYS = 7  # 公示期: the days a published assignment is publicised before it stands


@dataclass(frozen=True)
class ImportLimits:
    """How much one import may read; each is WANGGE_ROSTER_IMPORT_<NAME> in the environment."""

    max_bytes: int = 32 * 1024 * 1024  # a county's spreadsheet (13,000 deputies) is about 5 MB
    max_rows: int = 50_000  # data rows, headings excluded
    max_columns: int = 64
    max_cell_chars: int = 2_000
    max_seconds: int = 1800  # reading, checking and writing one import (a job writes ~50-100 rows/s)
    max_xlsx_expanded_bytes: int = 256 * 1024 * 1024  # the workbook's parts once unzipped
    sync_rows: int = 1_000  # up to this many rows an import answers at once; more run as a job
    chunk_rows: int = 200  # rows a job writes per transaction (the write lock is released between chunks)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ImportLimits":
        defaults = cls()
        return cls(**{name: settings.count(f"IMPORT_{name.upper()}", getattr(defaults, name))
                      for name in cls.__dataclass_fields__})

    @staticmethod
    def variable(name: str) -> str:
        return f"WANGGE_ROSTER_IMPORT_{name.upper()}"


@dataclass(frozen=True)
class RosterSettings:
    """The roster's own configuration."""

    import_limits: ImportLimits = field(default_factory=ImportLimits)
    notice_days: int = NOTICE_DAYS  # WANGGE_ROSTER_NOTICE_DAYS: how long the notice shows its publication period
    supervision_phone: str | None = None  # WANGGE_ROSTER_SUPERVISION_PHONE: the notice's 监督电话 without a station

    @classmethod
    def from_settings(cls, settings: Settings) -> "RosterSettings":
        return cls(import_limits=ImportLimits.from_settings(settings),
                   notice_days=settings.count("NOTICE_DAYS", NOTICE_DAYS),
                   supervision_phone=settings.extra.get("WANGGE_ROSTER_SUPERVISION_PHONE") or None)
