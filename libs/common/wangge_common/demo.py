"""The demo county: a Shaoshan-sized roster (韶山, seed 002) built from a seed and loaded through the roster API.

Shaoshan runs three grid levels, 4 township grids → 38 village/community grids → 218 villagers'-group/estate
grids, with 414 city and township deputies (002). `build_demo_county` makes such a county as plain data,
deterministically from a seed (only `random.Random(seed)`, never the global generator); grids and deputies refer to
each other by grid `code` (`parent_code`, `home_grid_code`, `work_grid_code`). `load_demo` posts it to a running
roster, parents first, translating codes into the ids the roster returns.
"""
from __future__ import annotations

import random
import time

COUNTY = "韶山市"
COUNTY_CODE = "SS"
# Shaoshan's four townships, their village/community grids (38 in all) and how many of those are communities (社区).
TOWNSHIPS = ("清溪镇", "银田镇", "韶山乡", "杨林乡")
VILLAGES_PER_TOWNSHIP = (10, 10, 9, 9)
COMMUNITIES_PER_TOWNSHIP = (4, 2, 1, 1)
GROUP_GRIDS = 218
DEPUTIES = 414
# Deputy levels: "市、乡两级代表" (002); Shaoshan is a county-level city, so its own deputies are "county" here,
# Xiangtan's are "city"; a handful of provincial deputies and one national deputy live in the county too.
LEVEL_COUNTS = {"township": 310, "county": 88, "city": 10, "provincial": 5, "national": 1}
PARTY_DELEGATES = 41  # ~10 %: "两代表" schemes put party-congress delegates into the same grids (003)
# The township and county congresses elected in the 2026 round: a five-year term that is current today
# (the earlier 2021-12-01 → 2026-11-30 term had ended while every demo deputy still showed as serving).
TERM_START, TERM_END = "2026-12-01", "2031-11-30"
SPECIALITIES = ("law", "health", "agriculture", "education", "construction", "social_work", "business")

# Village and community names: a few of each township's real ones, the rest made from syllables.
KNOWN_VILLAGES = {
    "清溪镇": ("清溪村", "黄金村", "长湖村", "石屏村"),
    "银田镇": ("银田村", "红旗村", "双狮村", "大坪村"),
    "韶山乡": ("韶山村", "韶阳村", "黄田村", "湘韶村", "韶源村"),
    "杨林乡": ("杨林村", "石安村", "楠竹村"),
}
KNOWN_COMMUNITIES = {
    "清溪镇": ("火车站社区", "如意社区", "韶峰社区"),
    "银田镇": ("银田社区",),
    "韶山乡": ("韶山社区",),
    "杨林乡": ("杨林社区",),
}
VILLAGE_FIRST = "东西南北大小新石竹桃龙凤金青白红永双长和兴光云梅荷柳枫松桂乐安泉花"
VILLAGE_SECOND = "冲坪湖塘田山桥湾岭峰源溪泉林坡港屋园江岩坳垅"
COMMUNITY_STEMS = ("东风", "友谊", "迎宾", "银杏", "向阳", "建设", "和平", "团结", "新民", "永义", "幸福",
                   "光明", "滴水", "韶河", "学堂", "枫林")
ESTATE_STEMS = ("翠竹", "银杏", "梧桐", "金桂", "锦绣", "阳光", "滨河", "清溪", "韶峰", "东方", "康居", "桃源",
                "福苑", "丽景", "龙湾", "紫薇", "如意", "芙蓉", "湘韵", "书香", "怡园", "松柏", "兰亭", "南岸")
ESTATE_SUFFIXES = ("小区", "小区", "小区", "花园", "家园", "苑")
OLD_ESTATE_STEMS = ("供销社宿舍", "粮站宿舍", "老街", "农机厂宿舍", "卫生院宿舍", "邮电宿舍", "水泥厂宿舍",
                    "老车站", "电影院宿舍")
INDUSTRIAL_NAMES = ("韶山高新区一号片区", "韶山高新区二号片区", "食品工业园片区", "红色文创产业园", "湘韶工业小区")
MIGRANT_STEMS = ("园区务工人员公寓", "外来务工人员聚居点", "高新区员工宿舍区")

