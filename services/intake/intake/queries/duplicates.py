"""The duplicate search (相关件): open cases of the grid and its village a new matter may repeat."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (String, Text, bindparam, cast, literal_column, null, select, text,
                        type_coerce, union_all)


from .. import domain
from ..models import Case

CASES = Case.__table__


# Written into the statement once: an expanding IN (...) parameter is rendered anew at every execution.
IS_OPEN = text("cases.status IN ({})".format(", ".join(f"'{state}'" for state in domain.OPEN_STATES)))


def _related_query(kind: str, *same, limit: int = 1, with_content: bool = False):
    """The newest open cases, lately registered, matching `same`, tagged with `kind`."""
    content = CASES.c.content if with_content else cast(null(), Text)
    # created_at as the driver gives it (SQLite: its fixed-width text; PostgreSQL: a datetime), only compared and
    # sorted: no conversion of every candidate row
    created = type_coerce(CASES.c.created_at, String).label("created_at")
    return (select(literal_column(f"'{kind}'").label("kind"), CASES.c.id, created, content.label("content"))
            .where(*same, CASES.c.id != bindparam("case_id"), IS_OPEN, CASES.c.created_at >= bindparam("since"))
            .order_by(CASES.c.created_at.desc()).limit(limit).subquery().select())


# One statement of separate branches, not one query with OR: each branch is answered from its own index (grid,
# content key and time; household; grid and time). A household's cases are all in its grid (registration
# refuses another), so the household branch needs no grid.
# `grid_ids`: the case's grid and its neighbours in the same village (a matter reported on both sides of a line)
IN_VILLAGE = CASES.c.grid_id.in_(bindparam("grid_ids", expanding=True))


SAME_CONTENT = _related_query("same_content", IN_VILLAGE,
                              CASES.c.content_key == bindparam("content_key"))


SAME_HOUSEHOLD = _related_query("same_household", CASES.c.household_id == bindparam("household_id"))


RECENT_IN_GRID = _related_query("recent", IN_VILLAGE, limit=domain.SIMILAR_SCAN,
                                with_content=True)


RELATED_SAME = union_all(SAME_CONTENT, SAME_HOUSEHOLD)


RELATED_ANY = union_all(SAME_CONTENT, SAME_HOUSEHOLD, RECENT_IN_GRID)


def _related_params(case, now: datetime, grid_ids: list[str] | None = None) -> dict:
    return {"grid_ids": grid_ids or [case.grid_id], "content_key": case.content_key, "household_id": case.household_id,
            "case_id": case.id, "since": now - timedelta(days=domain.DUPLICATE_WINDOW_DAYS)}


def _same_of(rows) -> tuple[str, str] | None:
    """The case with the same content or household: the household's if it is the newer (or the only) one."""
    by_content = next((r for r in rows if r.kind == "same_content"), None)
    by_household = next((r for r in rows if r.kind == "same_household"), None)
    if by_household is not None and (by_content is None or by_household.created_at > by_content.created_at):
        return by_household.id, "same_household"
    return (by_content.id, "similar_content") if by_content is not None else None


def same_content_or_household(connection, case, now: datetime, grid_ids=None) -> tuple[str, str] | None:
    """An open case of the grid with the same household file or the same content once spaces and punctuation
    are gone: one statement, indexed."""
    return _same_of(connection.execute(RELATED_SAME, _related_params(case, now, grid_ids)).all())


def find_related(connection, case, now: datetime, grid_ids=None) -> tuple[str, str] | None:
    """An open case of the same grid this one may duplicate: the same household file, the same content once
    spaces and punctuation are gone (indexed), or near-identical content among the grid's newest open cases.
    One statement answers all three."""
    rows = connection.execute(RELATED_ANY, _related_params(case, now, grid_ids)).all()
    found = _same_of(rows)
    if found is not None:
        return found
    similar = domain.near_identical_to(case.content)
    # newest first (a compound statement promises no order across its branches)
    for recent in sorted((r for r in rows if r.kind == "recent"), key=lambda r: r.created_at, reverse=True):
        profile = _PROFILES.get(recent.id)
        if profile is None:
            if len(_PROFILES) >= PROFILE_CACHE_SIZE:
                _PROFILES.clear()
            profile = _PROFILES[recent.id] = domain.content_profile(recent.content)
        if similar(profile):
            return recent.id, "similar_content"
    return None


# A case's content never changes once registered, so its similarity profile is computed once per process; the
# grid's newest open cases are read again by every registration in the grid.
PROFILE_CACHE_SIZE = 20_000


_PROFILES: dict[str, tuple] = {}


EXTERNAL_CASE = select(CASES.c.id).where(CASES.c.external_system == bindparam("system"),
                                         CASES.c.external_id == bindparam("external_id"))
