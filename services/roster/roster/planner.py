"""The assignment planner (派驻方案): deputies to grids under the seeds' hard rules, soft rules as preferences.

Pure Python, no I/O. Hard rules (000, 002): every grid gets between `min_per_grid` and `max_per_grid` deputies,
at least one of them township-level, and no deputy serves more than `max_load` grids. Soft rules, in order:
deputies who live or work in the grid, then the original constituency (原选区), then the nearest in the grid
tree; strong deputies to difficult grids; levels mixed. Greedy by scarcity with candidate lists from indexes
(grid → deputies anchored in it, its constituency, its parent's and township's subtrees), never a
deputies × grids loop.
"""
from __future__ import annotations

from collections import Counter, defaultdict
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


@dataclass
class Proposal:
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (grid_id, deputy_id, basis)
    violations: list[dict] = field(default_factory=list)


class _Tree:
    """Indexes over the grid tree: parents, township ancestors, leaves under each grid."""

    def __init__(self, grids: list[PlanGrid]):
        self.grid = {g.id: g for g in grids}
        children = defaultdict(list)
        for g in grids:
            if g.parent_id in self.grid:
                children[g.parent_id].append(g.id)
        self.leaves_under: dict[str, list[str]] = defaultdict(list)
        self.leaves = sorted((g.id for g in grids if not children.get(g.id)), key=lambda i: self.grid[i].code)
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
        line = self.lineage(grid_id)
        return line[-1] if line else None


def _fit(capability: int, difficulty: int) -> int:
    """How well a deputy's strength suits a grid's difficulty: strong to hard, and keep the strong for the hard."""
    return -abs(capability - difficulty)


