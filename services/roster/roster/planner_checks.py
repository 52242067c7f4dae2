"""The planner's hard rules, checked per grid, per deputy and per placement, and what it says about a plan it
could not make feasible: why (the capacity against the need, per township) and what would make it feasible.

Pure Python, no I/O. `validate` checks a whole plan; `check_grid`, `check_deputy` and `check_placement` are its
pieces, so that a hand edit of one grid re-checks only that grid and the deputies it touched.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from .planner_model import PlanDeputy, Rules, Tree

GRID_RULES = ("too_few_deputies", "too_many_deputies", "no_township_deputy", "not_a_plan_grid", "unknown_deputy",
              "other_township")
DEPUTY_RULES = ("over_load", "not_serving")


def deputy_townships(deputy: PlanDeputy, tree: Tree) -> frozenset:
    """The townships a deputy belongs to: given by the caller (who sees the whole county), else those of the
    home and work grids found in `tree`. Empty when unknown: no township rule can then be checked."""
    if deputy.townships is not None:
        return deputy.townships
    return frozenset(tree.township(g) for g in (deputy.home_grid_id, deputy.work_grid_id) if g in tree.grid)


def may_serve(deputy: PlanDeputy, towns: frozenset, grid_township: str | None) -> bool:
    """A township-level deputy serves only grids of their own township (home or work); others serve anywhere."""
    return deputy.level != "township" or not towns or grid_township in towns


def check_placement(grid_id: str, grid_code: str, grid_township: str | None, deputy: PlanDeputy, towns: frozenset,
                    tree_codes: dict) -> dict | None:
    """A township-level deputy placed in a grid of another township (the notice would be issued by the other
    township's presidium)."""
    if may_serve(deputy, towns, grid_township):
        return None
    own = "、".join(sorted(tree_codes.get(t, t) for t in towns))
    return {"grid_id": grid_id, "grid_code": grid_code, "deputy_id": deputy.id, "rule": "other_township",
            "reason": f"a township-level deputy of township {own} serves only grids of that township, and this grid "
                      f"is in township {tree_codes.get(grid_township, grid_township)}"}


def check_grid(grid_id: str, code: str, members: list[PlanDeputy], rules: Rules) -> list[dict]:
    """The per-grid hard rules for the NPC deputies serving one grid."""
    out, count = [], len(members)
    if count < rules.min_per_grid:
        out.append({"grid_id": grid_id, "grid_code": code, "rule": "too_few_deputies",
                    "reason": f"{count} deputies; at least {rules.min_per_grid} required"})
    if count > rules.max_per_grid:
        out.append({"grid_id": grid_id, "grid_code": code, "rule": "too_many_deputies",
                    "reason": f"{count} deputies; at most {rules.max_per_grid} allowed"})
    if rules.township_deputy_required and not any(d.level == "township" for d in members):
        out.append({"grid_id": grid_id, "grid_code": code, "rule": "no_township_deputy",
                    "reason": "no township-level deputy serves this grid"})
    return out


def check_deputy(deputy: PlanDeputy, count: int, rules: Rules) -> list[dict]:
    """The per-deputy hard rules, `count` being the grids the deputy serves in the plan."""
    out = []
    if count + deputy.outside_load > rules.max_load:
        out.append({"deputy_id": deputy.id, "rule": "over_load",
                    "reason": f"would serve {count + deputy.outside_load} grids "
                              f"({deputy.outside_load} outside this plan); at most {rules.max_load}"})
    if deputy.status != "serving":
        out.append({"deputy_id": deputy.id, "rule": "not_serving",
                    "reason": f"the deputy's status is {deputy.status}"})
    return out


def check_pairing(grid_id: str, code: str, kinds: list[str], rules: Rules) -> list[dict]:
    """两代表: with party delegates paired, a grid without one is a warning (not a hard rule)."""
    if not rules.pair_party_delegates or "party_delegate" in kinds:
        return []
    return [{"grid_id": grid_id, "grid_code": code, "rule": "no_party_delegate",
             "reason": "no party delegate serves this grid (两代表: a party delegate beside the NPC deputies)"}]


def validate(grids, deputies: list[PlanDeputy], entries, rules: Rules, tree: Tree | None = None) -> list[dict]:
    """Every hard rule the entries break: per placement (township), per grid (count, township deputy) and per
    deputy (load, status)."""
    tree = tree or Tree(grids)
    by_id = {d.id: d for d in deputies}
    members: dict[str, list[PlanDeputy]] = {g: [] for g in tree.leaves}
    load = Counter()
    violations = []
    codes = {g: tree.grid[g].code for g in tree.grid}
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
        misplaced = check_placement(grid_id, codes[grid_id], tree.township(grid_id), deputy, deputy_townships(deputy, tree), codes)
        if misplaced:
            violations.append(misplaced)
        if deputy.kind == "npc_deputy":
            members[grid_id].append(deputy)
            load[deputy_id] += 1
    for grid_id in tree.leaves:
        violations += check_grid(grid_id, codes[grid_id], members[grid_id], rules)
    for deputy_id, count in sorted(load.items()):
        violations += check_deputy(by_id[deputy_id], count, rules)
    return violations


def warnings(tree: Tree, deputies: list[PlanDeputy], entries, rules: Rules) -> list[dict]:
    """What the plan should show without refusing it: grids without a party delegate when they are paired."""
    if not rules.pair_party_delegates:
        return []
    kinds = {d.id: d.kind for d in deputies}
    by_grid = defaultdict(list)
    for grid_id, deputy_id, _ in entries:
        by_grid[grid_id].append(kinds.get(deputy_id))
    out = []
    for grid_id in tree.leaves:
        out += check_pairing(grid_id, tree.grid[grid_id].code, by_grid[grid_id], rules)
    return out


def township_capacity(tree: Tree, npc: list[PlanDeputy]) -> tuple[Counter, dict]:
    """Per township: the bottom grids that need a township-level deputy, and the outside loads of the serving
    township-level deputies who belong to it (by home, else work grid)."""
    need = Counter(tree.township(g) for g in tree.leaves)
    outside: dict[str, list[int]] = defaultdict(list)
    for d in npc:
        if d.level != "township":
            continue
        towns = [tree.township(g) for g in (d.home_grid_id, d.work_grid_id) if g in tree.grid]
        if d.townships is not None and not towns:
            towns = sorted(d.townships)
        if towns:
            outside[towns[0]].append(d.outside_load)
    return need, outside


def _capacity(loads: list[int], max_load: int) -> int:
    return sum(max(0, max_load - o) for o in loads)


def load_that_covers(need: int, loads: list[int]) -> int | None:
    """The smallest max load at which these deputies can cover `need` grids; None without any deputy."""
    if not loads:
        return None if need else 0
    load = 1
    while _capacity(loads, load) < need:
        load += 1
    return load


def explain(violations: list[dict], tree: Tree, npc: list[PlanDeputy], rules: Rules) -> None:
    """Add why the planner could not meet a grid's rule (the capacity against the need, in the grid's township)
    and, for grids without a township-level deputy, what would make the plan feasible (`advice`)."""
    if not any(v["rule"] in ("no_township_deputy", "too_few_deputies") for v in violations):
        return
    need, outside = township_capacity(tree, npc)
    advice = feasibility_advice(tree, need, outside, rules)
    capacity = sum(max(0, rules.max_load - d.outside_load) for d in npc)
    for v in violations:
        if v["rule"] == "no_township_deputy":
            town = tree.township(v["grid_id"])
            loads = outside.get(town, [])
            v["reason"] += (f": {len(loads)} township-level deputies of township {tree.grid[town].code} can serve "
                            f"{_capacity(loads, rules.max_load)} grids in all (max load {rules.max_load}), and "
                            f"{need[town]} grids need one")
            if advice:
                v["reason"] += f"; {advice}"
                v["advice"] = advice
        elif v["rule"] == "too_few_deputies":
            v["reason"] += (f": the {len(npc)} serving deputies can fill {capacity} places in all "
                            f"(max load {rules.max_load}), and {len(tree.leaves)} grids need {rules.min_per_grid} "
                            "each")


def feasibility_advice(tree: Tree, need: Counter, outside: dict, rules: Rules) -> str | None:
    """What would give every grid a township-level deputy: "max load 2 covers all", or the townships no load can
    cover because none of their township-level deputies is serving."""
    loads, empty = [], []
    for town in sorted(need, key=lambda t: tree.grid[t].code):
        covering = load_that_covers(need[town], outside.get(town, []))
        if covering is None:
            empty.append(tree.grid[town].code)
        else:
            loads.append(covering)
    worst = max(loads, default=0)
    parts = []
    if empty:
        shown = "、".join(empty[:10]) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
        parts.append(f"no load covers township {shown}: it has no serving township-level deputy (register one)")
    if worst > rules.max_load:
        parts.append(f"max load {worst} covers all" + (" other townships" if empty else ""))
    return "; ".join(parts) or None