SURNAMES = ("毛" * 8 + "李" * 6 + "王" * 5 + "张" * 5 + "刘" * 6 + "陈" * 5 + "杨" * 4 + "彭" * 4 + "谭" * 4
            + "邹" * 3 + "周" * 4 + "罗" * 3 + "唐" * 3 + "曾" * 3 + "胡" * 3 + "黄" * 3 + "易" * 2 + "贺" * 2
            + "龙" * 2 + "钟" * 2 + "赵" * 2 + "吴" * 2 + "蒋" + "文" + "郭" + "许" + "袁" + "汤" + "严" + "颜"
            + "丁" + "肖" * 2 + "朱" * 2 + "冯" + "欧")
MALE_CHARS = "建国军华明伟强平志勇杰涛斌超刚辉海波林峰文武德安春松亮永光新宇俊鹏飞汉湘韶中正立成"
FEMALE_CHARS = "红梅丽芳霞燕英华玲秀兰娟静敏艳慧晓雪琴桂莲珍月萍春湘婷颖瑶丹洁"

POSITIONS = {
    # (title, speciality it suggests or None)
    "township": (("村党支部书记", None), ("村委会主任", None), ("村民小组长", None), ("社区党委书记", "social_work"),
                 ("社区居委会主任", "social_work"), ("网格员", "social_work"), ("种植大户", "agriculture"),
                 ("合作社理事长", "agriculture"), ("家庭农场主", "agriculture"), ("养殖专业户", "agriculture"),
                 ("镇卫生院医生", "health"), ("村卫生室乡村医生", "health"), ("小学教师", "education"),
                 ("退休教师", "education"), ("个体工商户", "business"), ("农家乐经营者", "business"),
                 ("民宿经营者", "business"), ("建筑队负责人", "construction"), ("人民调解员", "law"),
                 ("司法所工作人员", "law"), ("镇农技站站长", "agriculture"), ("村妇联主席", "social_work")),
    "county": (("镇党委书记", None), ("镇长", None), ("乡人大主席", None), ("市直单位负责人", None),
               ("中学校长", "education"), ("市人民医院医生", "health"), ("律师事务所主任", "law"),
               ("企业董事长", "business"), ("建筑公司经理", "construction"), ("合作社理事长", "agriculture"),
               ("村党总支书记", None), ("社区党委书记", "social_work"), ("市中医医院护士长", "health"),
               ("景区讲解员", "business"), ("市场监管所所长", "law")),
    "city": (("企业董事长", "business"), ("市人大常委会委员", "law"), ("中学校长", "education"),
             ("医院院长", "health"), ("村党总支书记", None)),
    "provincial": (("市人民政府负责人", None), ("农业企业董事长", "agriculture"), ("村党委书记", None),
                   ("红色教育基地负责人", "education")),
    "national": (("村党委书记", "agriculture"),),
}
PARTY_POSITIONS = (("镇党委委员", None), ("村党支部书记", None), ("社区党委书记", "social_work"),
                   ("市直机关党支部书记", None), ("退役军人服务站站长", "social_work"), ("非公企业党支部书记", "business"))
FEMALE_TITLES = ("村妇联主席", "市中医医院护士长")
PLEDGES = (
    "认真倾听群众呼声，件件有回音。",
    "扎根网格，做群众身边的贴心人。",
    "每月走访不少于十户，民情不过夜。",
    "群众的事再小也是大事，马上办、用心办。",
    "当好监督员、宣传员、信息员、调解员、服务员。",
    "把群众的急难愁盼当作自己的头等大事。",
    "依法履职，为民代言，接受选民监督。",
    "定格定责，守好网格，服务好每一户。",
    "带头化解矛盾纠纷，矛盾不上交。",
    "推动民生实事落地，让群众看得见、摸得着。",
    "坚持每月接待选民，有求必应，有诺必践。",
    "发挥专业所长，为乡亲们办实事、解难题。",
    "结对帮扶困难家庭，一户一策，帮到实处。",
    "把法律送进网格，引导群众依法表达诉求。",
    "做到事事有着落、件件有回音、群众满意。",
)
MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "166", "173", "176", "177", "178", "180", "181",
                   "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199")
