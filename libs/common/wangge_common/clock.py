"""Time as every service writes and reads it: one zone for people, one form on the wire.

China keeps one zone without daylight saving, so a fixed +08:00 offset is exact (and needs no tz database).
On the wire (events, JSON) a moment is UTC with a `Z`; people read China time.
"""
from __future__ import annotations

from datetime import date, datetime, timezone, timedelta

CHINA = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    """This moment, in UTC."""
    return datetime.now(timezone.utc)


def wire_time(moment: datetime | None, timespec: str = "auto") -> str | None:
    """`2026-12-06T01:02:03.456789Z`: the moment in UTC with a Z (a naive moment is taken as UTC); None stays None.
    `timespec` as datetime.isoformat ("seconds" for Open311, "microseconds" for envelopes)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_time(text: str | datetime) -> datetime:
    """A wire time (`…Z`, `…z` or `…+08:00`) as an aware datetime; a naive text is taken as UTC; a datetime is
    returned as it is (aware). Raises ValueError on anything else."""
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=timezone.utc)
    moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def local(moment: datetime | str) -> datetime:
    """The moment in China time (for pages, messages and local-calendar rules)."""
    return parse_time(moment).astimezone(CHINA)


def local_date(moment: datetime | str) -> date:
    """The China calendar day of a moment."""
    return local(moment).date()


def local_text(moment: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment as people read it (China time); empty for None."""
    return "" if moment in (None, "") else local(moment).strftime(fmt)
