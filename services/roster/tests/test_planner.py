"""The planner as pure Python: soft rules as preferences, hard rules met or each failure explained."""
from collections import Counter

from roster.planner import PlanDeputy, PlanGrid, PlanState, Rules, cover_townships, propose, validate


def county(villages=2, groups=3, difficulty=lambda v, g: 2):
    grids = [PlanGrid("T", "T", 1, None)]
    for v in range(villages):
        grids.append(PlanGrid(f"V{v}", f"T-{v}", 2, "T"))
        grids += [PlanGrid(f"G{v}{g}", f"T-{v}-{g}", 3, f"V{v}", difficulty(v, g)) for g in range(groups)]
    return grids


def served(proposal):
    out = {}
    for grid, deputy, basis in proposal.entries:
        out.setdefault(grid, []).append((deputy, basis))
    return out


def test_deputies_who_live_in_a_grid_serve_it():
    grids = county()
    deputies = [PlanDeputy(f"d{g.id}", "township", home_grid_id=g.id) for g in grids if g.level == 3]
    proposal = propose(grids, deputies)
    assert proposal.violations == []
    assert all(served(proposal)[f"{d.home_grid_id}"] == [(d.id, "home_or_work")] for d in deputies)


def test_the_constituency_comes_before_the_rest_of_the_township():
    grids = county(villages=2, groups=1)
    grids[2].constituency = "一选区"  # G00
    grids[4].constituency = "二选区"  # G10
    near = PlanDeputy("near", "township", home_grid_id="V1", constituency="一选区")  # lives in the other village
    other = PlanDeputy("other", "township", home_grid_id="V0", constituency="二选区")
    proposal = propose(grids, [near, other])
    assert served(proposal)["G00"] == [("near", "constituency")]
    assert served(proposal)["G10"] == [("other", "constituency")]


def test_strong_deputies_go_to_difficult_grids():
    grids = county(villages=1, groups=2, difficulty=lambda v, g: 5 if g == 0 else 1)
    strong = PlanDeputy("strong", "township", home_grid_id="V0", capability=5)
    weak = PlanDeputy("weak", "township", home_grid_id="V0", capability=1)
    proposal = propose(grids, [weak, strong])
    assert served(proposal) == {"G00": [("strong", "nearby")], "G01": [("weak", "nearby")]}


def test_every_deputy_gets_a_grid_and_levels_are_mixed():
    grids = county(villages=1, groups=2)
    deputies = [PlanDeputy("t1", "township", home_grid_id="G00"), PlanDeputy("t2", "township", home_grid_id="G01"),
                PlanDeputy("c1", "county", home_grid_id="V0"), PlanDeputy("c2", "county", home_grid_id="V0"),
                PlanDeputy("p1", "provincial", home_grid_id="V0")]
    proposal = propose(grids, deputies, Rules(max_per_grid=3))
    assert proposal.violations == []
    levels = {g: Counter(next(d.level for d in deputies if d.id == i) for i, _ in members)
              for g, members in served(proposal).items()}
    assert sum(sum(c.values()) for c in levels.values()) == 5
    assert all(c["county"] <= 1 for c in levels.values())  # the two county deputies are spread, not stacked


def test_infeasible_plans_list_each_grid_and_the_reason():
    grids = county(villages=1, groups=3)
    proposal = propose(grids, [PlanDeputy("t1", "township", home_grid_id="G00")], Rules(max_load=1))
    failing = sorted((v.get("grid_id"), v["rule"]) for v in proposal.violations)
    assert failing == [("G01", "no_township_deputy"), ("G01", "too_few_deputies"),
                       ("G02", "no_township_deputy"), ("G02", "too_few_deputies")]
    assert all("can serve 1 grids in all" in v["reason"] or "can fill 1 places" in v["reason"]
               for v in proposal.violations)


def test_load_held_outside_the_scope_counts():
    grids = county(villages=1, groups=1)
    busy = PlanDeputy("busy", "township", home_grid_id="G00", outside_load=1)
    proposal = propose(grids, [busy], Rules(max_load=1))
    assert [v["rule"] for v in proposal.violations] == ["too_few_deputies", "no_township_deputy"]
    assert validate(grids, [busy], [("G00", "busy", "manual")], Rules(max_load=1))[0]["rule"] == "over_load"


def test_party_delegates_are_paired_one_a_grid_when_asked():
    grids = county(villages=1, groups=2)
    deputies = [PlanDeputy("t1", "township", home_grid_id="G00"), PlanDeputy("t2", "township", home_grid_id="G01"),
                PlanDeputy("p1", "county", kind="party_delegate", home_grid_id="G00"),
                PlanDeputy("p2", "county", kind="party_delegate", home_grid_id="G00")]
    assert not any(b == "party_delegate" for _, _, b in propose(grids, deputies).entries)
    paired = served(propose(grids, deputies, Rules(pair_party_delegates=True)))
    assert ("p1", "party_delegate") in paired["G00"] or ("p2", "party_delegate") in paired["G00"]
    assert sum(b == "party_delegate" for m in paired.values() for _, b in m) == 2