DIGITS = "零一二三四五六七八九"


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
    townships, villages, groups = [], [], []
    village_names: set[str] = set()
    # Village/community grids: (township index, code, name, kind).
    plan = []
    for t, township in enumerate(TOWNSHIPS):
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
            vills.append(_unique(rng, village_names,
                                 lambda: rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_SECOND) + "村"))
        members = [(name, "urban_community") for name in comms] + [(name, "rural_village") for name in vills]
        rng.shuffle(members)
        for v, (name, kind) in enumerate(members, start=1):
            plan.append((t, f"{COUNTY_CODE}-{t + 1:02d}-{v:02d}", name, kind))

    sizes = _split(rng, GROUP_GRIDS, len(plan), 3, 10)
    # Special zones (000): industrial parks and migrant clusters in the two townships around the high-tech zone,
    # old estates in the communities.
    slots = [(i, j) for i, p in enumerate(plan) for j in range(sizes[i])]
    near_park = [s for s in slots if plan[s[0]][0] in (0, 1)]
    in_community = [s for s in slots if plan[s[0]][3] == "urban_community"]
    special = {}
    for kind, pool, count in (("industrial_park", near_park, 3), ("migrant_cluster", near_park, 2),
                              ("old_estate", in_community, 6)):
        for slot in rng.sample([s for s in pool if s not in special], count):
            special[slot] = kind
    industrial, migrant, old = list(INDUSTRIAL_NAMES), list(MIGRANT_STEMS), list(OLD_ESTATE_STEMS)
    for stems in (industrial, migrant, old):
        rng.shuffle(stems)

    for i, (t, vcode, vname, vkind) in enumerate(plan):
        children, names, number = [], set(), 0
        for j in range(sizes[i]):
            kind = special.get((i, j), vkind)
            if kind == "industrial_park":
                name = industrial.pop()
            elif kind == "migrant_cluster":
                name = vname + migrant.pop()
            elif kind == "old_estate":
                name = old.pop() + "小区"
            elif kind == "urban_community":
                name = _unique(rng, names, lambda: rng.choice(ESTATE_STEMS) + rng.choice(ESTATE_SUFFIXES))
            else:
                number += 1
                name = f"{vname}第{_ordinal(number)}村民小组"
            names.add(name)
            households = _households(rng, kind)
            population = round(households * 3.2 * rng.uniform(0.92, 1.08))
            difficulty = rng.choices((1, 2, 3, 4, 5), weights=(25, 37, 25, 9, 4))[0]
            if kind in ("old_estate", "migrant_cluster", "industrial_park") or not 150 <= households <= 550:
                difficulty = min(5, difficulty + 1)
            children.append(_grid(rng, f"{vcode}-{j + 1:02d}", name, 3, vcode, kind, households, population,
                                  difficulty))
        groups += children
        villages.append(_parent(rng, vcode, vname, 2, f"{COUNTY_CODE}-{t + 1:02d}", vkind, children))

    for t, township in enumerate(TOWNSHIPS):
        code = f"{COUNTY_CODE}-{t + 1:02d}"
        kind = "urban_community" if t == 0 else "rural_village"  # 清溪镇 holds the city seat
        townships.append(_parent(rng, code, township, 1, None, kind,
                                 [v for v in villages if v["parent_code"] == code]))
    return townships + villages + groups


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
    names: set[str] = set()
    mobiles: set[str] = set()
    office_numbers: set[str] = set()
    deputies = []
    for i, level in enumerate(levels):
        kind = "party_delegate" if i in party else "npc_deputy"
        title, suggested = rng.choice(PARTY_POSITIONS if kind == "party_delegate" else POSITIONS[level])
        gender = "female" if title in FEMALE_TITLES or rng.random() < 0.3 else "male"
        name = _unique(rng, names, lambda: _person(rng, gender)[0])
        if level == "township":
            home = township_homes.pop()
        else:
            home = (rng.choice(level2) if rng.random() < 0.2 else rng.choice(level3))["code"]
        village_code = home if by_code[home]["level"] == 2 else by_code[home]["parent_code"]
        township_code = by_code[village_code]["parent_code"]
        township = by_code[township_code]["name"]
        village_no = int(village_code.rsplit("-", 1)[1])
        if level == "township":
            constituency = f"{township}第{village_no}选区"
        elif level == "county":
            constituency = f"{township}第{(village_no + 1) // 2}选区"
        else:
            constituency = f"{COUNTY}选举单位"
        specialities = [suggested] if suggested else []
        if rng.random() < (0.3 if suggested else 0.45):  # 0–2 in all
            specialities.append(rng.choice([s for s in SPECIALITIES if s not in specialities]))
        work = None
        if rng.random() < 0.4:
            same_township = [g for g in grids if g["level"] in (2, 3) and g["code"].startswith(township_code + "-")
                             and g["code"] != home]
            work = rng.choice(same_township)["code"]
        boost = {"township": 0, "county": 1, "city": 1, "provincial": 2, "national": 2}[level]
        capability = rng.choices((1, 2, 3, 4, 5), weights=(5, 15, 42, 27, 11))[0]
        if rng.random() < 0.5:  # deputies chosen for higher congresses tend to be the stronger ones
            capability = min(5, capability + boost)
        office = None
        if rng.random() < 0.5:
            office = _unique(rng, office_numbers, lambda: f"0731-5568{rng.randrange(10 ** 4):04d}")
        deputies.append({
            "name": name, "gender": gender, "level": level, "kind": kind, "position": title,
            "mobile": _mobile(rng, mobiles), "office_phone": office,
            "phone_display": "office" if office else "masked_mobile", "constituency": constituency,
            "home_grid_code": home, "work_grid_code": work, "specialities": specialities,
            "capability": capability, "pledge": rng.choice(PLEDGES),
            "term_start": TERM_START, "term_end": TERM_END, "status": "serving",
        })
    return deputies


