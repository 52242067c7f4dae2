"""The demo county built as plain data: a Shaoshan-sized roster (韶山, seed 002), deterministically from a seed.

Shaoshan runs three grid levels, 4 township grids → 38 village/community grids → 218 villagers'-group/estate
grids, with 414 city and township deputies (002). `build_demo_county` makes such a county deterministically from a
seed (only `random.Random(seed)`, never the global generator); grids and deputies refer to each other by grid
`code` (`parent_code`, `home_grid_code`, `work_grid_code`).
"""
from __future__ import annotations

import random

from .data import (COMMUNITIES_PER_TOWNSHIP, COMMUNITY_STEMS, COUNTY, COUNTY_CODE, DEPUTIES, DIGITS,
                   ESTATE_STEMS, ESTATE_SUFFIXES, FEMALE_CHARS, FEMALE_TITLES, GROUP_GRIDS,
                   INDUSTRIAL_NAMES, KNOWN_COMMUNITIES, KNOWN_VILLAGES, LEVEL_COUNTS, MALE_CHARS,
                   MIGRANT_STEMS, MOBILE_PREFIXES, OLD_ESTATE_STEMS, PARTY_DELEGATES, PARTY_POSITIONS,
                   PLEDGES, POSITIONS, SPECIALITIES, SURNAMES, TERM_END, TERM_START, TOWNSHIPS,
                   VILLAGES_PER_TOWNSHIP, VILLAGE_FIRST, VILLAGE_SECOND)


def _ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 23 → 二十三 (n < 100)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def _person(rng: random.Random, gender: str | None = None) -> tuple[str, str]:
    gender = gender or ("female" if rng.random() < 0.32 else "male")
    chars = FEMALE_CHARS if gender == "female" else MALE_CHARS
    surname = "欧阳" if rng.random() < 0.01 else rng.choice(SURNAMES)
    first = rng.choice(chars)
    given = first + (rng.choice(chars.replace(first, "")) if rng.random() < 0.8 else "")
    return surname + given, gender


def _unique(rng: random.Random, taken: set[str], make) -> str:
    for _ in range(1000):
        name = make()
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("ran out of names")  # pragma: no cover - the syllable lists are far larger than needed


def _split(rng: random.Random, total: int, parts: int, low: int, high: int) -> list[int]:
    """`total` spread over `parts`, each within [low, high]."""
    counts = [low] * parts
    for _ in range(total - low * parts):
        counts[rng.choice([i for i, c in enumerate(counts) if c < high])] += 1
    return counts


def _households(rng: random.Random, kind: str) -> int:
    if kind == "industrial_park":
        return rng.randint(40, 160)
    if kind == "migrant_cluster":
        return rng.randint(350, 700)
    if kind == "old_estate":
        return rng.randint(180, 420)
    low, high = (300, 500) if kind == "urban_community" else (200, 300)
    if rng.random() < 0.05:  # a few outside the seeds' range; the roster shows them with a flag
        return rng.randint(low - 70, low - 1) if rng.random() < 0.5 else rng.randint(high + 1, high + 110)
    return rng.randint(low, high)


def _grid(rng, code, name, level, parent_code, kind, households, population, difficulty) -> dict:
    leader, _ = _person(rng)
    return {"code": code, "name": name, "level": level, "parent_code": parent_code, "kind": kind,
            "households": households, "population": population, "difficulty": difficulty, "leader": leader,
            "workers": [_person(rng)[0] for _ in range(rng.randint(1, 3))]}


def _build_grids(rng: random.Random) -> list[dict]:
    plan = _village_plan(rng)  # village/community grids: (township index, code, name, kind)
    sizes = _split(rng, GROUP_GRIDS, len(plan), 3, 10)
    special = _special_zones(rng, plan, sizes)
    stems = {"industrial_park": list(INDUSTRIAL_NAMES), "migrant_cluster": list(MIGRANT_STEMS),
             "old_estate": list(OLD_ESTATE_STEMS)}
    for names in stems.values():
        rng.shuffle(names)
    villages, groups = [], []
    for i, (t, vcode, vname, vkind) in enumerate(plan):
        children = _group_grids(rng, [special.get((i, j), vkind) for j in range(sizes[i])], vcode, vname, stems)
        groups += children
        villages.append(_parent(rng, vcode, vname, 2, f"{COUNTY_CODE}-{t + 1:02d}", vkind, children))
    townships = []
    for t, township in enumerate(TOWNSHIPS):
        code = f"{COUNTY_CODE}-{t + 1:02d}"
        kind = "urban_community" if t == 0 else "rural_village"  # 清溪镇 holds the city seat
        townships.append(_parent(rng, code, township, 1, None, kind,
                                 [v for v in villages if v["parent_code"] == code]))
    return townships + villages + groups


