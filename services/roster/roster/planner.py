"""The assignment planner (派驻方案): deputies to grids under the seeds' hard rules, soft rules as preferences.

Pure Python, no I/O. Hard rules (000, 002): every grid gets between `min_per_grid` and `max_per_grid` deputies,
at least one of them township-level, no deputy serves more than `max_load` grids, and a township-level deputy
serves only grids of their own township. Soft rules, in order: deputies who live or work in the grid, then the
original constituency (原选区), then the nearest in the grid tree; strong deputies to difficult grids; levels
mixed. Greedy by scarcity with candidate lists from indexes (grid → deputies anchored in it, its constituency,
its parent's and township's subtrees), never a deputies × grids loop.

`propose` runs the assignment tiers in order, each a named function over the one `PlanState` (no I/O):
`township_tier` (a township-level deputy in every grid, then augmenting chains between townships),
`everyone_tier` (代表人人进网格), `minimum_tier`, `repair_tier`, `party_delegate_tier` (两代表).
"""
from __future__ import annotations

from collections import Counter, defaultdict

from .planner_checks import deputy_townships, explain, may_serve, validate, warnings
from .planner_model import BASES, PlanDeputy, PlanGrid, Proposal, Rules, Tree

__all__ = ["BASES", "PlanDeputy", "PlanGrid", "PlanState", "Proposal", "Rules", "Tree", "everyone_tier",
           "minimum_tier", "party_delegate_tier", "propose", "repair_tier", "township_tier", "validate",
           "warnings"]


def _fit(capability: int, difficulty: int) -> int:
    """How well a deputy's strength suits a grid's difficulty: strong to hard, and keep the strong for the hard."""
    return -abs(capability - difficulty)


class PlanState:
    """The state of one proposal: loads, each grid's members, the entries so far, and the indexes."""

    def __init__(self, grids: list[PlanGrid], deputies: list[PlanDeputy], rules: Rules):
        self.rules, self.tree = rules, Tree(grids)
        self.targets = self.tree.leaves
        self.serving = [d for d in deputies if d.status == "serving"]
        self.npc = [d for d in self.serving if d.kind == "npc_deputy"]
        self.load = {d.id: d.outside_load for d in self.serving}
        self.members: dict[str, list[PlanDeputy]] = {g: [] for g in self.targets}
        self.in_grid: dict[str, set[str]] = {g: set() for g in self.targets}
        self.entries: list[tuple[str, str, str]] = []
        self.towns = {d.id: deputy_townships(d, self.tree) for d in self.serving}
        self.anchored, self.subtree, self.by_constituency = _anchor_indexes(self.npc, self.tree)
        self.constituency = _grid_constituencies(self.tree, self.anchored)
        self.pools = _county_pools(self.npc, self.towns)
        self.cursor: dict[tuple[str, int], int] = defaultdict(int)

    def may_serve(self, d: PlanDeputy, grid_id: str) -> bool:
        return may_serve(d, self.towns.get(d.id, frozenset()), self.tree.township(grid_id))

    def assign(self, grid_id: str, deputy: PlanDeputy, basis: str) -> None:
        self.members[grid_id].append(deputy)
        self.in_grid[grid_id].add(deputy.id)
        self.load[deputy.id] += 1
        self.entries.append((grid_id, deputy.id, basis))

    # Candidates for a grid ------------------------------------------------------------------------------------
    def deputy_tiers(self, grid_id: str):
        tree, parent = self.tree, self.tree.parent(grid_id)
        yield "home_or_work", self.anchored.get(grid_id, ())
        yield "constituency", self.by_constituency.get(self.constituency.get(grid_id), ())
        if parent:
            yield "nearby", self.subtree.get(parent, ())
        yield "township", self.subtree.get(tree.township(grid_id), ())

    def from_pool(self, level: str, limit: int, grid_id: str) -> PlanDeputy | None:
        pool, key, load = self.pools.get(level, []), (level, limit), self.load
        while self.cursor[key] < len(pool) and load[pool[self.cursor[key]].id] >= limit:
            self.cursor[key] += 1  # loads only grow: a deputy skipped once stays skipped at this limit
        for d in pool[self.cursor[key]:self.cursor[key] + 50]:
            if load[d.id] < limit and d.id not in self.in_grid[grid_id]:
                return d
        return None

    def pick(self, grid_id: str, limit: int, level: str | None, local_only: bool = False):
        """The best candidate for a grid, tier by tier: (deputy, basis) or None."""
        for basis, candidates in self.deputy_tiers(grid_id):
            if local_only and basis != "home_or_work":
                return None
            best = self.best_deputy(grid_id, candidates, limit, level)
            if best is not None:
                return best, basis
        found = self.from_pool(level or "*", limit, grid_id)
        return (found, "county") if found else None

    def best_deputy(self, grid_id: str, candidates, limit: int, level: str | None) -> PlanDeputy | None:
        """Among `candidates`, the one with load to spare who fits the grid best (or None)."""
        difficulty = self.tree.grid[grid_id].difficulty
        have_levels = {m.level for m in self.members[grid_id]}
        load, in_grid, towns = self.load, self.in_grid[grid_id], self.towns
        best, best_score = None, None
        for d in candidates:
            if load[d.id] >= limit or d.id in in_grid or (level and d.level != level) \
                    or not self.may_serve(d, grid_id):
                continue
            # a deputy who may serve only this township before one who may also serve another (works there)
            score = (-load[d.id], -len(towns[d.id]), d.level not in have_levels, _fit(d.capability, difficulty))
            if best_score is None or score > best_score:
                best, best_score = d, score
        return best


