"""The assignment planner through the API: hard rules, infeasible plans, edits, approval, publication, coverage."""
import csv
import io

from .helpers import make_deputy, make_grid, small_township


def plan(svc, body=None, key="all"):
    return svc.client.post("/v1/assignment-plans", json=body or {}, headers=svc.headers(key))


def test_a_township_plan_puts_a_local_township_deputy_in_every_grid(svc):
    town, village, leaves = small_township(svc)
    locals_ = [make_deputy(svc, f"代表{i}", home=g) for i, g in enumerate(leaves)]
    county = make_deputy(svc, "县代表", level="county", home=leaves[0])
    response = plan(svc, {"scope_grid_id": town})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "draft" and body["feasible"] and body["violations"] == []
    by_grid = {g["grid_id"]: g["deputies"] for g in body["grids"]}
    assert set(by_grid) == set(leaves)
    for deputy_id, grid_id in zip(locals_, leaves):
        assert {"deputy_id": deputy_id, "basis": "home_or_work", "level": "township"} in [
            {k: d[k] for k in ("deputy_id", "basis", "level")} for d in by_grid[grid_id]]
    assert any(d["deputy_id"] == county for ds in by_grid.values() for d in ds)  # every deputy in a grid
    assert svc.outbox()[-1].type == "deputy.registered"  # a draft emits nothing


def test_an_infeasible_plan_names_each_failing_grid_and_why(svc):
    town, village, leaves = small_township(svc, groups=3)
    make_deputy(svc, "唯一镇代表", home=leaves[0])
    make_deputy(svc, "县代表", level="county", home=leaves[1])
    body = plan(svc, {"scope_grid_id": town, "rules": {"max_load": 1}}).json
    assert body["feasible"] is False
    failing = {(v["grid_code"], v["rule"]) for v in body["violations"]}
    assert failing == {("T1-01-02", "no_township_deputy"), ("T1-01-03", "no_township_deputy"),
                       ("T1-01-03", "too_few_deputies")}
    reason = next(v["reason"] for v in body["violations"] if v["rule"] == "no_township_deputy")
    assert "1 township-level deputies of township T1 can serve 1 grids" in reason and "3 grids need one" in reason
    advice = {v.get("advice") for v in body["violations"] if v["rule"] == "no_township_deputy"}
    assert advice == {"max load 3 covers all"} and reason.endswith("; max load 3 covers all")


def test_a_higher_load_makes_the_same_roster_feasible(svc):
    town, village, leaves = small_township(svc, groups=3)
    make_deputy(svc, "镇代表甲", home=leaves[0])
    make_deputy(svc, "镇代表乙", home=leaves[1])
    body = plan(svc, {"scope_grid_id": town, "rules": {"max_load": 2}}).json
    assert body["feasible"], body["violations"]
    loads = {}
    for grid in body["grids"]:
        for d in grid["deputies"]:
            loads[d["deputy_id"]] = loads.get(d["deputy_id"], 0) + 1
    assert max(loads.values()) <= 2 and len(body["grids"]) == 3


def test_rules_are_validated(svc):
    response = plan(svc, {"rules": {"min_per_grid": 3, "max_per_grid": 2}})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "rules.min_per_grid"
    assert plan(svc, {"scope_grid_id": "6f1c2d4e-0000-4000-8000-000000000000"}).status_code == 422


def test_manual_edits_are_revalidated_and_approval_needs_a_clean_plan(svc):
    town, village, leaves = small_township(svc, groups=2)
    a = make_deputy(svc, "镇代表甲", home=leaves[0])
    b = make_deputy(svc, "镇代表乙", home=leaves[1])
    county = make_deputy(svc, "县代表", level="county", home=leaves[1])
    created = plan(svc, {"scope_grid_id": town}).json
    assert created["feasible"]
    # Only the county deputy in grid 2: no township deputy there any more.
    edited = svc.client.put(f"/v1/assignment-plans/{created['id']}/grids/{leaves[1]}", json={"deputy_ids": [county]},
                            headers=svc.headers())
    assert edited.status_code == 200
    assert [(v["grid_code"], v["rule"]) for v in edited.json["violations"]] == [("T1-01-02", "no_township_deputy")]
    refused = svc.client.post(f"/v1/assignment-plans/{created['id']}/approve", headers=svc.headers())
    assert refused.status_code == 422 and refused.json["errors"][0]["rule"] == "no_township_deputy"
    # Deputy a in both grids exceeds max load 1.
    over = svc.client.put(f"/v1/assignment-plans/{created['id']}/grids/{leaves[1]}", json={"deputy_ids": [a, county]},
                          headers=svc.headers()).json
    assert {v["rule"] for v in over["violations"]} == {"over_load"}
    fixed = svc.client.put(f"/v1/assignment-plans/{created['id']}/grids/{leaves[1]}", json={"deputy_ids": [b, county]},
                           headers=svc.headers()).json
    assert fixed["feasible"]
    unknown = svc.client.put(f"/v1/assignment-plans/{created['id']}/grids/{town}", json={"deputy_ids": [b]},
                             headers=svc.headers())
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "grid_id"


