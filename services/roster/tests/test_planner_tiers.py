"""Each assignment tier of the planner on its own, over a PlanState built by hand (pure: no database, no app)."""
from roster.planner import (PlanDeputy, PlanState, Rules, everyone_tier, minimum_tier, party_delegate_tier,
                            repair_tier, township_tier)

from .test_planner import county, two_townships


def grids_of(state: PlanState) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for grid, deputy, basis in state.entries:
        out.setdefault(grid, []).append((deputy, basis))
    return out


def test_the_township_tier_puts_a_township_deputy_in_every_grid_those_who_live_there_first():
    grids = county(villages=1, groups=2)  # G00, G01 under V0 under T
    home = PlanDeputy("home", "township", home_grid_id="G00")
    near = PlanDeputy("near", "township", home_grid_id="V0")
    county_level = PlanDeputy("county", "county", home_grid_id="G01")  # not township-level: not this tier's
    state = PlanState(grids, [home, near, county_level], Rules())
    township_tier(state)
    assert grids_of(state) == {"G00": [("home", "home_or_work")], "G01": [("near", "nearby")]}
    assert state.load == {"home": 1, "near": 1, "county": 0}


def test_the_township_tier_never_crosses_into_another_township():
    grids = two_townships(groups=1)
    only_a = PlanDeputy("only_a", "township", home_grid_id="A0")
    state = PlanState(grids, [only_a], Rules(max_load=2))
    township_tier(state)
    assert grids_of(state) == {"A0": [("only_a", "home_or_work")]}  # B0 stays without one: A's deputy may not go


def test_the_everyone_tier_gives_each_deputy_without_a_grid_the_best_grid_near_them():
    grids = county(villages=1, groups=2, difficulty=lambda v, g: 5 if g == 1 else 1)
    strong = PlanDeputy("strong", "county", home_grid_id="V0", capability=5)
    state = PlanState(grids, [strong], Rules())
    everyone_tier(state)
    assert grids_of(state) == {"G01": [("strong", "home_or_work")]}  # the hard grid of their village


def test_the_everyone_tier_leaves_a_deputy_who_already_has_a_grid_alone():
    grids = county(villages=1, groups=2)
    placed = PlanDeputy("placed", "county", home_grid_id="G00")
    state = PlanState(grids, [placed], Rules())
    state.assign("G01", placed, "manual")
    everyone_tier(state)
    assert state.entries == [("G01", "placed", "manual")]


def test_the_minimum_tier_fills_grids_below_the_minimum_from_deputies_with_load_to_spare():
    grids = county(villages=1, groups=2)
    spare = PlanDeputy("spare", "county", home_grid_id="G00")
    state = PlanState(grids, [spare], Rules(min_per_grid=1, max_load=2, township_deputy_required=False))
    state.assign("G00", spare, "home_or_work")
    minimum_tier(state)
    assert grids_of(state) == {"G00": [("spare", "home_or_work")], "G01": [("spare", "nearby")]}


def test_the_repair_tier_moves_a_surplus_deputy_but_never_the_donors_only_township_deputy():
    grids = county(villages=1, groups=2)
    town = PlanDeputy("town", "township", home_grid_id="G00")
    extra = PlanDeputy("extra", "county", home_grid_id="G00")
    state = PlanState(grids, [town, extra], Rules(min_per_grid=1))
    state.assign("G00", town, "home_or_work")
    state.assign("G00", extra, "home_or_work")
    repair_tier(state)
    assert sorted(state.entries) == [("G00", "town", "home_or_work"), ("G01", "extra", "repair")]


def test_the_repair_tier_does_nothing_without_surplus():
    grids = county(villages=1, groups=2)
    town = PlanDeputy("town", "township", home_grid_id="G00")
    state = PlanState(grids, [town], Rules(min_per_grid=1))
    state.assign("G00", town, "home_or_work")
    repair_tier(state)
    assert state.entries == [("G00", "town", "home_or_work")]


def test_the_party_delegate_tier_places_one_delegate_a_grid_nearest_first():
    grids = county(villages=2, groups=1)  # G00 under V0, G10 under V1
    first = PlanDeputy("first", "township", kind="party_delegate", home_grid_id="G10", capability=5)
    second = PlanDeputy("second", "township", kind="party_delegate", home_grid_id="G10", capability=1)
    third = PlanDeputy("third", "township", kind="party_delegate", home_grid_id="G10", capability=1)
    state = PlanState(grids, [first, second, third], Rules(pair_party_delegates=True))
    party_delegate_tier(state)
    assert grids_of(state) == {"G10": [("first", "party_delegate")], "G00": [("second", "party_delegate")]}
    assert state.load["third"] == 0  # every grid has its delegate: the third waits