# Tier 1 ---------------------------------------------------------------------------------------------------------------
def township_tier(state: PlanState) -> None:
    """A township-level deputy in every grid, scarcest grids first, the hardest first among equals: those who
    live or work in a grid serve it first; then the scarce grids draw on the nearest of their township."""
    tree = state.tree

    def nearby_township(grid_id: str) -> int:
        parent = tree.parent(grid_id) or grid_id
        return sum(1 for d in state.subtree.get(parent, ()) if d.level == "township")

    order = sorted(state.targets, key=lambda g: (nearby_township(g), -tree.grid[g].difficulty, tree.grid[g].code))
    for limit, local_only in [(1, True)] + [(limit, False) for limit in sorted({1, state.rules.max_load})]:
        for grid_id in order:
            if any(m.level == "township" for m in state.members[grid_id]):
                continue
            found = state.pick(grid_id, limit, "township", local_only)
            if found:
                state.assign(grid_id, *found)
    cover_townships(state)


def cover_townships(state: PlanState) -> None:
    """A grid the greedy passes left without a township-level deputy takes one of its township's deputies
    from a grid of another township (one they may serve: they work there), which takes one of its own, and so
    on, when such a chain ends at a deputy with load to spare (an augmenting path, searched by township).
    A search that fails leaves its townships out of later searches: nothing they reach has load to spare."""
    tree, limit, members = state.tree, state.rules.max_load, state.members
    held: dict[str, list[str]] = defaultdict(list)  # deputy -> grids where they are the only township deputy
    for grid_id in state.targets:
        township = [m for m in members[grid_id] if m.level == "township"]
        if len(township) == 1:
            held[township[0].id].append(grid_id)
    entry_at = {(g, d): i for i, (g, d, _) in enumerate(state.entries)}
    dead: set[str] = set()
    for grid_id in state.targets:
        start = tree.township(grid_id)
        if start in dead or any(m.level == "township" for m in members[grid_id]):
            continue
        chain, seen = _augmenting_chain(state, grid_id, start, held, dead, limit)
        if chain is None:
            dead |= seen
            continue
        for deputy, source, target in chain:  # from the free end back to the grid that needed one
            if source is not None:
                members[source].remove(deputy)
                state.in_grid[source].discard(deputy.id)
                held[deputy.id].remove(source)
                index = entry_at.pop((source, deputy.id))
                state.entries[index] = (target, deputy.id, "township")
                entry_at[(target, deputy.id)] = index
                members[target].append(deputy)
                state.in_grid[target].add(deputy.id)
            else:
                state.assign(target, deputy, "township")
                entry_at[(target, deputy.id)] = len(state.entries) - 1
            held[deputy.id].append(target)


def _augmenting_chain(state: PlanState, grid_id: str, start: str, held: dict, dead: set, limit: int):
    """Breadth-first over townships: ([(deputy, grid left or None, grid taken)], searched) or (None, searched)."""
    tree = state.tree
    need = {start: grid_id}  # township -> the grid there that needs a township deputy
    came_from: dict[str, tuple] = {}
    queue, seen = [start], {start}
    for township in queue:
        target = need[township]
        for d in state.subtree.get(township, ()):
            if d.level != "township" or d.id in state.in_grid[target] or not state.may_serve(d, target):
                continue
            if state.load[d.id] < limit:
                chain, step = [(d, None, target)], township
                while step in came_from:
                    previous, mover, source = came_from[step]
                    chain.append((mover, source, need[previous]))
                    step = previous
                return chain, seen
            for source in held.get(d.id, ()):
                other = tree.township(source)
                if other not in seen and other not in dead:
                    seen.add(other)
                    need[other], came_from[other] = source, (township, d, source)
                    queue.append(other)
    return None, seen