def test_approval_needs_the_approve_scope_and_records_the_approver_then_publication_emits_per_grid(svc):
    town, village, leaves = small_township(svc, groups=2)
    a = make_deputy(svc, "镇代表甲", home=leaves[0])
    b = make_deputy(svc, "镇代表乙", home=leaves[1])
    created = plan(svc, {"scope_grid_id": town}).json
    assert svc.client.post(f"/v1/assignment-plans/{created['id']}/approve",
                           headers=svc.headers("reader")).status_code == 403
    early = svc.client.post(f"/v1/assignment-plans/{created['id']}/publish", headers=svc.headers())
    assert early.status_code == 409 and "only an approved plan" in early.json["detail"]
    approved = svc.client.post(f"/v1/assignment-plans/{created['id']}/approve", headers=svc.headers())
    assert approved.status_code == 200 and approved.json["approved_by"] == "apikey:all"
    assert svc.outbox()[-1].type == "assignment_plan.approved"
    edit = svc.client.put(f"/v1/assignment-plans/{created['id']}/grids/{leaves[1]}", json={"deputy_ids": [b]},
                          headers=svc.headers())
    assert edit.status_code == 409
    published = svc.client.post(f"/v1/assignment-plans/{created['id']}/publish", headers=svc.headers())
    assert published.status_code == 200 and published.json["status"] == "published"
    events = [e for e in svc.outbox() if e.type == "assignment.published"]
    assert {e.subject for e in events} == set(leaves)
    grid0 = next(e for e in events if e.subject == leaves[0])
    assert grid0.data["deputies"] == [{"deputy_id": a, "kind": "npc_deputy", "level": "township"}]

    # A second plan moves deputy a out of grid 1 and b in: assignment.ended for a there.
    second = plan(svc, {"scope_grid_id": town}).json
    svc.client.put(f"/v1/assignment-plans/{second['id']}/grids/{leaves[0]}", json={"deputy_ids": [b]},
                   headers=svc.headers())
    svc.client.put(f"/v1/assignment-plans/{second['id']}/grids/{leaves[1]}", json={"deputy_ids": [a]},
                   headers=svc.headers())
    svc.client.post(f"/v1/assignment-plans/{second['id']}/approve", headers=svc.headers())
    svc.client.post(f"/v1/assignment-plans/{second['id']}/publish", headers=svc.headers())
    ended = [e for e in svc.outbox() if e.type == "assignment.ended"]
    assert {(e.data["grid_id"], e.data["deputy_id"]) for e in ended} == {(leaves[0], a), (leaves[1], b)}
    assert all(second["id"] in e.data["reason"] for e in ended)
    history = svc.client.get(f"/v1/assignments?deputy_id={a}", headers=svc.headers("reader")).json
    assert [(i["grid_id"], i["ended_at"] is None) for i in history["items"]] == [(leaves[1], True), (leaves[0], False)]
    live = svc.client.get(f"/v1/assignments?grid_id={leaves[0]}&current=true", headers=svc.headers()).json
    assert [i["deputy_id"] for i in live["items"]] == [b] and live["items"][0]["plan_id"] == second["id"]


def test_coverage_reports_gaps_per_township_as_json_and_csv(svc):
    town, village, leaves = small_township(svc, groups=2)
    a = make_deputy(svc, "镇代表甲", home=leaves[0])
    make_deputy(svc, "县代表", level="county", home=leaves[1])
    created = plan(svc, {"scope_grid_id": town}).json
    svc.client.put(f"/v1/assignment-plans/{created['id']}/grids/{leaves[1]}", json={"deputy_ids": []},
                   headers=svc.headers())
    svc.client.put(f"/v1/assignment-plans/{created['id']}/grids/{leaves[0]}", json={"deputy_ids": [a]},
                   headers=svc.headers())
    # The draft is not feasible (grid 2 empty): publish is impossible, so coverage shows nothing assigned yet.
    report = svc.client.get("/v1/coverage", headers=svc.headers("reader")).json
    assert report["totals"]["grids_without_deputy"] == 2 and report["totals"]["deputies_without_grid"] == 2
    other = make_grid(svc, "T2", 1)
    make_grid(svc, "T2-01", 2, other)
    only_t1 = svc.client.get(f"/v1/coverage?township_id={town}", headers=svc.headers()).json
    unknown = svc.client.get(f"/v1/coverage?township_id={village.replace(village[:8], '00000000')}",
                             headers=svc.headers())
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "township_id"
    assert [t["code"] for t in only_t1["townships"]] == ["T1"]
    csv_response = svc.client.get("/v1/coverage?format=csv", headers=svc.headers())
    assert csv_response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(csv_response.data.decode("utf-8-sig"))))
    assert {r["finding"] for r in rows} == {"grids_without_deputy", "deputies_without_grid"}
    assert {r["grid_code"] for r in rows if r["finding"] == "grids_without_deputy"} == {"T1-01-01", "T1-01-02", "T2-01"}


