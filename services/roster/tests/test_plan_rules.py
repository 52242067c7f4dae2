"""Plans through the API (issue 18.5 and 18.4): township deputies stay in their township and on their township's
notice, the advice that makes a plan feasible, 两代表 warnings, and a hand edit that answers only what changed."""
import json

from roster.commands import plans

from .helpers import make_deputy, make_grid


def two_townships(svc, groups=2):
    """甲镇 (A) and 乙镇 (B), one village each with `groups` group grids; {township code: (town id, [leaves])}."""
    out = {}
    for code, name in (("A", "甲镇"), ("B", "乙镇")):
        town = make_grid(svc, code, 1, name=name)
        village = make_grid(svc, f"{code}-01", 2, town, name=f"{name}一村")
        out[code] = (town, [make_grid(svc, f"{code}-01-{i:02d}", 3, village, households=250, name=f"第{i}组")
                            for i in range(1, groups + 1)])
    return out


def canonical(items):
    return sorted(json.dumps(v, sort_keys=True) for v in items)


def plan(svc, rules, scope=None):
    response = svc.client.post("/v1/assignment-plans", json={"scope_grid_id": scope, "rules": rules},
                               headers=svc.headers())
    assert response.status_code == 201, response.json
    return response.json


def test_a_county_plan_keeps_township_deputies_in_their_township_and_on_its_notice(svc):
    county = two_townships(svc, groups=2)
    a_leaves, b_leaves = county["A"][1], county["B"][1]
    a_deputies = [make_deputy(svc, f"甲镇代表{i}", home=a_leaves[0]) for i in range(4)]
    b_only = make_deputy(svc, "乙镇代表", home=b_leaves[0])
    short = plan(svc, {"max_load": 1})
    assert short["feasible"] is False
    missing = [v for v in short["violations"] if v["rule"] == "no_township_deputy"]
    assert [v["grid_code"] for v in missing] == ["B-01-02"]  # not filled from 甲镇's spare deputies
    assert missing[0]["advice"] == "max load 2 covers all"
    placed = {d["deputy_id"]: g["code"] for g in short["grids"] for d in g["deputies"]}
    assert all(placed[d].startswith("A-") for d in a_deputies if d in placed)

    body = plan(svc, {"max_load": 2})  # the advice, taken
    assert body["feasible"], body["violations"]
    for step in ("approve", "publish"):
        assert svc.client.post(f"/v1/assignment-plans/{body['id']}/{step}", headers=svc.headers()).status_code == 200
    for code, (town, leaves) in county.items():
        for leaf in leaves:
            notice = svc.client.get(f"/v1/grids/{leaf}/notice").json
            assert notice["issuer"] == ("甲镇" if code == "A" else "乙镇") + "人大主席团"
            township_deputies = {d["deputy_id"] for d in notice["deputies"] if d["level"] == "township"}
            assert township_deputies <= (set(a_deputies) if code == "A" else {b_only}), notice["grid"]


def test_a_hand_placement_in_another_township_is_a_violation(svc):
    county = two_townships(svc, groups=1)
    a = make_deputy(svc, "甲镇代表", home=county["A"][1][0])
    make_deputy(svc, "乙镇代表", home=county["B"][1][0])
    body = plan(svc, {"max_load": 2})
    edited = svc.client.put(f"/v1/assignment-plans/{body['id']}/grids/{county['B'][1][0]}",
                            json={"deputy_ids": [a]}, headers=svc.headers()).json
    broken = [v for v in edited["violations"] if v["rule"] == "other_township"]
    assert [(v["grid_code"], v["deputy_id"]) for v in broken] == [("B-01-01", a)]
    assert "township A" in broken[0]["reason"] and "township B" in broken[0]["reason"]


def test_grids_without_a_party_delegate_are_warnings_the_plan_shows(svc):
    county = two_townships(svc, groups=2)
    for code, (_, leaves) in county.items():
        for leaf in leaves:
            make_deputy(svc, f"{code}代表{leaf[:4]}", home=leaf)
    delegate = make_deputy(svc, "党代表", level="county", kind="party_delegate", home=county["A"][1][0])
    body = plan(svc, {"pair_party_delegates": True})
    assert body["feasible"] and body["violations"] == []
    assert sorted((w["grid_code"], w["rule"]) for w in body["warnings"]) == [
        ("A-01-02", "no_party_delegate"), ("B-01-01", "no_party_delegate"), ("B-01-02", "no_party_delegate")]
    assert svc.client.get(f"/v1/assignment-plans/{body['id']}", headers=svc.headers()).json["warnings"] \
        == body["warnings"]
    # a warning does not stop approval
    assert svc.client.post(f"/v1/assignment-plans/{body['id']}/approve", headers=svc.headers()).status_code == 200
    assert any(d["deputy_id"] == delegate for g in body["grids"] for d in g["deputies"])


