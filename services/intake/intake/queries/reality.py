"""Checks against what the other services know (read copies): a receiving or visiting deputy serves the grid,
a topic is one the dispatch catalogue routes."""
from __future__ import annotations

import time

from sqlalchemy import select

from ..models import KnownDeputy, KnownGrid, KnownGridDeputy, KnownTopic

GRID_DEPTH = 5  # grids are at most three levels deep (township, village, group); a loop in bad data stops here


def _grid_and_ancestors(session, grid_id: str) -> list[str]:
    chain, current = [], grid_id
    while current and len(chain) < GRID_DEPTH and current not in chain:
        chain.append(current)
        grid = session.get(KnownGrid, current)
        current = grid.parent_id if grid is not None else None
    return chain


def deputy_exists_problem(session, deputy_id: str) -> str | None:
    """Why this deputy cannot act at all (unknown, or no longer serving), or None."""
    deputy = session.get(KnownDeputy, deputy_id)
    if deputy is None:
        return f"no deputy {deputy_id} is known to intake (deputies arrive from the roster)"
    if deputy.status != "serving":
        return f"deputy {deputy_id} is not serving ({deputy.status})"
    return None


def deputy_problem(session, deputy_id: str, grid_id: str) -> str | None:
    """Why this deputy cannot act for this grid, or None. A deputy serves a grid assigned to them by the
    published plan (a township's or village's grid covers the grids under it), or their home or work grid."""
    problem = deputy_exists_problem(session, deputy_id)
    if problem:
        return problem
    deputy = session.get(KnownDeputy, deputy_id)
    chain = _grid_and_ancestors(session, grid_id)
    if deputy.home_grid_id in chain or deputy.work_grid_id in chain:
        return None
    assigned = session.scalar(select(KnownGridDeputy.grid_id).where(KnownGridDeputy.deputy_id == deputy_id,
                                                                    KnownGridDeputy.grid_id.in_(chain)).limit(1))
    if assigned is None:
        return f"deputy {deputy_id} does not serve grid {grid_id} (not assigned to it, nor living or working there)"
    return None


# Read copies that change (the catalogue's topics, a village's grids) are re-read at most every few seconds per
# process, as routing re-reads its catalogue; the consumer clears them at once when it runs in the same process.
REREAD_SECONDS = 5.0


def recent(runtime, key, load):
    """`load()`, or its value from less than REREAD_SECONDS ago in this process (per service runtime)."""
    cache = runtime.state.reread  # not a fact that never changes: timestamped
    now = time.monotonic()
    found = cache.get(key)
    if found is None or now - found[0] > REREAD_SECONDS:
        if len(cache) > 10_000:
            cache.clear()
        found = cache[key] = (now, load())
    return found[1]


def forget(runtime) -> None:
    runtime.state.reread.clear()


def known_topics(runtime, session) -> frozenset[str]:
    return recent(runtime, "topics", lambda: frozenset(session.scalars(select(KnownTopic.topic))))


def topic_problem(runtime, session, topic: str | None) -> str | None:
    """Why this topic cannot be routed, or None; no topic is fine (the category's catalogue line applies)."""
    known = known_topics(runtime, session)
    if topic is None or topic in known:
        return None
    return f"is not a topic of the dispatch catalogue; known topics: {', '.join(sorted(known)) or 'none yet'}"


def village_grids(runtime, session, grid_id: str) -> list[str]:
    """The grid and the other grids of its village (the same parent in roster's tree), the grid first."""
    def load():
        parent = session.scalar(select(KnownGrid.parent_id).where(KnownGrid.grid_id == grid_id))
        if parent is None:
            return [grid_id]
        siblings = session.scalars(select(KnownGrid.grid_id).where(KnownGrid.parent_id == parent,
                                                                    KnownGrid.grid_id != grid_id)).all()
        return [grid_id, *sorted(siblings)]

    return recent(runtime, ("village", grid_id), load)