def build_demo_county(seed: int = 2026) -> dict:
    """The demo county as plain data: {"grids": [...260, parents first], "deputies": [...414]}.

    Grids name their parent by `parent_code`; deputies name their grids by `home_grid_code` / `work_grid_code`.
    The same seed always gives the same county.
    """
    rng = random.Random(seed)
    grids = _build_grids(rng)
    return {"grids": grids, "deputies": _build_deputies(rng, grids)}


GRID_HELPERS = ("parent_code",)
DEPUTY_HELPERS = ("home_grid_code", "work_grid_code")


def load_demo(roster_url: str, api_key: str, *, seed: int = 2026, session=None) -> dict:
    """Post the demo county to the roster at `roster_url`: grids level by level, then deputies.

    Skips (and says why) when the roster already holds grids. Raises RuntimeError on any answer other than 201,
    with the status and the problem+json body.
    """
    if session is None:
        import requests

        session = requests.Session()
    base = roster_url.rstrip("/")
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    started = time.monotonic()

    response = session.get(f"{base}/v1/grids", params={"page_size": 1}, headers=headers, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"GET /v1/grids answered {response.status_code}: {response.text}")
    existing = response.json().get("total", 0)
    if existing:
        return {"skipped": True, "reason": f"the roster already has {existing} grids", "existing_grids": existing}

    county = build_demo_county(seed)

    def post(path: str, body: dict, label: str, status: int = 201) -> dict:
        answer = session.post(f"{base}{path}", json=body, headers=headers, timeout=60)
        if answer.status_code != status:
            raise RuntimeError(f"POST {path} ({label}) answered {answer.status_code}: {answer.text}")
        return answer.json()

    ids: dict[str, str] = {}
    for level in (1, 2, 3):
        for grid in (g for g in county["grids"] if g["level"] == level):
            body = {k: v for k, v in grid.items() if k not in GRID_HELPERS}
            body["parent_id"] = ids[grid["parent_code"]] if grid["parent_code"] else None
            ids[grid["code"]] = post("/v1/grids", body, grid["code"])["id"]
    for deputy in county["deputies"]:
        body = {k: v for k, v in deputy.items() if k not in DEPUTY_HELPERS}
        body["home_grid_id"] = ids[deputy["home_grid_code"]] if deputy["home_grid_code"] else None
        body["work_grid_id"] = ids[deputy["work_grid_code"]] if deputy["work_grid_code"] else None
        post("/v1/deputies", body, deputy["name"])
    extras = _load_stations_plan_and_receptions(post, county, ids)
    return {"grids": len(county["grids"]), "deputies": len(county["deputies"]),
            "townships": sum(1 for g in county["grids"] if g["level"] == 1), **extras,
            "seconds": round(time.monotonic() - started, 2)}


