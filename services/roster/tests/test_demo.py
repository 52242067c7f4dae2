"""The demo county: Shaoshan's shape (002), valid fields, determinism. No HTTP here."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from roster.demo import build_demo_county

GRID_KEYS = {"code", "name", "level", "parent_code", "kind", "households", "population", "difficulty", "leader",
             "workers"}
DEPUTY_KEYS = {"name", "gender", "level", "kind", "position", "mobile", "office_phone", "phone_display",
               "constituency", "home_grid_code", "work_grid_code", "specialities", "capability", "pledge",
               "term_start", "term_end", "status"}
GRID_KINDS = {"urban_community", "rural_village", "old_estate", "migrant_cluster", "industrial_park"}
LEVELS = {"national", "provincial", "city", "county", "township"}
SPECIALITIES = {"law", "health", "agriculture", "education", "construction", "social_work", "business"}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
OFFICE = re.compile(r"^0731-5568\d{4}$")
HAN = re.compile(r"^[\u4e00-\u9fff]+$")


@pytest.fixture(scope="module")
def county():
    return build_demo_county()


@pytest.fixture(scope="module")
def grids(county):
    return {g["code"]: g for g in county["grids"]}


def test_shaoshan_shape(county):
    assert Counter(g["level"] for g in county["grids"]) == {1: 4, 2: 38, 3: 218}
    assert len(county["deputies"]) == 414
    assert [g["name"] for g in county["grids"] if g["level"] == 1] == ["清溪镇", "银田镇", "韶山乡", "杨林乡"]


def test_villages_and_groups_are_spread_over_their_parents(county):
    per_township = Counter(g["parent_code"] for g in county["grids"] if g["level"] == 2)
    assert sorted(per_township.values()) == [9, 9, 10, 10]
    per_village = Counter(g["parent_code"] for g in county["grids"] if g["level"] == 3)
    assert len(per_village) == 38 and min(per_village.values()) >= 1


def test_codes_unique_and_hierarchical(county, grids):
    codes = [g["code"] for g in county["grids"]]
    assert len(codes) == len(set(codes)) == 260
    for grid in county["grids"]:
        assert set(grid) == GRID_KEYS
        if grid["level"] == 1:
            assert grid["parent_code"] is None
            assert re.fullmatch(r"SS-\d{2}", grid["code"])
        else:
            parent = grids[grid["parent_code"]]
            assert parent["level"] == grid["level"] - 1
            assert grid["code"].startswith(parent["code"] + "-")
            assert re.fullmatch(r"SS(-\d{2}){%d}" % grid["level"], grid["code"])


def test_parents_come_before_children(county):
    seen = set()
    for grid in county["grids"]:
        assert grid["parent_code"] is None or grid["parent_code"] in seen
        seen.add(grid["code"])


def test_names_unique_within_parent(county):
    names = Counter((g["parent_code"], g["name"]) for g in county["grids"])
    assert max(names.values()) == 1


def test_grid_fields_are_valid(county):
    kinds = Counter(g["kind"] for g in county["grids"])
    assert set(kinds) <= GRID_KINDS
    assert kinds["rural_village"] > kinds["urban_community"] > 0
    assert all(kinds[k] >= 1 for k in ("old_estate", "migrant_cluster", "industrial_park"))
    for grid in county["grids"]:
        assert 1 <= grid["difficulty"] <= 5
        assert HAN.match(grid["leader"]) and 2 <= len(grid["leader"]) <= 4
        assert 1 <= len(grid["workers"]) <= 3 and all(HAN.match(w) for w in grid["workers"])
        assert grid["households"] > 0
        assert abs(grid["population"] - grid["households"] * 3.2) <= grid["households"] * 3.2 * 0.1
    bottom = [g for g in county["grids"] if g["level"] == 3]
    assert sum(g["difficulty"] <= 3 for g in bottom) > 0.7 * len(bottom)
    for kind, (low, high) in {"rural_village": (200, 300), "urban_community": (300, 500)}.items():
        sizes = [g["households"] for g in bottom if g["kind"] == kind]
        inside = sum(low <= h <= high for h in sizes)
        assert 0.85 * len(sizes) <= inside < len(sizes)  # mostly inside, a few outside


def test_households_sum_bottom_up(county, grids):
    for parent in (g for g in county["grids"] if g["level"] < 3):
        children = [g for g in county["grids"] if g["parent_code"] == parent["code"]]
        assert children
        assert parent["households"] == sum(c["households"] for c in children)
        assert parent["population"] == sum(c["population"] for c in children)


def test_deputy_fields_are_valid(county, grids):
    for deputy in county["deputies"]:
        assert set(deputy) == DEPUTY_KEYS
        assert MOBILE.match(deputy["mobile"]), deputy["mobile"]
        assert HAN.match(deputy["name"]) and deputy["gender"] in ("female", "male")
        assert deputy["level"] in LEVELS and deputy["kind"] in ("npc_deputy", "party_delegate")
        assert deputy["position"] and deputy["pledge"] and deputy["constituency"]
        if deputy["phone_display"] == "office":
            assert OFFICE.match(deputy["office_phone"])
        else:
            assert deputy["phone_display"] == "masked_mobile" and deputy["office_phone"] is None
        assert set(deputy["specialities"]) <= SPECIALITIES and len(deputy["specialities"]) <= 2
        assert len(set(deputy["specialities"])) == len(deputy["specialities"])
        assert 1 <= deputy["capability"] <= 5
        assert deputy["status"] == "serving"
        assert date.fromisoformat(deputy["term_start"]) <= date.fromisoformat(deputy["term_end"])


def test_deputy_mix(county):
    deputies = county["deputies"]
    levels = Counter(d["level"] for d in deputies)
    assert 0.7 <= levels["township"] / len(deputies) <= 0.8
    assert levels["national"] <= 1 and 1 <= levels["provincial"] <= 10
    kinds = Counter(d["kind"] for d in deputies)
    assert 0.05 <= kinds["party_delegate"] / len(deputies) <= 0.15
    office = sum(d["phone_display"] == "office" for d in deputies)
    assert 0.35 <= office / len(deputies) <= 0.65
    assert len({d["mobile"] for d in deputies}) == len(deputies)
    assert len({d["name"] for d in deputies}) >= 0.95 * len(deputies)


def test_every_deputy_home_grid_exists(county, grids):
    for deputy in county["deputies"]:
        home = grids[deputy["home_grid_code"]]
        assert home["level"] in (2, 3)
        if deputy["work_grid_code"] is not None:
            assert deputy["work_grid_code"] in grids
            assert deputy["work_grid_code"] != deputy["home_grid_code"]


def test_every_bottom_grid_has_a_township_deputy_living_in_it(county):
    homes = {d["home_grid_code"] for d in county["deputies"] if d["level"] == "township"}
    assert {g["code"] for g in county["grids"] if g["level"] == 3} <= homes


def test_deterministic_for_a_seed_and_different_for_another(county):
    assert build_demo_county(2026) == county
    assert build_demo_county(7) == build_demo_county(7)
    other = build_demo_county(7)
    assert other != county
    assert [d["mobile"] for d in other["deputies"]] != [d["mobile"] for d in county["deputies"]]
    assert Counter(g["level"] for g in other["grids"]) == {1: 4, 2: 38, 3: 218} and len(other["deputies"]) == 414


def test_no_global_random_state_is_touched():
    import random

    state = random.getstate()
    build_demo_county(11)
    assert random.getstate() == state