def test_suspended_deputies_are_not_planned_and_flagged_when_placed_by_hand():
    grids = county(villages=1, groups=1)
    away = PlanDeputy("away", "township", home_grid_id="G00", status="suspended")
    assert propose(grids, [away]).entries == []
    assert {v["rule"] for v in validate(grids, [away], [("G00", "away", "manual")], Rules())} >= {"not_serving"}


def test_the_repair_pass_moves_a_surplus_deputy_to_a_grid_below_the_minimum():
    grids = county(villages=1, groups=2)
    # Three deputies live in G00, one in G01; everyone may serve one grid; each grid needs two.
    deputies = [PlanDeputy("t1", "township", home_grid_id="G00"), PlanDeputy("t2", "township", home_grid_id="G01"),
                PlanDeputy("c1", "county", home_grid_id="G00"), PlanDeputy("c2", "county", home_grid_id="G00")]
    proposal = propose(grids, deputies, Rules(min_per_grid=2, max_per_grid=3, max_load=1))
    assert proposal.violations == []
    assert sorted(len(m) for m in served(proposal).values()) == [2, 2]
    assert any(basis == "repair" for _, _, basis in proposal.entries)


def test_no_grid_gets_more_than_the_maximum_even_when_everyone_lives_there():
    grids = county(villages=1, groups=3)
    deputies = [PlanDeputy(f"t{i}", "township", home_grid_id="G00") for i in range(3)] + [
        PlanDeputy(f"c{i}", "county", home_grid_id="G00") for i in range(5)]
    proposal = propose(grids, deputies, Rules(min_per_grid=1, max_per_grid=2, max_load=1))
    assert proposal.violations == []
    crowd = Counter(grid for grid, _, _ in proposal.entries)
    assert max(crowd.values()) == 2 and set(crowd) == {"G00", "G01", "G02"}
    assert all(any(d.startswith("t") for d, _ in members) for members in served(proposal).values())
    assert len(proposal.entries) == 6  # two deputies find no place left: coverage lists them, no rule is broken
    by_hand = [("G00", d.id, "manual") for d in deputies[:3]] + [("G01", "c0", "manual"), ("G02", "c1", "manual")]
    broken = {(v.get("grid_id"), v["rule"]) for v in validate(grids, deputies, by_hand, Rules(max_per_grid=2))}
    assert broken == {("G00", "too_many_deputies"), ("G01", "no_township_deputy"), ("G02", "no_township_deputy")}


def test_the_minimum_and_the_township_rule_can_be_configured():
    grids = county(villages=1, groups=2)
    deputies = [PlanDeputy("c1", "county", home_grid_id="G00"), PlanDeputy("c2", "county", home_grid_id="G01")]
    strict = propose(grids, deputies)
    assert {v["rule"] for v in strict.violations} == {"no_township_deputy"}
    relaxed = propose(grids, deputies, Rules(township_deputy_required=False))
    assert relaxed.violations == [] and {g for g, _, _ in relaxed.entries} == {"G00", "G01"}
    two_each = propose(grids, deputies, Rules(min_per_grid=2, township_deputy_required=False, max_load=2))
    assert two_each.violations == [] and Counter(g for g, _, _ in two_each.entries) == {"G00": 2, "G01": 2}


def two_townships(groups=3):
    """Townships A and B, one village each, `groups` group grids each."""
    grids = []
    for t in "AB":
        grids += [PlanGrid(t, t, 1, None), PlanGrid(f"{t}V", f"{t}-0", 2, t)]
        grids += [PlanGrid(f"{t}{g}", f"{t}-0-{g}", 3, f"{t}V") for g in range(groups)]
    return grids


def test_a_township_deputy_never_serves_a_grid_of_another_township():
    grids = two_townships(groups=3)
    # Township A has five township deputies for three grids; B has one for three: B must not borrow from A.
    deputies = [PlanDeputy(f"a{i}", "township", home_grid_id="AV") for i in range(5)] + [
        PlanDeputy("b0", "township", home_grid_id="B0"), PlanDeputy("c0", "county", home_grid_id="AV")]
    proposal = propose(grids, deputies, Rules(max_load=1, max_per_grid=3))
    township_of = {g.id: g.id[0] for g in grids}
    for grid, deputy, _ in proposal.entries:
        if deputy.startswith(("a", "b")):
            assert township_of[grid] == deputy[0].upper(), (grid, deputy)
    failing = {v["grid_id"] for v in proposal.violations if v["rule"] == "no_township_deputy"}
    assert failing == {"B1", "B2"}
    # a county-level deputy may still serve anywhere
    assert any(d == "c0" for _, d, _ in proposal.entries)


