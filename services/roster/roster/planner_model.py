"""The planner's data: rules, grids and deputies as the planner sees them, its proposal, and the grid tree."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

BASES = ("home_or_work", "constituency", "nearby", "township", "county", "repair", "party_delegate", "manual")


@dataclass(frozen=True)
class Rules:
    min_per_grid: int = 1
    max_per_grid: int = 3
    max_load: int = 1
    township_deputy_required: bool = True
    pair_party_delegates: bool = False  # "两代表": also place one party delegate per grid where there are enough


@dataclass
class PlanGrid:
    id: str
    code: str
    level: int
    parent_id: str | None
    difficulty: int = 1
    constituency: str | None = None


@dataclass
class PlanDeputy:
    id: str
    level: str
    kind: str = "npc_deputy"
    home_grid_id: str | None = None
    work_grid_id: str | None = None
    constituency: str | None = None
    capability: int = 3
    outside_load: int = 0  # grids this deputy already serves outside the plan's scope
    status: str = "serving"
    # the townships of the home and work grids, when the caller knows them beyond the plan's tree (None: from it)
    townships: frozenset | None = None


@dataclass
class Proposal:
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (grid_id, deputy_id, basis)
    violations: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


class Tree:
    """Indexes over the grid tree: parents, township ancestors, leaves under each grid."""

    def __init__(self, grids: list[PlanGrid]):
        self.grid = {g.id: g for g in grids}
        children = defaultdict(list)
        for g in grids:
            if g.parent_id in self.grid:
                children[g.parent_id].append(g.id)
        self.leaves_under: dict[str, list[str]] = defaultdict(list)
        self.leaves = sorted((g.id for g in grids if not children.get(g.id)), key=lambda i: self.grid[i].code)
        self._township: dict[str, str | None] = {}
        for leaf in self.leaves:
            for ancestor in self.lineage(leaf):
                self.leaves_under[ancestor].append(leaf)

    def lineage(self, grid_id: str) -> list[str]:
        """The grid and its ancestors, nearest first."""
        out = []
        while grid_id in self.grid:
            out.append(grid_id)
            grid_id = self.grid[grid_id].parent_id
        return out

    def parent(self, grid_id: str) -> str | None:
        return self.grid[grid_id].parent_id if grid_id in self.grid else None

    def township(self, grid_id: str) -> str | None:
        if grid_id not in self._township:
            line = self.lineage(grid_id)
            self._township[grid_id] = line[-1] if line else None
        return self._township[grid_id]
