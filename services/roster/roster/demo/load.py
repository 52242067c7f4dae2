"""Loading the demo county into a running roster through its API, parents first, translating grid codes into the
ids the roster returns; then its stations, a published plan and reception schedules."""
from __future__ import annotations

import time

from .county import build_demo_county
from .data import COUNTY


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

    ids = _load_grids_and_deputies(post, county)
    extras = _load_stations_plan_and_receptions(post, county, ids)
    return {"grids": len(county["grids"]), "deputies": len(county["deputies"]),
            "townships": sum(1 for g in county["grids"] if g["level"] == 1), **extras,
            "seconds": round(time.monotonic() - started, 2)}


def _load_grids_and_deputies(post, county: dict) -> dict[str, str]:
    """Grids level by level (parents first), then deputies; grid code → the id the roster gave it."""
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
    return ids


def _load_stations_plan_and_receptions(post, county: dict, ids: dict[str, str]) -> dict:
    """"1+4+N" liaison stations, a published county-wide assignment plan, and reception schedules: the 10th and
    25th at each township station (000) and a Thursday-afternoon rota at each area station (003)."""
    grids = county["grids"]
    townships = [g for g in grids if g["level"] == 1]
    communities = [g for g in grids if g["level"] == 2 and g["kind"] == "urban_community"]
    township_stations, area_stations = _open_stations(post, townships, communities, ids)

    plan = post("/v1/assignment-plans", {"scope_grid_id": None, "rules": {
        "min_per_grid": 1, "max_per_grid": 3, "max_load": 1, "pair_party_delegates": True}}, "assignment plan")
    if not plan["feasible"]:
        raise RuntimeError(f"the demo plan breaks hard rules: {plan['violations'][:5]}")
    post(f"/v1/assignment-plans/{plan['id']}/approve", {}, "approve plan", status=200)
    post(f"/v1/assignment-plans/{plan['id']}/publish", {}, "publish plan", status=200)

    def team_under(prefix: str) -> tuple[list[str], list[str]]:
        """The NPC deputies and party delegates the published plan puts in the grids under `prefix`."""
        deputies = [d for g in plan["grids"] if g["code"].startswith(prefix + "-") for d in g["deputies"]]
        npc = [d["deputy_id"] for d in deputies if d["kind"] == "npc_deputy"]
        party = [d["deputy_id"] for d in deputies if d["kind"] == "party_delegate"]
        return npc, party

    schedules = _schedule_receptions(post, team_under, township_stations, area_stations)
    return {"stations": 1 + len(township_stations) + len(area_stations), "plan_id": plan["id"],
            "assignments": sum(len(g["deputies"]) for g in plan["grids"]), "reception_schedules": schedules}


def _schedule_receptions(post, team_under, township_stations: dict, area_stations: dict) -> int:
    """The 10th and 25th at each township station, a Thursday-afternoon rota at each area station; how many."""
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
    return schedules


def _open_stations(post, townships: list[dict], communities: list[dict], ids: dict[str, str]) -> tuple[dict, dict]:
    """"1+4+N": the main station, one per township, one area station per community; code → station id."""
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
    return township_stations, area_stations