def test_a_township_deputy_placed_by_hand_in_another_township_is_a_violation():
    grids = two_townships(groups=1)
    a, b = PlanDeputy("a", "township", home_grid_id="A0"), PlanDeputy("b", "township", home_grid_id="B0")
    broken = validate(grids, [a, b], [("A0", "a", "manual"), ("B0", "a", "manual")], Rules(max_load=2))
    assert [(v["grid_id"], v["deputy_id"], v["rule"]) for v in broken] == [("B0", "a", "other_township")]
    assert "township A" in broken[0]["reason"] and "township B" in broken[0]["reason"]
    # the township may be known beyond the plan's tree (a township plan's deputies who live elsewhere)
    outsider = PlanDeputy("x", "township", home_grid_id="elsewhere", townships=frozenset({"C"}))
    assert [(v["grid_id"], v["rule"]) for v in validate(grids, [outsider], [("A0", "x", "manual")], Rules())
            if v["grid_id"] == "A0"] == [("A0", "other_township")]


def test_an_infeasible_plan_says_which_load_would_cover_every_grid():
    grids = two_townships(groups=3)
    deputies = [PlanDeputy("a0", "township", home_grid_id="A0"), PlanDeputy("a1", "township", home_grid_id="A1"),
                PlanDeputy("b0", "township", home_grid_id="B0"), PlanDeputy("b1", "township", home_grid_id="B1"),
                PlanDeputy("b2", "township", home_grid_id="B2")]
    proposal = propose(grids, deputies, Rules(max_load=1))
    missing = [v for v in proposal.violations if v["rule"] == "no_township_deputy"]
    assert [v["grid_id"] for v in missing] == ["A2"]
    assert missing[0]["advice"] == "max load 2 covers all"
    assert "2 township-level deputies of township A can serve 2 grids in all (max load 1), and 3 grids need one" \
        in missing[0]["reason"]
    assert propose(grids, deputies, Rules(max_load=2)).violations == []  # the advice holds


def test_a_township_without_any_township_deputy_is_named_no_load_covers_it():
    grids = two_townships(groups=2)
    deputies = [PlanDeputy("a0", "township", home_grid_id="A0"), PlanDeputy("c0", "county", home_grid_id="B0"),
                PlanDeputy("c1", "county", home_grid_id="B1")]
    advice = {v.get("advice") for v in propose(grids, deputies, Rules(max_load=1)).violations
              if v["rule"] == "no_township_deputy"}
    assert advice == {"no load covers township B: it has no serving township-level deputy (register one); "
                      "max load 2 covers all other townships"}


def test_paired_party_delegates_leave_warnings_for_the_grids_without_one():
    grids = county(villages=1, groups=3)
    deputies = [PlanDeputy(f"t{g}", "township", home_grid_id=f"G0{g}") for g in range(3)] + [
        PlanDeputy("p1", "county", kind="party_delegate", home_grid_id="G00")]
    paired = propose(grids, deputies, Rules(pair_party_delegates=True))
    assert paired.violations == []  # a warning, not a broken rule
    assert sorted((w["grid_id"], w["rule"]) for w in paired.warnings) == [("G01", "no_party_delegate"),
                                                                         ("G02", "no_party_delegate")]
    assert propose(grids, deputies).warnings == []  # not asked for: nothing to warn about


def test_a_grid_left_without_a_township_deputy_gets_one_through_a_chain_of_moves():
    grids = two_townships(groups=1)
    both = PlanDeputy("both", "township", home_grid_id="B0", work_grid_id="A0")  # may serve A or B
    only_b = PlanDeputy("only_b", "township", home_grid_id="BV")
    state = PlanState(grids, [both, only_b], Rules(max_load=1))
    state.assign("B0", both, "home_or_work")  # as a greedy pass may leave it: A0 has nobody it may have
    cover_townships(state)
    assert sorted(state.entries) == [("A0", "both", "township"), ("B0", "only_b", "township")]
    assert state.load == {"both": 1, "only_b": 1}


def test_the_planner_covers_as_many_grids_as_the_township_rule_allows():
    grids = two_townships(groups=2)
    # B's two grids: one deputy of B only, one of A and B; A's two grids: two of A only. All coverable.
    deputies = [PlanDeputy("a1", "township", home_grid_id="A0"), PlanDeputy("a2", "township", home_grid_id="A1"),
                PlanDeputy("ab", "township", home_grid_id="A0", work_grid_id="B1"),
                PlanDeputy("b1", "township", home_grid_id="B0")]
    proposal = propose(grids, deputies, Rules(max_load=1))
    assert [v for v in proposal.violations if v["rule"] == "no_township_deputy"] == []
