"""民生微实事 in the portal: a deputy proposes from their cases, the township reviews, the city funds; refusals land
beside their fields in Chinese; each role sees only its own forms."""
import uuid

from portal_testkit import DEPUTY, GROUP, TOWNSHIP, csrf_of as _csrf, field_errors as _errors

PID = str(uuid.UUID(int=501))
CASE = str(uuid.UUID(int=601))


def _project(state="proposed", **extra):
    return {"project_id": PID, "code": "MS7Q2KXA", "grid_id": GROUP, "grid_name": "第一村民小组",
            "township_id": TOWNSHIP, "deputy_id": DEPUTY, "deputy_name": "欧林俊", "title": "组道路灯安装",
            "description": "安装太阳能路灯 12 盏", "budget_yuan": 48000, "funded_yuan": None, "state": state,
            "percent": 0, "result": None, "proposed_at": "2026-12-01T02:00:00Z", "completed_at": None,
            "ratings": {"satisfied": 0, "basically_satisfied": 0, "unsatisfied": 0, "given": 0, "satisfaction": None},
            "steps": [{"action": "propose", "note": None, "percent": None, "at": "2026-12-01T02:00:00Z",
                       "actor": "person:x"}], "case_ids": [CASE], **extra}


def _wire(portal, state="proposed", refuse=None):
    fake = portal.services
    fake.answers.update({"/v1/projects": {"items": [_project(state)], "total": 1, "page": 1, "page_size": 100},
                         f"/v1/projects/{PID}": _project(state), f"/v1/grids/{GROUP}": {"id": GROUP, "name": "第一村民小组"},
                         "/v1/cases": {"items": [{"case_id": CASE, "tracking_code": "WGAB12CD34", "grid_id": GROUP,
                                                  "category": "request", "topic": "lighting", "state": "closed"}],
                                       "total": 1}})
    fake.post_answers["/v1/projects"] = _project()
    if refuse:
        fake.refusals["/v1/projects"] = refuse


def test_a_deputy_proposes_from_the_cases_they_received(portal):
    _wire(portal)
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    portal.sign_in("dep")
    page = portal.client.get("/projects/new").get_data(as_text=True)
    assert "WGAB12CD34 · 路灯照明 · 第一村民小组 · 已办结" in page
    empty = portal.client.post("/projects/new", data={"csrf_token": _csrf(page), "grid_id": GROUP, "title": "  ",
                                                      "description": "路灯", "budget_yuan": "四万"})
    assert empty.status_code == 422
    assert _errors(empty) == {"title": "必填", "budget_yuan": "请填写金额（元，整数）",
                              "case_ids": "请至少选择一件诉求：微实事从收集的民意中来"}
    made = portal.client.post("/projects/new", data={"csrf_token": _csrf(page), "grid_id": GROUP,
                                                     "title": "组道路灯安装", "description": "安装太阳能路灯 12 盏",
                                                     "budget_yuan": "48000", "case_ids": [CASE]})
    assert made.status_code == 302 and made.headers["Location"].endswith(f"/projects/{PID}")
    _, service, path, body, _ = portal.services.posts[-1]
    assert (service, path) == ("routing", "/v1/projects")
    assert body == {"grid_id": GROUP, "deputy_id": DEPUTY, "title": "组道路灯安装", "description": "安装太阳能路灯 12 盏",
                    "budget_yuan": 48000, "case_ids": [CASE]}
    listed = portal.client.get("/projects").get_data(as_text=True)
    assert "组道路灯安装" in listed and "已提出" in listed and portal.services.asked["/v1/projects"]["deputy_id"] == DEPUTY
    shown = portal.client.get(f"/projects/{PID}").get_data(as_text=True)
    assert "乡镇人大审核" not in shown  # a deputy has no review form


def test_the_township_reviews_and_a_refusal_names_the_field(portal):
    _wire(portal, refuse=(422, [{"field": "percent", "reason": "progress does not go back"}]))
    portal.account("town", "township_staff", grid_id=TOWNSHIP)
    portal.sign_in("town")
    shown = portal.client.get(f"/projects/{PID}").get_data(as_text=True)
    assert "<h2>乡镇人大审核" in shown and "<h2>资金审批" not in shown
    missing = portal.client.post(f"/projects/{PID}/review", data={"csrf_token": _csrf(shown), "decision": "approved",
                                                                 "reason": ""})
    assert missing.status_code == 422 and _errors(missing) == {"reason": "请写明理由"}
    assert not [p for p in portal.services.posts if "/review" in p[2]]
    # progress is not offered for a proposed project, and a forged post is refused by routing's answer
    forged = portal.client.post(f"/projects/{PID}/progress", data={"csrf_token": _csrf(shown), "percent": "10",
                                                                  "note": "开工"})
    assert forged.status_code == 422 and "进度不能倒退" in _errors(forged)["percent"]


def test_the_city_funds_and_others_cannot(portal):
    _wire(portal, state="township_approved")
    portal.account("city1", "city_funder")
    portal.sign_in("city1")
    assert portal.client.get("/").headers["Location"].endswith("/projects")
    listed = portal.client.get("/projects").get_data(as_text=True)
    assert portal.services.asked["/v1/projects"]["state"] == "township_approved" and "乡镇已审核" in listed
    shown = portal.client.get(f"/projects/{PID}").get_data(as_text=True)
    no_amount = portal.client.post(f"/projects/{PID}/funding", data={"csrf_token": _csrf(shown), "decision": "funded",
                                                                    "reason": "纳入年度资金"})
    assert no_amount.status_code == 422 and _errors(no_amount) == {"amount_yuan": "同意拨款须填写金额"}
    funded = portal.client.post(f"/projects/{PID}/funding", data={"csrf_token": _csrf(shown), "decision": "funded",
                                                                 "amount_yuan": "45000", "reason": "纳入年度资金"})
    assert funded.status_code == 302
    assert portal.services.posts[-1][2:4] == (f"/v1/projects/{PID}/funding",
                                              {"decision": "funded", "amount_yuan": 45000, "reason": "纳入年度资金"})
    assert "projects:fund" in portal.services.posts[-1][0].scopes
    other = portal.app.test_client()
    portal.account("hotline1", "call_taker")
    portal.sign_in("hotline1", client=other)
    assert other.get("/projects").status_code == 403
    town = portal.app.test_client()
    portal.account("town", "township_staff", grid_id=TOWNSHIP)
    portal.sign_in("town", client=town)
    csrf = _csrf(town.get(f"/projects/{PID}").get_data(as_text=True))
    assert town.post(f"/projects/{PID}/funding", data={"csrf_token": csrf, "decision": "funded",
                                                       "amount_yuan": "1", "reason": "越权"}).status_code == 403