def _load_stations_plan_and_receptions(post, county: dict, ids: dict[str, str]) -> dict:
    """"1+4+N" liaison stations, a published county-wide assignment plan, and reception schedules: the 10th and
    25th at each township station (000) and a Thursday-afternoon rota at each area station (003)."""
    grids = county["grids"]
    townships = [g for g in grids if g["level"] == 1]
    communities = [g for g in grids if g["level"] == 2 and g["kind"] == "urban_community"]
    post("/v1/stations", {"name": f"{COUNTY}人大代表联络总站", "tier": "main", "address": f"{COUNTY}人大常委会一楼",
                          "opening_hours": "周一至周五 8:30-17:30", "grid_ids": []}, "main station")
    township_stations = {}
    for g in townships:
        township_stations[g["code"]] = post("/v1/stations", {
            "name": f"{g['name']}人大代表联络站", "tier": "township", "address": f"{g['name']}人民政府一楼",
            "opening_hours": "周一至周五 8:30-12:00，14:30-17:30", "grid_ids": [ids[g["code"]]]}, g["name"])["id"]
    area_stations = {}
    for g in communities:
        area_stations[g["code"]] = post("/v1/stations", {
            "name": f"{g['name']}代表联络点", "tier": "area", "address": f"{g['name']}党群服务中心",
            "opening_hours": "每周四 14:30-17:30", "grid_ids": [ids[g["code"]]]}, g["name"])["id"]

    plan = post("/v1/assignment-plans", {"scope_grid_id": None, "rules": {
        "min_per_grid": 1, "max_per_grid": 3, "max_load": 1, "pair_party_delegates": True}}, "assignment plan")
    if not plan["feasible"]:
        raise RuntimeError(f"the demo plan breaks hard rules: {plan['violations'][:5]}")
    post(f"/v1/assignment-plans/{plan['id']}/approve", {}, "approve plan", status=200)
    post(f"/v1/assignment-plans/{plan['id']}/publish", {}, "publish plan", status=200)

    def team_under(prefix: str) -> tuple[list[str], list[str]]:
        deputies = [d for g in plan["grids"] if g["code"].startswith(prefix + "-") for d in g["deputies"]]
        npc = [d["deputy_id"] for d in deputies if d["kind"] == "npc_deputy"]
        party = [d["deputy_id"] for d in deputies if d["kind"] == "party_delegate"]
        return npc, party

    schedules = 0
    for code, station_id in township_stations.items():
        npc, party = team_under(code)
        rota = [[npc[i % len(npc)], npc[(i + 1) % len(npc)]] + ([party[i // 2 % len(party)]] if party else [])
                for i in range(0, 8, 2)]
        post("/v1/reception-schedules", {"station_id": station_id, "pattern": "monthly", "month_days": [10, 25],
                                         "start_time": "09:00", "end_time": "11:30", "rota": rota,
                                         "two_representatives": bool(party), "weeks": 8}, f"schedule {code}")
        schedules += 1
    for code, station_id in area_stations.items():
        npc, party = team_under(code)
        if not npc:
            continue
        rota = [[npc[i % len(npc)]] + ([party[i % len(party)]] if party else []) for i in range(4)]
        post("/v1/reception-schedules", {"station_id": station_id, "pattern": "weekly", "weekday": 3,
                                         "start_time": "14:30", "end_time": "17:30", "rota": rota,
                                         "two_representatives": bool(party), "weeks": 8}, f"schedule {code}")
        schedules += 1
    return {"stations": 1 + len(township_stations) + len(area_stations), "plan_id": plan["id"],
            "assignments": sum(len(g["deputies"]) for g in plan["grids"]), "reception_schedules": schedules}
