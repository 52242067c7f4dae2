"""The holiday calendar (节假日) working-day deadlines count with: seeded and refreshed from `chinese-calendar`, changed
locally through the API; a local change always wins over a refresh, and every change is kept in holiday_changes.

chinese-calendar carries each year's arrangement as the State Council publishes it (statutory holidays, the days
bridged to them, and the weekend days that are working days: 调休). For a year it does not cover yet, the calendar
holds the statutory days the law fixes (全国年节及纪念日放假办法, as revised in 2024: 元旦 1, 春节 4 from 除夕,
清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3), marked `statutory`: provisional, without the bridges and 调休 that only
the State Council's notice sets. Enter the notice through the API (local), or upgrade chinese-calendar and
refresh: its days then replace the provisional ones.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from importlib.metadata import version

import chinese_calendar
from lunardate import LunarDate
from sqlalchemy import extract, select

from wangge_common.db import utcnow

from ..models import Holiday, HolidayChange
from .lifecycle import announce

NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
         "Dragon Boat Festival": "端午节", "Mid-autumn Festival": "中秋节", "National Day": "国庆节",
         "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"}
PACKAGE = f"chinese-calendar {version('chinese-calendar')}"
ACTOR = "service:routing"
Days = dict[date, tuple[str, str]]  # day → (holiday | workday, Chinese name)


def official(year: int) -> Days | None:
    """The State Council's arrangement for `year` as chinese-calendar has it, or None when it does not cover it."""
    holidays = {d: ("holiday", NAMES.get(n, n)) for d, n in chinese_calendar.holidays.items() if d.year == year}
    workdays = {d: ("workday", f"{NAMES.get(n, n)}调休上班") for d, n in chinese_calendar.workdays.items()
                if d.year == year and d.weekday() >= 5}
    if not holidays:
        return None
    return {**holidays, **workdays}


def statutory(year: int) -> Days:
    """The days the law itself fixes in `year` (lunar festivals through the lunar calendar; 清明 is a solar term)."""
    new_year = LunarDate(year, 1, 1).to_solar_date()
    qingming = [d for d, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10)) if name == "清明"]
    days = {date(year, 1, 1): "元旦", date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节",
            LunarDate(year, 5, 5).to_solar_date(): "端午节", LunarDate(year, 8, 15).to_solar_date(): "中秋节",
            **{date(year, 10, d): "国庆节" for d in (1, 2, 3)},
            **{new_year + timedelta(days=offset): "春节" for offset in (-1, 0, 1, 2)},
            **{d: "清明节" for d in qingming}}
    return {d: ("holiday", name) for d, name in days.items() if d.year == year}


def seed(year: int) -> tuple[str, Days, str]:
    """(source, days, reason) the calendar is seeded with for `year`."""
    found = official(year)
    if found is not None:
        return "chinese-calendar", found, f"the State Council's arrangement, from {PACKAGE}"
    return "statutory", statutory(year), (f"provisional: the statutory days of the law only; {PACKAGE} does not "
                                          f"cover {year} yet, so the bridged days and 调休 are not known")


def record(session, day: date, kind: str, name: str | None, source: str, actor: str, reason: str | None) -> None:
    session.add(HolidayChange(day=day, kind=kind, name=name, source=source, actor=actor, reason=reason, at=utcnow()))


def refresh(session, now: datetime, *, years: list[int] | None = None, actor: str = ACTOR, uow=None) -> int:
    """Bring the seeded days of last year, this year and the next two up to date; local days stay as they are.
    Returns how many days changed; with `uow`, a refresh that changed days is announced (catalogue.changed)."""
    changed, days = 0, []
    years = list(years or range(now.year - 1, now.year + 3))
    for year in years:
        source, wanted, reason = seed(year)
        rows = {h.day: h for h in session.scalars(select(Holiday).where(extract("year", Holiday.day) == year))}
        for day, row in rows.items():
            if row.source != "local" and day not in wanted:
                session.delete(row)
                record(session, day, "removed", row.name, source, actor, reason)
                changed += 1
                days.append({"day": day.isoformat(), "kind": "removed", "name": row.name, "source": source})
        for day, (kind, name) in sorted(wanted.items()):
            row = rows.get(day)
            if row is not None and (row.source == "local" or (row.kind, row.name, row.source) == (kind, name, source)):
                continue
            row = row or Holiday(day=day)
            row.kind, row.name, row.source, row.reason = kind, name, source, reason
            row.changed_by, row.updated_at = actor, utcnow()
            session.add(row)
            record(session, day, kind, name, source, actor, reason)
            changed += 1
            days.append({"day": day.isoformat(), "kind": kind, "name": name, "source": source})
    session.flush()
    if uow is not None and days:
        announce(uow, "holiday_calendar", "refreshed", f"{years[0]}-{years[-1]}", values={"days": days},
                 reason=f"refreshed from {PACKAGE} (days of a year it does not cover are the statutory ones)")
    return changed


def seeded(day: date) -> bool:
    """Whether a refresh would put `day` into the calendar."""
    return day in seed(day.year)[1]