def propose(grids: list[PlanGrid], deputies: list[PlanDeputy], rules: Rules = Rules()) -> Proposal:
    """A plan for the leaf grids of `grids`; `violations` says exactly which hard rules fail where, and why."""
    tree = _Tree(grids)
    targets = tree.leaves
    serving = [d for d in deputies if d.status == "serving"]
    npc = [d for d in serving if d.kind == "npc_deputy"]
    load = {d.id: d.outside_load for d in serving}
    members: dict[str, list[PlanDeputy]] = {g: [] for g in targets}
    in_grid: dict[str, set[str]] = {g: set() for g in targets}
    entries: list[tuple[str, str, str]] = []

    # grid → deputies anchored in it (home or work), and in each subtree; constituency → deputies.
    anchored: dict[str, list[PlanDeputy]] = defaultdict(list)
    subtree: dict[str, list[PlanDeputy]] = defaultdict(list)
    by_constituency: dict[str, list[PlanDeputy]] = defaultdict(list)
    for d in npc:
        homes = {g for g in (d.home_grid_id, d.work_grid_id) if g in tree.grid}
        for g in homes:
            anchored[g].append(d)
        for g in {a for h in homes for a in tree.lineage(h)}:
            subtree[g].append(d)
        if d.constituency:
            by_constituency[d.constituency].append(d)
    constituency = _grid_constituencies(tree, anchored)

    def deputy_tiers(grid_id: str):
        parent = tree.parent(grid_id)
        yield "home_or_work", anchored.get(grid_id, ())
        yield "constituency", by_constituency.get(constituency.get(grid_id), ())
        if parent:
            yield "nearby", subtree.get(parent, ())
        yield "township", subtree.get(tree.township(grid_id), ())

    pools: dict[str, list[PlanDeputy]] = defaultdict(list)  # county-wide fallback by level, strongest first
    for d in sorted(npc, key=lambda d: -d.capability):
        pools[d.level].append(d)
        pools["*"].append(d)
    cursor: dict[tuple[str, int], int] = defaultdict(int)

    def from_pool(level: str, limit: int, grid_id: str) -> PlanDeputy | None:
        pool, key = pools.get(level, []), (level, limit)
        while cursor[key] < len(pool) and load[pool[cursor[key]].id] >= limit:
            cursor[key] += 1  # loads only grow: a deputy skipped once stays skipped at this limit
        for d in pool[cursor[key]:cursor[key] + 50]:
            if load[d.id] < limit and d.id not in in_grid[grid_id]:
                return d
        return None

    def pick(grid_id: str, limit: int, level: str | None, local_only: bool = False) -> tuple[PlanDeputy, str] | None:
        difficulty = tree.grid[grid_id].difficulty
        have_levels = {m.level for m in members[grid_id]}
        for basis, candidates in deputy_tiers(grid_id):
            if local_only and basis != "home_or_work":
                return None
            best, best_score = None, None
            for d in candidates:
                if load[d.id] >= limit or d.id in in_grid[grid_id] or (level and d.level != level):
                    continue
                score = (-load[d.id], d.level not in have_levels, _fit(d.capability, difficulty))
                if best_score is None or score > best_score:
                    best, best_score = d, score
            if best is not None:
                return best, basis
        found = from_pool(level or "*", limit, grid_id)
        return (found, "county") if found else None

    def assign(grid_id: str, deputy: PlanDeputy, basis: str) -> None:
        members[grid_id].append(deputy)
        in_grid[grid_id].add(deputy.id)
        load[deputy.id] += 1
        entries.append((grid_id, deputy.id, basis))

    # 1. A township-level deputy in every grid, scarcest grids first, the hardest first among equals.
    if rules.township_deputy_required:
        def nearby_township(grid_id: str) -> int:
            parent = tree.parent(grid_id) or grid_id
            return sum(1 for d in subtree.get(parent, ()) if d.level == "township")

        order = sorted(targets, key=lambda g: (nearby_township(g), -tree.grid[g].difficulty, tree.grid[g].code))
        # Deputies who live or work in a grid serve it first; then the scarce grids draw on the nearest.
        for limit, local_only in [(1, True)] + [(limit, False) for limit in sorted({1, rules.max_load})]:
            for grid_id in order:
                if any(m.level == "township" for m in members[grid_id]):
                    continue
                found = pick(grid_id, limit, "township", local_only)
                if found:
                    assign(grid_id, *found)

    # 2. Every deputy in a grid (代表人人进网格): each deputy still without one goes to the best grid near them.
    leaf_set = set(targets)
    grids_by_constituency: dict[str, list[str]] = defaultdict(list)
    for g in targets:
        if constituency.get(g):
            grids_by_constituency[constituency[g]].append(g)
    open_grids = sorted(targets, key=lambda g: (-tree.grid[g].difficulty, tree.grid[g].code))
    open_cursor = 0

    def grid_tiers(d: PlanDeputy):
        homes = [g for g in (d.home_grid_id, d.work_grid_id) if g in tree.grid]
        yield "home_or_work", [g for g in homes if g in leaf_set] + [x for g in homes if g not in leaf_set
                                                                      for x in tree.leaves_under.get(g, ())]
        yield "constituency", grids_by_constituency.get(d.constituency, ())
        for g in homes:
            if tree.parent(g):
                yield "nearby", tree.leaves_under.get(tree.parent(g), ())
        for g in homes:
            yield "township", tree.leaves_under.get(tree.township(g), ())

    def place(d: PlanDeputy) -> None:
        nonlocal open_cursor
        for basis, candidates in grid_tiers(d):
            best, best_score = None, None
            for g in candidates:
                crowd = len(members[g])
                if crowd >= rules.max_per_grid or d.id in in_grid[g]:
                    continue
                score = (-crowd, d.level not in {m.level for m in members[g]},
                         _fit(d.capability, tree.grid[g].difficulty))
                if best_score is None or score > best_score:
                    best, best_score = g, score
            if best is not None:
                assign(best, d, basis)
                return
        while open_cursor < len(open_grids) and len(members[open_grids[open_cursor]]) >= rules.max_per_grid:
            open_cursor += 1  # grids only fill up
        if open_cursor < len(open_grids):
            assign(open_grids[open_cursor], d, "county")

    for d in sorted(npc, key=lambda d: (-d.capability, d.level == "township", d.id)):
        if load[d.id] == 0 and d.outside_load < rules.max_load:
            place(d)

    # 3. Grids still below the minimum take deputies who have load to spare.
    for grid_id in targets:
        while len(members[grid_id]) < rules.min_per_grid:
            found = pick(grid_id, rules.max_load, None)
            if not found:
                break
            assign(grid_id, *found)

    # 4. Repair: a grid still short takes a deputy from the nearest grid that has more than the minimum, never
    #    the donor's only township-level deputy.
    short = [g for g in targets if len(members[g]) < rules.min_per_grid]
    surplus = dict.fromkeys(g for g in targets if len(members[g]) > rules.min_per_grid)
    if short and surplus:
        entry_at = {(g, d): i for i, (g, d, _) in enumerate(entries)}
        for grid_id in short:
            parent, township = tree.parent(grid_id), tree.township(grid_id)
            for pool in [tree.leaves_under.get(a, ()) for a in (parent, township) if a] + [surplus]:
                while len(members[grid_id]) < rules.min_per_grid:
                    moved = _take_surplus(list(pool), grid_id, members, in_grid, rules)
                    if moved is None:
                        break
                    donor, deputy = moved
                    if len(members[donor]) <= rules.min_per_grid:
                        surplus.pop(donor, None)
                    index = entry_at.pop((donor, deputy.id))
                    entries[index] = (grid_id, deputy.id, "repair")
                    entry_at[(grid_id, deputy.id)] = index
                if len(members[grid_id]) >= rules.min_per_grid:
                    break

    # 5. "两代表": one party delegate per grid, nearest first, as far as there are delegates.
    if rules.pair_party_delegates:
        with_delegate: set[str] = set()
        for d in sorted((d for d in serving if d.kind == "party_delegate"), key=lambda d: -d.capability):
            homes = [g for g in (d.home_grid_id, d.work_grid_id) if g in tree.grid]
            lines = [tree.lineage(g) for g in homes] or [[]]
            chosen = None
            for depth in range(4):
                for line in lines:
                    if depth < len(line):
                        chosen = next((g for g in tree.leaves_under.get(line[depth], ())
                                       if g not in with_delegate), None)
                        if chosen:
                            break
                if chosen:
                    break
            chosen = chosen or next((g for g in targets if g not in with_delegate), None)
            if chosen:
                with_delegate.add(chosen)
                in_grid[chosen].add(d.id)
                load[d.id] += 1
                entries.append((chosen, d.id, "party_delegate"))

    proposal = Proposal(entries=entries)
    proposal.violations = validate(grids, deputies, entries, rules)
    _explain(proposal.violations, npc, targets, rules)
    return proposal


