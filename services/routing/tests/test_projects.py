"""Micro livelihood projects (民生微实事): proposed from cases, reviewed, funded, progressed, completed, rated."""
import copy
import json
import uuid

from wangge_common import contracts
from wangge_common.crypto import FieldCipher
from wangge_common.testing import event

from routing.domain import projects as rules

from .conftest import EXAMPLE

TOWN, VILLAGE = "6f1c2d4e-0000-4000-8000-000000000000", EXAMPLE["grid_id"]
OTHER_TOWN, OTHER_VILLAGE = str(uuid.UUID(int=71)), str(uuid.UUID(int=72))
DEPUTY = "0b7e3a9c-0000-4000-8000-000000000007"


def _roster(svc):
    grid = contracts.contract("grid.created", 1).schema["examples"][0]
    for gid, level, parent in ((TOWN, 1, None), (VILLAGE, 2, TOWN), (OTHER_TOWN, 1, None),
                               (OTHER_VILLAGE, 2, OTHER_TOWN)):
        data = {**grid, "grid_id": gid, "code": gid[-4:], "level": level, "parent_id": parent}
        svc.deliver(event("grid.created", gid, data, source="/wangge/roster"), "roster.v1")
    deputy = contracts.contract("deputy.registered", 1).schema["examples"][0]
    svc.deliver(event("deputy.registered", DEPUTY, copy.deepcopy(deputy), source="/wangge/roster"), "roster.v1")
    svc.deliver(event("assignment.published", VILLAGE, {
        "grid_id": VILLAGE, "plan_id": str(uuid.uuid4()),
        "deputies": [{"deputy_id": DEPUTY, "kind": "npc_deputy", "level": "township"}]},
        source="/wangge/roster", sequence=2), "roster.v1")


def _propose(svc, case_ids, headers=None, **changes):
    body = {"grid_id": VILLAGE, "deputy_id": DEPUTY, "title": "韶山村组道路灯安装",
            "description": "在两条组道安装太阳能路灯 12 盏", "budget_yuan": 48000, "case_ids": case_ids, **changes}
    return svc.client.post("/v1/projects", json=body, headers=headers or svc.headers())


def test_a_project_runs_from_proposal_to_the_residents_rating(svc):
    _roster(svc)
    cases = [svc.register(), svc.register()]
    proposed = _propose(svc, cases)
    assert proposed.status_code == 201, proposed.json
    project = proposed.json
    assert project["state"] == "proposed" and project["code"].startswith("MS") and project["township_id"] == TOWN
    assert sorted(project["case_ids"]) == sorted(cases) and project["deputy_name"] == "李红梅"
    pid = project["project_id"]
    first = svc.outbox()[-1]
    assert first.type == "project.proposed" and first.subject == pid and first.data["budget_yuan"] == 48000
    svc.post(f"/v1/projects/{pid}/review", {"decision": "approved", "reason": "群众反映集中"})
    too_much = svc.client.post(f"/v1/projects/{pid}/funding", headers=svc.headers(),
                               json={"decision": "funded", "amount_yuan": 50000, "reason": "纳入年度资金"})
    assert too_much.status_code == 422 and too_much.json["errors"][0]["field"] == "amount_yuan"
    svc.post(f"/v1/projects/{pid}/funding", {"decision": "funded", "amount_yuan": 45000, "reason": "纳入年度资金"})
    svc.post(f"/v1/projects/{pid}/progress", {"percent": 60, "note": "灯杆已立好"})
    back = svc.client.post(f"/v1/projects/{pid}/progress", json={"percent": 30, "note": "返工"}, headers=svc.headers())
    assert back.status_code == 422 and back.json["errors"][0]["field"] == "percent"
    done = svc.post(f"/v1/projects/{pid}/complete", {"result": "安装路灯 12 盏，已通电"})
    assert done["state"] == "completed" and done["percent"] == 100 and done["funded_yuan"] == 45000
    completed = [e for e in svc.outbox() if e.type == "project.completed"][-1]
    assert sorted(completed.data["case_ids"]) == sorted(cases) and len(completed.data["rating_links"]) == 2
    token = FieldCipher(svc.settings.pii_key).decrypt(completed.data["rating_links"][0]["token_encrypted"])
    assert token not in json.dumps(completed.data)  # the link travels encrypted, for notify alone
    link = svc.client.get(f"/v1/project-ratings/{token}")
    assert link.status_code == 200 and link.json["status"] == "open"
    assert "case_ids" not in link.json["project"] and "actor" not in link.json["project"]["steps"][0]
    rated = svc.client.post(f"/v1/project-ratings/{token}", json={"rating": "satisfied"})
    assert rated.status_code == 200 and rated.json["status"] == "used"
    assert rated.json["project"]["ratings"]["satisfaction"] == 1.0
    assert svc.client.post(f"/v1/project-ratings/{token}", json={"rating": "unsatisfied"}).status_code == 409
    assert svc.client.get("/v1/project-ratings/not-a-token").status_code == 404
    types = [e.type for e in svc.outbox() if e.subject == pid]
    assert types == ["project.proposed", "project.reviewed", "project.funding_decided", "project.progressed",
                     "project.completed", "project.rated"]
    steps = svc.client.get(f"/v1/projects/{pid}", headers=svc.headers("reader")).json["steps"]
    assert [s["action"] for s in steps] == ["propose", "review:approved", "funding:funded", "progress", "complete"]
    assert all(s["actor"] == "apikey:all" for s in steps)