def _village_plan(rng: random.Random) -> list[tuple[int, str, str, str]]:
    """Each township's villages and communities, a few of their real names and the rest made up."""
    village_names: set[str] = set()
    plan = []
    for t, township in enumerate(TOWNSHIPS):
        for v, (name, kind) in enumerate(_township_villages(rng, t, township, village_names), start=1):
            plan.append((t, f"{COUNTY_CODE}-{t + 1:02d}-{v:02d}", name, kind))
    return plan


def _township_villages(rng: random.Random, t: int, township: str, village_names: set[str]) -> list[tuple[str, str]]:
    n_comm = COMMUNITIES_PER_TOWNSHIP[t]
    n_vill = VILLAGES_PER_TOWNSHIP[t] - n_comm
    comms = [c for c in KNOWN_COMMUNITIES[township] if c not in village_names][:n_comm]
    village_names.update(comms)
    while len(comms) < n_comm:
        comms.append(_unique(rng, village_names, lambda: rng.choice(COMMUNITY_STEMS) + "社区"))
    known = list(KNOWN_VILLAGES[township])
    rng.shuffle(known)
    vills = known[:rng.randint(max(0, len(known) - 2), len(known))]
    village_names.update(vills)
    while len(vills) < n_vill:
        vills.append(_unique(rng, village_names, lambda: rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_SECOND) + "村"))
    members = [(name, "urban_community") for name in comms] + [(name, "rural_village") for name in vills]
    rng.shuffle(members)
    return members


def _special_zones(rng: random.Random, plan: list, sizes: list[int]) -> dict[tuple[int, int], str]:
    """Special zones (000): industrial parks and migrant clusters in the two townships around the high-tech zone,
    old estates in the communities; (village index, group index) → kind."""
    slots = [(i, j) for i, p in enumerate(plan) for j in range(sizes[i])]
    near_park = [s for s in slots if plan[s[0]][0] in (0, 1)]
    in_community = [s for s in slots if plan[s[0]][3] == "urban_community"]
    special: dict[tuple[int, int], str] = {}
    for kind, pool, count in (("industrial_park", near_park, 3), ("migrant_cluster", near_park, 2),
                              ("old_estate", in_community, 6)):
        for slot in rng.sample([s for s in pool if s not in special], count):
            special[slot] = kind
    return special


def _group_grids(rng: random.Random, kinds: list[str], vcode: str, vname: str, stems: dict) -> list[dict]:
    """A village's villagers' groups (村民小组) or a community's estates (小区), one grid of each kind given."""
    children, names, number = [], set(), 0
    for j, kind in enumerate(kinds):
        if kind == "rural_village":
            number += 1
            name = f"{vname}第{_ordinal(number)}村民小组"
        else:
            name = _estate_name(rng, kind, vname, names, stems)
        names.add(name)
        children.append(_group_grid(rng, f"{vcode}-{j + 1:02d}", name, vcode, kind))
    return children


def _estate_name(rng: random.Random, kind: str, vname: str, names: set[str], stems: dict) -> str:
    if kind == "industrial_park":
        return stems[kind].pop()
    if kind == "migrant_cluster":
        return vname + stems[kind].pop()
    if kind == "old_estate":
        return stems[kind].pop() + "小区"
    return _unique(rng, names, lambda: rng.choice(ESTATE_STEMS) + rng.choice(ESTATE_SUFFIXES))


def _group_grid(rng: random.Random, code: str, name: str, vcode: str, kind: str) -> dict:
    households = _households(rng, kind)
    population = round(households * 3.2 * rng.uniform(0.92, 1.08))
    difficulty = rng.choices((1, 2, 3, 4, 5), weights=(25, 37, 25, 9, 4))[0]
    if kind in ("old_estate", "migrant_cluster", "industrial_park") or not 150 <= households <= 550:
        difficulty = min(5, difficulty + 1)
    return _grid(rng, code, name, 3, vcode, kind, households, population, difficulty)


def _parent(rng, code, name, level, parent_code, kind, children) -> dict:
    """A grid whose households and population are its children's sums; difficulty their household-weighted mean."""
    households = sum(c["households"] for c in children)
    population = sum(c["population"] for c in children)
    difficulty = round(sum(c["difficulty"] * c["households"] for c in children) / max(households, 1))
    return _grid(rng, code, name, level, parent_code, kind, households, population, max(1, min(5, difficulty)))


def _mobile(rng: random.Random, taken: set[str]) -> str:
    return _unique(rng, taken, lambda: rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}")