def _take_surplus(pool, grid_id: str, members, in_grid, rules: Rules):
    """Move one deputy from a grid of `pool` above the minimum to `grid_id`; (donor, deputy) or None."""
    for donor in pool:
        crowd = members[donor]
        if donor == grid_id or len(crowd) <= rules.min_per_grid:
            continue
        township = [m for m in crowd if m.level == "township"]
        for deputy in sorted(crowd, key=lambda m: m.level == "township"):
            if deputy.id in in_grid[grid_id]:
                continue
            if rules.township_deputy_required and deputy.level == "township" and len(township) == 1:
                continue
            crowd.remove(deputy)
            in_grid[donor].discard(deputy.id)
            members[grid_id].append(deputy)
            in_grid[grid_id].add(deputy.id)
            return donor, deputy
    return None


def _grid_constituencies(tree: _Tree, anchored) -> dict[str, str]:
    """Each leaf's original constituency: its own, else the commonest among deputies anchored there or above."""
    common: dict[str, str | None] = {}
    for g, deps in anchored.items():
        names = Counter(d.constituency for d in deps if d.constituency and d.level == "township")
        common[g] = names.most_common(1)[0][0] if names else None
    out = {}
    for leaf in tree.leaves:
        for g in tree.lineage(leaf):
            name = tree.grid[g].constituency or common.get(g)
            if name:
                out[leaf] = name
                break
    return out


def validate(grids: list[PlanGrid], deputies: list[PlanDeputy], entries, rules: Rules) -> list[dict]:
    """Every hard rule the entries break: per grid (count, township deputy) and per deputy (load, status)."""
    tree = _Tree(grids)
    by_id = {d.id: d for d in deputies}
    members: dict[str, list[PlanDeputy]] = {g: [] for g in tree.leaves}
    load = Counter()
    violations = []
    for grid_id, deputy_id, _basis in entries:
        deputy = by_id.get(deputy_id)
        if grid_id not in members:
            violations.append({"grid_id": grid_id, "rule": "not_a_plan_grid",
                               "reason": "the grid is not a bottom-level grid of this plan's scope"})
            continue
        if deputy is None:
            violations.append({"grid_id": grid_id, "deputy_id": deputy_id, "rule": "unknown_deputy",
                               "reason": "no such deputy on the roster"})
            continue
        if deputy.kind == "npc_deputy":
            members[grid_id].append(deputy)
            load[deputy_id] += 1
    for grid_id in tree.leaves:
        code = tree.grid[grid_id].code
        count = len(members[grid_id])
        if count < rules.min_per_grid:
            violations.append({"grid_id": grid_id, "grid_code": code, "rule": "too_few_deputies",
                               "reason": f"{count} deputies; at least {rules.min_per_grid} required"})
        if count > rules.max_per_grid:
            violations.append({"grid_id": grid_id, "grid_code": code, "rule": "too_many_deputies",
                               "reason": f"{count} deputies; at most {rules.max_per_grid} allowed"})
        if rules.township_deputy_required and not any(d.level == "township" for d in members[grid_id]):
            violations.append({"grid_id": grid_id, "grid_code": code, "rule": "no_township_deputy",
                               "reason": "no township-level deputy serves this grid"})
    for deputy_id, count in sorted(load.items()):
        deputy = by_id[deputy_id]
        if count + deputy.outside_load > rules.max_load:
            violations.append({"deputy_id": deputy_id, "rule": "over_load",
                               "reason": f"would serve {count + deputy.outside_load} grids "
                                         f"({deputy.outside_load} outside this plan); at most {rules.max_load}"})
        if deputy.status != "serving":
            violations.append({"deputy_id": deputy_id, "rule": "not_serving",
                               "reason": f"the deputy's status is {deputy.status}"})
    return violations


def _explain(violations: list[dict], npc: list[PlanDeputy], targets: list[str], rules: Rules) -> None:
    """Add why the planner could not meet a grid's rule: the capacity it had against what the grids needed."""
    township = [d for d in npc if d.level == "township"]
    township_capacity = sum(max(0, rules.max_load - d.outside_load) for d in township)
    capacity = sum(max(0, rules.max_load - d.outside_load) for d in npc)
    for v in violations:
        if v["rule"] == "no_township_deputy":
            v["reason"] += (f": {len(township)} township-level deputies can serve {township_capacity} grids in all "
                            f"(max load {rules.max_load}), and {len(targets)} grids need one")
        elif v["rule"] == "too_few_deputies":
            v["reason"] += (f": the {len(npc)} serving deputies can fill {capacity} places in all "
                            f"(max load {rules.max_load}), and {len(targets)} grids need {rules.min_per_grid} each")