def test_steps_out_of_order_and_bad_proposals_are_refused(svc):
    _roster(svc)
    case = svc.register()
    elsewhere = svc.register(grid_id=OTHER_VILLAGE)
    bad = _propose(svc, [case, elsewhere, str(uuid.uuid4())])
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"case_ids.1", "case_ids.2"}
    stranger = _propose(svc, [case], deputy_id=str(uuid.uuid4()))
    assert stranger.status_code == 422 and stranger.json["errors"][0]["field"] == "deputy_id"
    blank = _propose(svc, [case], title="   ")
    assert blank.status_code == 422 and blank.json["errors"][0]["field"] == "title"
    pid = _propose(svc, [case]).json["project_id"]
    again = _propose(svc, [case])
    assert again.status_code == 422 and "another project" in again.json["errors"][0]["reason"]
    early = svc.client.post(f"/v1/projects/{pid}/funding", headers=svc.headers(),
                            json={"decision": "funded", "amount_yuan": 100, "reason": "提前拨款"})
    assert early.status_code == 409
    svc.post(f"/v1/projects/{pid}/review", {"decision": "refused", "reason": "不属于微实事范围"})
    assert svc.client.post(f"/v1/projects/{pid}/complete", json={"result": "完成"},
                           headers=svc.headers()).status_code == 409
    # a refused project frees its cases for another proposal
    assert _propose(svc, [case]).status_code == 201


def test_people_act_on_their_own_grids_and_only_the_city_funds(svc):
    _roster(svc)
    case = svc.register()
    deputy = svc.person("p-dep", scopes=("cases:read", "cases:write"), grids=[VILLAGE])
    stranger = svc.person("p-far", scopes=("cases:read", "cases:write"), grids=[OTHER_VILLAGE])
    assert _propose(svc, [case], headers=stranger).status_code == 403
    made = _propose(svc, [case], headers=deputy)
    assert made.status_code == 201 and svc.outbox()[-1].actor == "person:p-dep"
    pid = made.json["project_id"]
    staff = svc.person("p-staff", scopes=("cases:read", "cases:supervise"), grids=[TOWN, VILLAGE])
    assert svc.client.post(f"/v1/projects/{pid}/review", json={"decision": "approved", "reason": "同意"},
                           headers=staff).status_code == 200
    refused = svc.client.post(f"/v1/projects/{pid}/funding", headers=staff,
                              json={"decision": "funded", "amount_yuan": 100, "reason": "拨款"})
    assert refused.status_code == 403
    city = svc.person("p-city", scopes=("cases:read", "projects:fund"))
    assert svc.client.post(f"/v1/projects/{pid}/funding", headers=city,
                           json={"decision": "funded", "amount_yuan": 100, "reason": "拨款"}).status_code == 200
    listed = svc.client.get("/v1/projects", headers=stranger).json
    assert listed["total"] == 0
    assert svc.client.get(f"/v1/projects/{pid}", headers=stranger).status_code == 403
    assert svc.client.get("/v1/projects?state=funded", headers=deputy).json["total"] == 1


def test_rules():
    assert rules.next_state("proposed", "approve") == "township_approved"
    assert rules.funding_problems(100, 101)[0][0] == "amount_yuan"
    assert rules.progress_problems(50, 100)[0][1].startswith("100 %")
    assert rules.rating_summary(["satisfied", "unsatisfied"])["satisfaction"] == 0.5
    assert rules.rating_summary([])["satisfaction"] is None