# Tier 2 ---------------------------------------------------------------------------------------------------------------
def everyone_tier(state: PlanState) -> None:
    """代表人人进网格: each deputy still without a grid (strongest first) goes to the best grid near them."""
    tree, rules = state.tree, state.rules
    state.leaf_set = set(state.targets)
    state.grids_by_constituency = defaultdict(list)
    for g in state.targets:
        if state.constituency.get(g):
            state.grids_by_constituency[state.constituency[g]].append(g)
    state.open_grids = sorted(state.targets, key=lambda g: (-tree.grid[g].difficulty, tree.grid[g].code))
    state.open_cursor = 0
    for d in sorted(state.npc, key=lambda d: (-d.capability, d.level == "township", d.id)):
        if state.load[d.id] == 0 and d.outside_load < rules.max_load:
            _place(state, d)


def _grid_tiers(state: PlanState, d: PlanDeputy):
    tree = state.tree
    homes = [g for g in (d.home_grid_id, d.work_grid_id) if g in tree.grid]
    yield "home_or_work", [g for g in homes if g in state.leaf_set] + [
        x for g in homes if g not in state.leaf_set for x in tree.leaves_under.get(g, ())]
    yield "constituency", state.grids_by_constituency.get(d.constituency, ())
    for g in homes:
        if tree.parent(g):
            yield "nearby", tree.leaves_under.get(tree.parent(g), ())
    for g in homes:
        yield "township", tree.leaves_under.get(tree.township(g), ())


def _place(state: PlanState, d: PlanDeputy) -> None:
    rules, members = state.rules, state.members
    for basis, candidates in _grid_tiers(state, d):
        best, best_score = None, None
        for g in candidates:
            crowd = len(members[g])
            if crowd >= rules.max_per_grid or d.id in state.in_grid[g] or not state.may_serve(d, g):
                continue
            score = (-crowd, d.level not in {m.level for m in members[g]},
                     _fit(d.capability, state.tree.grid[g].difficulty))
            if best_score is None or score > best_score:
                best, best_score = g, score
        if best is not None:
            state.assign(best, d, basis)
            return
    if d.level == "township" and state.towns[d.id]:
        return  # their own township is full: the county fallback would send them to another township
    while state.open_cursor < len(state.open_grids) and \
            len(members[state.open_grids[state.open_cursor]]) >= rules.max_per_grid:
        state.open_cursor += 1  # grids only fill up
    if state.open_cursor < len(state.open_grids):
        state.assign(state.open_grids[state.open_cursor], d, "county")


# Tier 3 ---------------------------------------------------------------------------------------------------------------
def minimum_tier(state: PlanState) -> None:
    """Grids still below the minimum take deputies who have load to spare."""
    for grid_id in state.targets:
        while len(state.members[grid_id]) < state.rules.min_per_grid:
            found = state.pick(grid_id, state.rules.max_load, None)
            if not found:
                break
            state.assign(grid_id, *found)


# Tier 4 ---------------------------------------------------------------------------------------------------------------
def repair_tier(state: PlanState) -> None:
    """A grid still short takes a deputy from the nearest grid that has more than the minimum, never the
    donor's only township-level deputy, nor a township-level deputy from another township."""
    members, minimum = state.members, state.rules.min_per_grid
    short = [g for g in state.targets if len(members[g]) < minimum]
    surplus = dict.fromkeys(g for g in state.targets if len(members[g]) > minimum)
    if not (short and surplus):
        return
    entry_at = {(g, d): i for i, (g, d, _) in enumerate(state.entries)}
    for grid_id in short:
        _repair_grid(state, grid_id, surplus, entry_at)