def test_a_hand_edit_can_answer_only_what_changed_and_matches_a_full_check(svc):
    county = two_townships(svc, groups=3)
    leaves = county["A"][1]
    locals_ = [make_deputy(svc, f"镇代表{i}", home=leaf) for i, leaf in enumerate(leaves)]
    body = plan(svc, {"max_load": 1, "pair_party_delegates": True}, scope=county["A"][0])
    url = f"/v1/assignment-plans/{body['id']}/grids/{leaves[0]}"
    minimal = {**svc.headers(), "Prefer": "return=minimal"}

    emptied = svc.client.put(url, json={"deputy_ids": []}, headers=minimal)
    assert emptied.status_code == 200 and emptied.headers["Preference-Applied"] == "return=minimal"
    change = emptied.json
    assert "grids" not in change and change["grid"]["code"] == "A-01-01" and change["grid"]["deputies"] == []
    assert sorted(v["rule"] for v in change["violations_added"]) == ["no_township_deputy", "too_few_deputies"]
    assert change["violations_removed"] == [] and change["feasible"] is False and change["violations_total"] == 2
    assert change["warnings_added"] == [] and change["warnings_removed"] == []  # still no party delegate there
    assert len(emptied.data) < 2000

    # the deputy of the second grid in the first too: over load; the first grid's gaps are gone
    doubled = svc.client.put(url, json={"deputy_ids": [locals_[1]]}, headers=minimal).json
    assert [(v["rule"], v.get("deputy_id")) for v in doubled["violations_added"]] == [("over_load", locals_[1])]
    assert sorted(v["rule"] for v in doubled["violations_removed"]) == ["no_township_deputy", "too_few_deputies"]
    assert doubled["grid"]["deputies"][0]["name"] == "镇代表1"

    # without the preference: the whole plan, as before
    whole = svc.client.put(url, json={"deputy_ids": [locals_[1]]}, headers=svc.headers())
    assert "Preference-Applied" not in whole.headers and len(whole.json["grids"]) == 3

    stored = svc.client.get(f"/v1/assignment-plans/{body['id']}", headers=svc.headers()).json
    with svc.runtime.db.sessions() as session:
        record = plans.get_plan(session, body["id"])
        full = plans._revalidate(session, record, plans.PlanScope(session, record.scope_grid_id))
        full_warnings = record.warnings
    assert canonical(stored["violations"]) == canonical(full) and len(full) == 1
    assert canonical(stored["warnings"]) == canonical(full_warnings) and len(full_warnings) == 3


def test_a_hand_edit_is_refused_with_the_field_and_why(svc):
    county = two_townships(svc, groups=1)
    leaf = county["A"][1][0]
    make_deputy(svc, "镇代表", home=leaf)
    body = plan(svc, {}, scope=county["A"][0])
    minimal = {**svc.headers(), "Prefer": "return=minimal"}
    other = svc.client.put(f"/v1/assignment-plans/{body['id']}/grids/{county['B'][1][0]}", json={"deputy_ids": []},
                           headers=minimal)
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "grid_id"
    unknown = svc.client.put(f"/v1/assignment-plans/{body['id']}/grids/{leaf}",
                             json={"deputy_ids": ["6f1c2d4e-0000-4000-8000-000000000000"]}, headers=minimal)
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "deputy_ids"
    svc.client.post(f"/v1/assignment-plans/{body['id']}/approve", headers=svc.headers())
    late = svc.client.put(f"/v1/assignment-plans/{body['id']}/grids/{leaf}", json={"deputy_ids": []},
                          headers=minimal)
    assert late.status_code == 409 and "only a draft" in late.json["detail"]


def test_a_hand_edit_counts_what_a_deputy_serves_outside_the_plan(svc):
    county = two_townships(svc, groups=1)
    (town_a, (leaf_a,)), (town_b, (leaf_b,)) = county["A"], county["B"]
    make_deputy(svc, "甲镇代表", home=leaf_a)
    make_deputy(svc, "乙镇代表", home=leaf_b)
    busy = make_deputy(svc, "县代表", level="county", home=leaf_b)
    served = plan(svc, {"max_per_grid": 3}, scope=town_b)
    assert any(d["deputy_id"] == busy for g in served["grids"] for d in g["deputies"])
    for step in ("approve", "publish"):
        svc.client.post(f"/v1/assignment-plans/{served['id']}/{step}", headers=svc.headers())
    body = plan(svc, {}, scope=town_a)
    local = body["grids"][0]["deputies"][0]["deputy_id"]
    change = svc.client.put(f"/v1/assignment-plans/{body['id']}/grids/{leaf_a}", json={"deputy_ids": [local, busy]},
                            headers={**svc.headers(), "Prefer": "return=minimal"}).json
    assert [(v["rule"], v["deputy_id"]) for v in change["violations_added"]] == [("over_load", busy)]
    assert "(1 outside this plan)" in change["violations_added"][0]["reason"]
    with svc.runtime.db.sessions() as session:
        record = plans.get_plan(session, body["id"])
        full = plans._revalidate(session, record, plans.PlanScope(session, record.scope_grid_id))
    assert canonical(full) == canonical(change["violations_added"])