def test_coverage_after_publication_shows_grids_without_a_township_deputy(svc):
    town, village, leaves = small_township(svc, groups=2)
    make_deputy(svc, "镇代表甲", home=leaves[0])
    make_deputy(svc, "镇代表乙", home=leaves[1])
    created = plan(svc, {"scope_grid_id": town}).json
    svc.client.post(f"/v1/assignment-plans/{created['id']}/approve", headers=svc.headers())
    svc.client.post(f"/v1/assignment-plans/{created['id']}/publish", headers=svc.headers())
    report = svc.client.get("/v1/coverage", headers=svc.headers()).json
    assert report["totals"] == {"grids": 2, "grids_without_deputy": 0, "grids_without_township_deputy": 0,
                                "deputies_without_grid": 0, "deputies_over_load": 0}


def test_coverage_finds_grids_without_a_township_deputy_and_deputies_over_load_after_the_roster_changes(svc):
    town, village, leaves = small_township(svc, groups=3)
    a = make_deputy(svc, "镇代表甲", home=leaves[0])
    b = make_deputy(svc, "镇代表乙", home=leaves[1])
    created = plan(svc, {"scope_grid_id": town, "rules": {"max_load": 2}}).json
    assert created["feasible"], created["violations"]
    svc.client.post(f"/v1/assignment-plans/{created['id']}/approve", headers=svc.headers())
    svc.client.post(f"/v1/assignment-plans/{created['id']}/publish", headers=svc.headers())
    loads = {}
    for grid in created["grids"]:
        for d in grid["deputies"]:
            loads.setdefault(d["deputy_id"], []).append(grid["grid_id"])
    busy = next(d for d, grids in loads.items() if len(grids) == 2)
    # Within the plan's own load of 2 nothing is wrong; against a load of 1, one deputy is over.
    assert svc.client.get("/v1/coverage?max_load=2", headers=svc.headers()).json["totals"]["deputies_over_load"] == 0
    strict = svc.client.get("/v1/coverage?max_load=1", headers=svc.headers()).json
    assert [d["deputy_id"] for d in strict["townships"][0]["deputies_over_load"]] == [busy]
    assert strict["townships"][0]["deputies_over_load"][0]["grids"] == 2
    # The other deputy is re-registered as a county deputy: the grids they alone serve lose their township deputy.
    other = b if busy == a else a
    svc.client.patch(f"/v1/deputies/{other}", json={"level": "county"}, headers=svc.headers())
    report = svc.client.get(f"/v1/coverage?township_id={town}", headers=svc.headers()).json
    assert {g["grid_id"] for g in report["townships"][0]["grids_without_township_deputy"]} == set(loads[other])
    assert report["totals"]["grids_without_deputy"] == 0
    rows = list(csv.DictReader(io.StringIO(svc.client.get("/v1/coverage?format=csv&max_load=1",
                                                          headers=svc.headers()).data.decode("utf-8-sig"))))
    assert {(r["finding"], r["grid_code"] or r["deputy_name"]) for r in rows} == (
        {("grids_without_township_deputy", c) for c in
         (g["code"] for g in report["townships"][0]["grids_without_township_deputy"])}
        | {("deputies_over_load", "镇代表甲" if busy == a else "镇代表乙")})


def test_publication_rechecks_the_roster_as_it_is_now(svc):
    town, village, leaves = small_township(svc, groups=2)
    a = make_deputy(svc, "镇代表甲", home=leaves[0])
    make_deputy(svc, "镇代表乙", home=leaves[1])
    created = plan(svc, {"scope_grid_id": town}).json
    assert svc.client.post(f"/v1/assignment-plans/{created['id']}/approve", headers=svc.headers()).status_code == 200
    # The term of a deputy in the approved plan ends before publication: the plan no longer holds.
    svc.client.post(f"/v1/deputies/{a}/end", json={"reason": "辞职", "ended_on": "2026-11-30"}, headers=svc.headers())
    before = len(svc.outbox())
    refused = svc.client.post(f"/v1/assignment-plans/{created['id']}/publish", headers=svc.headers())
    assert refused.status_code == 409 and "the roster changed since approval" in refused.json["detail"]
    assert "the deputy's status is ended" in refused.json["detail"]
    assert len(svc.outbox()) == before
    assert svc.client.get(f"/v1/assignment-plans/{created['id']}", headers=svc.headers()).json["status"] == "approved"
    assert svc.client.get("/v1/assignments", headers=svc.headers()).json["total"] == 0
