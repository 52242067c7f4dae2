""""1+4+N" liaison stations (issue 18.6): a township station belongs to one township and is its only one; area
stations reach down to villages and groups; the county's structure is checked and every gap named."""
from .helpers import make_grid


def station(svc, tier, grids, name=None, **extra):
    body = {"name": name or f"{tier}站", "tier": tier, "address": "政府一楼", "grid_ids": grids, **extra}
    return svc.client.post("/v1/stations", json=body, headers=svc.headers())


def county(svc):
    towns = {}
    for code, name in (("A", "甲镇"), ("B", "乙镇")):
        town = make_grid(svc, code, 1, name=name)
        village = make_grid(svc, f"{code}-01", 2, town, name=f"{name}一村")
        towns[code] = (town, village, make_grid(svc, f"{code}-01-01", 3, village, households=250))
    return towns


def test_a_township_station_belongs_to_one_township_and_is_its_only_one(svc):
    towns = county(svc)
    first = station(svc, "township", [towns["A"][0], towns["A"][2]], "甲镇人大代表联络站")
    assert first.status_code == 201 and first.json["township_id"] == towns["A"][0]
    second = station(svc, "township", [towns["A"][1]], "甲镇第二站")  # a village of the same township
    assert second.status_code == 409 and "甲镇 already has its township station" in second.json["detail"]
    spread = station(svc, "township", [towns["A"][1], towns["B"][1]], "两镇站")
    assert spread.status_code == 422 and spread.json["errors"][0]["field"] == "grid_ids"
    assert "甲镇 (A)" in spread.json["errors"][0]["reason"] and "乙镇 (B)" in spread.json["errors"][0]["reason"]
    nowhere = station(svc, "township", [], "无乡镇站")
    assert nowhere.status_code == 422 and nowhere.json["errors"][0]["field"] == "grid_ids"
    # an area station of 甲镇 cannot become a second township station either
    area = station(svc, "area", [towns["A"][1]], "甲镇一村联络点").json
    promoted = svc.client.patch(f"/v1/stations/{area['id']}", json={"tier": "township"}, headers=svc.headers())
    assert promoted.status_code == 409
    # moving the first station's grids within its township is fine; to the other township, it follows
    moved = svc.client.patch(f"/v1/stations/{first.json['id']}", json={"grid_ids": [towns["B"][0]]},
                             headers=svc.headers())
    assert moved.status_code == 200 and moved.json["township_id"] == towns["B"][0]
    assert station(svc, "township", [towns["A"][0]], "甲镇人大代表联络站").status_code == 201
    created = [e for e in svc.outbox() if e.type.startswith("station.")]
    assert [e.type for e in created] == ["station.created", "station.created", "station.updated", "station.created"]


def test_an_area_station_reaches_down_to_villages_not_to_a_township(svc):
    towns = county(svc)
    refused = station(svc, "area", [towns["A"][0], towns["A"][1]])
    assert refused.status_code == 422
    assert refused.json["errors"] == [{"field": "grid_ids", "reason": "an area station reaches down to villages, "
                                       f"communities and groups; the township grid {towns['A'][0]} is served by its "
                                       "township station"}]
    assert station(svc, "area", [towns["A"][1], towns["B"][2]]).status_code == 201


def test_the_county_structure_is_checked_and_every_gap_named(svc):
    towns = county(svc)
    empty = svc.client.get("/v1/stations/network", headers=svc.headers("reader")).json
    assert empty["formula"] == "0+0+0" and empty["complete"] is False
    assert [f["rule"] for f in empty["findings"]] == ["no_main_station", "township_without_station",
                                                      "township_without_station"]
    station(svc, "main", [], "县人大代表联络总站")
    station(svc, "township", [towns["A"][0]], "甲镇人大代表联络站")
    lonely = station(svc, "area", [], "空联络点").json
    report = svc.client.get("/v1/stations/network", headers=svc.headers()).json
    assert report["formula"] == "1+1+1" and report["complete"] is False
    assert [(f["rule"], f.get("grid_code") or f.get("station_id")) for f in report["findings"]] == [
        ("township_without_station", "B"), ("area_station_without_grid", lonely["id"])]
    assert [t["station_name"] for t in report["townships"]] == ["甲镇人大代表联络站", None]
    station(svc, "township", [towns["B"][0]], "乙镇人大代表联络站")
    svc.client.patch(f"/v1/stations/{lonely['id']}", json={"grid_ids": [towns["B"][1]]}, headers=svc.headers())
    done = svc.client.get("/v1/stations/network", headers=svc.headers()).json
    assert done["complete"] is True and done["findings"] == [] and done["formula"] == "1+2+1"
    assert svc.client.get("/v1/stations/network", headers=svc.headers("none")).status_code == 403


def test_the_migration_names_the_township_of_each_township_station_and_keeps_the_first_of_two(tmp_path):
    from sqlalchemy import create_engine, text

    from roster.service import SPEC
    from wangge_common import crypto, migrations
    from wangge_common.settings import Settings
    from wangge_common.testing import create_test_database

    url, drop = create_test_database("roster", tmp_path)
    settings = Settings.from_env("roster", {"WANGGE_VAR_DIR": str(tmp_path), "WANGGE_ROSTER_DATABASE_URL": url,
                                            "WANGGE_PII_KEY": crypto.new_key()})
    engine = create_engine(url)
    try:
        migrations.upgrade(SPEC, settings, "f35b6e0f137a")
        with engine.begin() as conn:
            for gid, code, level, parent in (("t", "T", 1, None), ("v", "T-1", 2, "t"), ("g", "T-1-1", 3, "v")):
                conn.execute(text("INSERT INTO grids (id, code, name, level, parent_id, kind, households, population, "
                                  "difficulty, workers, created_at, updated_at) VALUES (:i, :c, :c, :l, :p, "
                                  "'rural_village', 250, 800, 1, '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                             {"i": gid, "c": code, "l": level, "p": parent})
            for sid, grid, created in (("s1", "g", "2026-01-01"), ("s2", "t", "2026-02-01")):
                conn.execute(text("INSERT INTO stations (id, name, tier, address, grid_ids, created_at, updated_at) "
                                  "VALUES (:s, :s, 'township', '地址', '[]', :c, :c)"), {"s": sid, "c": created})
                conn.execute(text("INSERT INTO station_grids (station_id, grid_id) VALUES (:s, :g)"),
                             {"s": sid, "g": grid})
        migrations.upgrade(SPEC, settings)
        with engine.connect() as conn:
            found = dict(conn.execute(text("SELECT id, township_id FROM stations")).all())
    finally:
        engine.dispose()
        drop()
    assert found == {"s1": "t", "s2": None}  # a group's station finds its township; the later one is named