def _build_deputies(rng: random.Random, grids: list[dict]) -> list[dict]:
    by_code = {g["code"]: g for g in grids}
    level3 = [g for g in grids if g["level"] == 3]
    level2 = [g for g in grids if g["level"] == 2]
    levels = [level for level, count in LEVEL_COUNTS.items() for _ in range(count)]
    rng.shuffle(levels)
    party = set(rng.sample(range(DEPUTIES), PARTY_DELEGATES))
    # Township deputies live all over the county: every bottom grid has at least one living in it
    # (按照原选区和就近便利原则, 002), the rest are spread at random.
    township_homes = [g["code"] for g in level3]
    rng.shuffle(township_homes)
    township_homes += [rng.choice(level3)["code"] for _ in range(LEVEL_COUNTS["township"] - len(level3))]
    taken: dict[str, set[str]] = {"names": set(), "mobiles": set(), "offices": set()}
    deputies = []
    for i, level in enumerate(levels):
        kind = "party_delegate" if i in party else "npc_deputy"
        title, suggested, gender, name = _person_of(rng, kind, level, taken["names"])
        home = township_homes.pop() if level == "township" else _home(rng, level2, level3)
        village_code = home if by_code[home]["level"] == 2 else by_code[home]["parent_code"]
        township_code = by_code[village_code]["parent_code"]
        constituency = _constituency(level, by_code[township_code]["name"], int(village_code.rsplit("-", 1)[1]))
        specialities = _specialities(rng, suggested)
        work = _work_grid(rng, grids, township_code, home)
        capability = _capability(rng, level)
        office = _office_phone(rng, taken["offices"])
        deputies.append({
            "name": name, "gender": gender, "level": level, "kind": kind, "position": title,
            "mobile": _mobile(rng, taken["mobiles"]), "office_phone": office,
            "phone_display": "office" if office else "masked_mobile", "constituency": constituency,
            "home_grid_code": home, "work_grid_code": work, "specialities": specialities,
            "capability": capability, "pledge": rng.choice(PLEDGES),
            "term_start": TERM_START, "term_end": TERM_END, "status": "serving",
        })
    return deputies


def _person_of(rng: random.Random, kind: str, level: str, names: set[str]) -> tuple[str, str | None, str, str]:
    """A deputy's position (and the speciality it suggests), gender and a name no other deputy has."""
    title, suggested = rng.choice(PARTY_POSITIONS if kind == "party_delegate" else POSITIONS[level])
    gender = "female" if title in FEMALE_TITLES or rng.random() < 0.3 else "male"
    return title, suggested, gender, _unique(rng, names, lambda: _person(rng, gender)[0])


def _home(rng: random.Random, level2: list[dict], level3: list[dict]) -> str:
    """Where a deputy of a higher congress lives: a village or community one time in five, else a group's grid."""
    return (rng.choice(level2) if rng.random() < 0.2 else rng.choice(level3))["code"]


def _office_phone(rng: random.Random, offices: set[str]) -> str | None:
    """Half the deputies have an office number they agreed to publish."""
    if rng.random() < 0.5:
        return _unique(rng, offices, lambda: f"0731-5568{rng.randrange(10 ** 4):04d}")
    return None


def _constituency(level: str, township: str, village_no: int) -> str:
    """The original constituency (原选区): a village's for township deputies, two villages' for county deputies."""
    if level == "township":
        return f"{township}第{village_no}选区"
    if level == "county":
        return f"{township}第{(village_no + 1) // 2}选区"
    return f"{COUNTY}选举单位"


def _specialities(rng: random.Random, suggested: str | None) -> list[str]:
    specialities = [suggested] if suggested else []
    if rng.random() < (0.3 if suggested else 0.45):  # 0–2 in all
        specialities.append(rng.choice([s for s in SPECIALITIES if s not in specialities]))
    return specialities


def _work_grid(rng: random.Random, grids: list[dict], township_code: str, home: str) -> str | None:
    """Four in ten work in another grid of their own township."""
    if rng.random() >= 0.4:
        return None
    same_township = [g for g in grids if g["level"] in (2, 3) and g["code"].startswith(township_code + "-")
                     and g["code"] != home]
    return rng.choice(same_township)["code"]


def _capability(rng: random.Random, level: str) -> int:
    boost = {"township": 0, "county": 1, "city": 1, "provincial": 2, "national": 2}[level]
    capability = rng.choices((1, 2, 3, 4, 5), weights=(5, 15, 42, 27, 11))[0]
    if rng.random() < 0.5:  # deputies chosen for higher congresses tend to be the stronger ones
        capability = min(5, capability + boost)
    return capability


def build_demo_county(seed: int = 2026) -> dict:
    """The demo county as plain data: {"grids": [...260, parents first], "deputies": [...414]}.

    Grids name their parent by `parent_code`; deputies name their grids by `home_grid_code` / `work_grid_code`.
    The same seed always gives the same county.
    """
    rng = random.Random(seed)
    grids = _build_grids(rng)
    return {"grids": grids, "deputies": _build_deputies(rng, grids)}
