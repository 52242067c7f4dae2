"""Issue 16 item 1 (派驻方案) on roster's side: a plan is drafted, submitted, approved by another person and
published, each step recorded as the person who took it; the drafter cannot approve it; a township's people plan
their own township only."""
from .helpers import make_deputy, small_township

DRAFTER, APPROVER = "person:staff-1", "person:chair-1"


def _people(svc, grids):
    staff = svc.person("staff-1", scopes=("roster:read", "roster:admin"), grids=grids)
    chair = svc.person("chair-1", scopes=("roster:read", "roster:approve"), grids=grids)
    both = svc.person("staff-1", scopes=("roster:read", "roster:admin", "roster:approve"), grids=grids)
    return staff, chair, both


def _township(svc):
    town, village, leaves = small_township(svc, groups=2)
    for i, grid in enumerate(leaves):
        make_deputy(svc, f"代表{i}", home=grid)
    return town, [town, village, *leaves]


def test_draft_submit_approve_by_another_person_publish_each_recorded(svc):
    town, grids = _township(svc)
    staff, chair, _ = _people(svc, grids)
    draft = svc.client.post("/v1/assignment-plans", json={"scope_grid_id": town}, headers=staff)
    assert draft.status_code == 201 and draft.json["created_by"] == DRAFTER
    plan_id = draft.json["id"]
    submitted = svc.client.post(f"/v1/assignment-plans/{plan_id}/submit", headers=staff)
    assert submitted.status_code == 200 and submitted.json["status"] == "submitted"
    assert submitted.json["submitted_by"] == DRAFTER and submitted.json["submitted_at"]
    grid = draft.json["grids"][0]
    frozen = svc.client.put(f"/v1/assignment-plans/{plan_id}/grids/{grid['grid_id']}", json={"deputy_ids": []},
                            headers=staff)
    assert frozen.status_code == 409  # a submitted plan is no longer edited by hand
    approved = svc.client.post(f"/v1/assignment-plans/{plan_id}/approve", headers=chair)
    assert approved.status_code == 200 and approved.json["approved_by"] == APPROVER
    assert svc.outbox()[-1].type == "assignment_plan.approved" and svc.outbox()[-1].actor == APPROVER
    published = svc.client.post(f"/v1/assignment-plans/{plan_id}/publish", headers=chair)
    assert published.status_code == 200 and published.json["published_by"] == APPROVER
    listed = svc.client.get(f"/v1/assignment-plans?scope_grid_id={town}", headers=staff).json["items"]
    assert [(p["id"], p["status"]) for p in listed] == [(plan_id, "published")]


def test_the_drafter_cannot_approve_their_own_plan_even_with_the_permission(svc):
    town, grids = _township(svc)
    _, _, both = _people(svc, grids)
    draft = svc.client.post("/v1/assignment-plans", json={"scope_grid_id": town}, headers=both).json
    refused = svc.client.post(f"/v1/assignment-plans/{draft['id']}/approve", headers=both)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert "cannot both draft" in refused.json["detail"] and refused.json["errors"][0]["field"] == "approved_by"
    assert svc.client.get(f"/v1/assignment-plans/{draft['id']}", headers=both).json["status"] == "draft"
    submitted_by_other = svc.person("staff-2", scopes=("roster:read", "roster:admin"), grids=grids)
    svc.client.post(f"/v1/assignment-plans/{draft['id']}/submit", headers=submitted_by_other)
    # the one who submitted it cannot approve it either
    submitter_approving = svc.person("staff-2", scopes=("roster:read", "roster:approve"), grids=grids)
    assert svc.client.post(f"/v1/assignment-plans/{draft['id']}/approve",
                           headers=submitter_approving).status_code == 403


def test_a_township_person_plans_and_approves_only_their_township(svc):
    town, grids = _township(svc)
    staff, chair, _ = _people(svc, grids[1:])  # not the township grid itself: its scope is outside
    refused = svc.client.post("/v1/assignment-plans", json={"scope_grid_id": town}, headers=staff)
    assert refused.status_code == 403
    county_plan = svc.client.post("/v1/assignment-plans", json={"scope_grid_id": town}, headers=svc.headers()).json
    assert svc.client.post(f"/v1/assignment-plans/{county_plan['id']}/approve", headers=chair).status_code == 403


def test_a_township_person_edits_grids_and_deputies_of_their_township_only(svc):
    town, grids = _township(svc)
    staff, _, _ = _people(svc, grids)
    other_town = svc.client.post("/v1/grids", json={"code": "T9", "name": "外乡", "level": 1, "kind": "rural_village"},
                                 headers=svc.headers()).json["id"]
    assert svc.client.patch(f"/v1/grids/{grids[-1]}", json={"households": 270}, headers=staff).status_code == 200
    assert svc.client.patch(f"/v1/grids/{other_town}", json={"households": 270}, headers=staff).status_code == 403
    outsider = make_deputy(svc, "外乡代表", home=other_town)
    assert svc.client.patch(f"/v1/deputies/{outsider}", json={"position": "镇长"}, headers=staff).status_code == 403
    under = svc.client.get(f"/v1/deputies?under={town}", headers=staff).json["items"]
    assert sorted(d["name"] for d in under) == ["代表0", "代表1"]