def _repair_grid(state: PlanState, grid_id: str, surplus: dict, entry_at: dict) -> None:
    """Bring one short grid up to the minimum from its village's grids, then its township's, then any surplus."""
    members, minimum, tree = state.members, state.rules.min_per_grid, state.tree
    parent, township = tree.parent(grid_id), tree.township(grid_id)
    for pool in [tree.leaves_under.get(a, ()) for a in (parent, township) if a] + [surplus]:
        while len(members[grid_id]) < minimum:
            moved = _take_surplus(state, list(pool), grid_id)
            if moved is None:
                break
            donor, deputy = moved
            if len(members[donor]) <= minimum:
                surplus.pop(donor, None)
            index = entry_at.pop((donor, deputy.id))
            state.entries[index] = (grid_id, deputy.id, "repair")
            entry_at[(grid_id, deputy.id)] = index
        if len(members[grid_id]) >= minimum:
            return


def _take_surplus(state: PlanState, pool, grid_id: str):
    """Move one deputy from a grid of `pool` above the minimum to `grid_id`; (donor, deputy) or None."""
    rules, members, in_grid = state.rules, state.members, state.in_grid
    for donor in pool:
        crowd = members[donor]
        if donor == grid_id or len(crowd) <= rules.min_per_grid:
            continue
        township = [m for m in crowd if m.level == "township"]
        for deputy in sorted(crowd, key=lambda m: m.level == "township"):
            if deputy.id in in_grid[grid_id] or not state.may_serve(deputy, grid_id):
                continue
            if rules.township_deputy_required and deputy.level == "township" and len(township) == 1:
                continue
            crowd.remove(deputy)
            in_grid[donor].discard(deputy.id)
            members[grid_id].append(deputy)
            in_grid[grid_id].add(deputy.id)
            return donor, deputy
    return None


# Tier 5 ---------------------------------------------------------------------------------------------------------------
def party_delegate_tier(state: PlanState) -> None:
    """两代表: one party delegate per grid, nearest first, as far as there are delegates."""
    with_delegate: set[str] = set()
    for d in sorted((d for d in state.serving if d.kind == "party_delegate"), key=lambda d: -d.capability):
        chosen = _nearest_free_grid(state, d, with_delegate)
        if chosen:
            with_delegate.add(chosen)
            state.in_grid[chosen].add(d.id)
            state.load[d.id] += 1
            state.entries.append((chosen, d.id, "party_delegate"))


def _nearest_free_grid(state: PlanState, d: PlanDeputy, with_delegate: set[str]) -> str | None:
    """The grid without a delegate nearest the delegate's home or work (up to four levels up), else any."""
    tree = state.tree
    lines = [tree.lineage(g) for g in (d.home_grid_id, d.work_grid_id) if g in tree.grid]
    for depth in range(4):
        for line in lines:
            if depth < len(line):
                chosen = next((g for g in tree.leaves_under.get(line[depth], ())
                               if g not in with_delegate and state.may_serve(d, g)), None)
                if chosen:
                    return chosen
    return next((g for g in state.targets if g not in with_delegate and state.may_serve(d, g)), None)


def propose(grids: list[PlanGrid], deputies: list[PlanDeputy], rules: Rules = Rules()) -> Proposal:
    """A plan for the leaf grids of `grids`; `violations` says exactly which hard rules fail where, and why (and
    what would make it feasible); `warnings` what the plan should show without failing (两代表 gaps)."""
    state = PlanState(grids, deputies, rules)
    if rules.township_deputy_required:
        township_tier(state)
    everyone_tier(state)
    minimum_tier(state)
    repair_tier(state)
    if rules.pair_party_delegates:
        party_delegate_tier(state)
    proposal = Proposal(entries=state.entries)
    proposal.violations = validate(grids, deputies, state.entries, rules, state.tree)
    explain(proposal.violations, state.tree, state.npc, rules)
    proposal.warnings = warnings(state.tree, deputies, state.entries, rules)
    return proposal


def _grid_constituencies(tree: Tree, anchored) -> dict[str, str]:
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


def _anchor_indexes(npc: list[PlanDeputy], tree: Tree):
    """grid → NPC deputies anchored in it (home or work), grid → those anchored in its subtree, and constituency →
    deputies: the candidate lists of a grid, so no tier loops over deputies × grids."""
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
    return anchored, subtree, by_constituency


def _county_pools(npc: list[PlanDeputy], towns: dict[str, frozenset]) -> dict[str, list[PlanDeputy]]:
    """County-wide fallback by level ("*": any), strongest first; a township-level deputy of a known township is
    not in it: their township's subtree is the farthest they may go."""
    pools: dict[str, list[PlanDeputy]] = defaultdict(list)
    for d in sorted(npc, key=lambda d: -d.capability):
        if d.level != "township" or not towns[d.id]:
            pools[d.level].append(d)
            pools["*"].append(d)
    return pools
