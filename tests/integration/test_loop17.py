"""Issue 17, items 3, 5 and 7 on the real stack (the same Stack `make run` starts, with its local SMS gateway and
SMTP sink): a county matter goes through the township congress, which forwards it and is told the answer; the
new-case and answer messages go to the first receiver only; every SMS and e-mail shows on the sink's page."""
from __future__ import annotations

import time
import uuid

import pytest
import requests
from ruamel.yaml import YAML

from stackhelpers import case_body, eventually, running_stack

REPORTER_PHONE = "13912340017"
PHONES = {"first": "13700001701", "other": "13700001702"}


@pytest.fixture(scope="module")
def sink_stack(tmp_path_factory):
    """A whole stack whose notify sends to the stack's own sink (nothing overrides WANGGE_NOTIFY_SMS_URL/SMTP)."""
    with running_stack(tmp_path_factory.mktemp("loop17"), web_workers=1, extra_env={
            "WANGGE_NOTIFY_QUIET_HOURS": "off", "WANGGE_NOTIFY_RETRY_BASE_S": "1", "WANGGE_NOTIFY_LEASE_S": "5"}) as running:
        yield running


@pytest.fixture(scope="module")
def demo(sink_stack):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sink_stack.demo_key}"
    return session


def _post(api, url, body=None, expect=(200, 201)):
    response = api.post(url, json=body or {})
    assert response.status_code in expect, response.text
    return response.json() if response.content else None


def _grid_with_two_deputies(stack, api) -> tuple[str, dict]:
    roster, suffix = stack.url("roster"), uuid.uuid4().hex[:6]
    town = _post(api, roster + "/v1/grids", {"code": f"LP-{suffix}", "name": "转办乡", "level": 1,
                                             "kind": "rural_village"})
    village = _post(api, roster + "/v1/grids", {"code": f"LP-{suffix}-01", "name": "转办村", "level": 2,
                                                "kind": "rural_village", "parent_id": town["id"]})
    group = _post(api, roster + "/v1/grids", {"code": f"LP-{suffix}-01-01", "name": "转办村第一组", "level": 3,
                                              "kind": "rural_village", "parent_id": village["id"], "households": 200})
    deputies = {role: _post(api, roster + "/v1/deputies", {
        "name": name, "gender": "female", "level": "township", "mobile": PHONES[role], "home_grid_id": group["id"]})
        for role, name in (("first", "李春兰"), ("other", "赵秋菊"))}
    plan = _post(api, roster + "/v1/assignment-plans", {"scope_grid_id": town["id"]})
    response = api.put(roster + f"/v1/assignment-plans/{plan['id']}/grids/{group['id']}",
                       json={"deputy_ids": [d["id"] for d in deputies.values()]})
    assert response.status_code == 200, response.text
    _post(api, roster + f"/v1/assignment-plans/{plan['id']}/approve")
    _post(api, roster + f"/v1/assignment-plans/{plan['id']}/publish")
    return group["id"], deputies


def _sink(stack) -> dict:
    time.sleep(0.4)  # eventually() polls every 0.1 s: the sink need not be asked that often
    return requests.get(stack.messages_url + "/api/messages", timeout=5).json()


def _sms_to(stack, phone, *words):
    return [m for m in _sink(stack)["sms"] if m["to"] == phone and all(w in m["text"] for w in words)]


def _mail_to(stack, address, *words):
    return [m for m in _sink(stack)["mail"] if address in m["to"] and all(w in m["subject"] + m["text"] for w in words)]


def test_a_county_matter_through_the_township_congress_with_messages_to_the_first_receiver(sink_stack, demo):
    stack, api = sink_stack, demo
    routing, notify = stack.url("routing"), stack.url("notify")
    grid, deputies = _grid_with_two_deputies(stack, api)
    _post(api, notify + "/v1/recipients", {"audience": "congress_staff", "name": "镇人大办",
                                           "email": "rd@town.example.cn"})
    _post(api, notify + "/v1/recipients", {"audience": "department", "department_code": "county-market-regulation",
                                           "name": "县市场监管局", "email": "scj@county.example.cn"})

    def register():
        answer = api.post(stack.url("intake") + "/v1/cases", json=case_body(
            grid, category="complaint", topic="food_safety", content="农贸市场有摊位售卖过期熟食。",
            reporter={"name": "王秀英", "phone": REPORTER_PHONE}))
        return answer.json() if answer.status_code == 201 else None  # None: intake has not learnt the grid yet

    def triaged(case):
        found = api.get(routing + f"/v1/cases/{case['id']}")
        return found.json() if found.status_code == 200 else None

    serving = {d["id"] for d in deputies.values()}
    for _ in range(10):  # routing learns the grid's deputies from roster.v1 on its own time: a case registered
        case = eventually(register, 120, "intake learns the grid", interval=1)  # before has no first receiver
        detail = eventually(lambda: triaged(case), 120, "routing triages the case", interval=0.5)
        if detail["first_receiver_deputy_id"] in serving:
            break
        time.sleep(3)
    else:
        pytest.fail("routing never learnt the grid's deputies")
    code, case_id = case["tracking_code"], case["id"]
    first = next(role for role, d in deputies.items() if d["id"] == detail["first_receiver_deputy_id"])
    other = "other" if first == "first" else "first"

    # item 3: the township congress receives the county matter first; the department cannot sign it yet
    (order,) = detail["work_orders"]
    assert order["department_code"] == "county-market-regulation" and order["awaiting_forward"] is True
    refused = api.post(routing + f"/v1/work-orders/{order['id']}/sign", json={})
    assert refused.status_code == 409 and "forward" in refused.json()["detail"]
    eventually(lambda: _mail_to(stack, "rd@town.example.cn", "县级事项待转办", code), 90,
               "the congress staff's mailbox gets the matter to forward (in the sink)")
    assert _mail_to(stack, "scj@county.example.cn", code) == []  # not the department before the forward

    # item 5: the new-case message goes to the first receiver only
    eventually(lambda: _sms_to(stack, PHONES[first], "新收", code), 90, "the first receiver's SMS (in the sink)")

    forwarded = _post(api, routing + f"/v1/work-orders/{order['id']}/forward",
                      {"reason": "已核实情况，转县市场监督管理局办理"})
    assert forwarded["forwarded_by"] == "apikey:demo" and forwarded["awaiting_forward"] is False
    eventually(lambda: _mail_to(stack, "scj@county.example.cn", "镇人大转办工单", code), 90,
               "the county department's mailbox gets the forwarded order")
    _post(api, routing + f"/v1/work-orders/{order['id']}/sign")
    _post(api, routing + f"/v1/work-orders/{order['id']}/answer", {"summary": "已立案调查，责令摊主下架整改。"})
    eventually(lambda: _mail_to(stack, "rd@town.example.cn", "县级部门已答复", "责令摊主下架整改", code), 90,
               "the township congress is told the county department's answer")
    eventually(lambda: _sms_to(stack, PHONES[first], "已由县市场监督管理局答复", code), 90,
               "the first receiver is told the answer to pass on")
    _post(api, routing + f"/v1/cases/{case_id}/replies", {"channel": "phone", "reason": "电话告知处理结果"})
    eventually(lambda: _sms_to(stack, REPORTER_PHONE, "责令摊主下架整改", code), 90,
               "the resident gets the answer with the first receiver's reply")
    assert [m for m in _sink(stack)["sms"] if m["to"] == PHONES[other] and code in m["text"]] == []

    # the forward is a step of its own in the case history and in the audit log, with actor and reason
    history = api.get(routing + f"/v1/cases/{case_id}").json()["history"]
    (step,) = [h for h in history if h["event_type"] == "work_order.forwarded"]
    assert step["actor"] == "apikey:demo" and step["reason"] == "已核实情况，转县市场监督管理局办理"
    eventually(lambda: [e for e in api.get(stack.url("reporting") + "/v1/audit/events",
                                           params={"subject": case_id, "type": "work_order.forwarded"}).json()["items"]
                        if e["event"]["actor"] == "apikey:demo"], 90, "the audit log keeps the forward")

    # item 7: the sink's page shows what was sent, in Chinese
    page = requests.get(stack.messages_url + "/", timeout=5)
    assert page.status_code == 200 and "本地短信与邮件" in page.text and code in page.text
    assert "rd@town.example.cn" in page.text and REPORTER_PHONE in page.text


def test_docker_compose_names_the_sms_and_smtp_settings_and_the_provider_choice():
    from pathlib import Path

    compose = YAML(typ="safe").load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    env = compose["services"]["notify"]["environment"]
    assert env["WANGGE_NOTIFY_SMS_PROVIDER"] == "${WANGGE_NOTIFY_SMS_PROVIDER:-gateway}"
    for name in ("WANGGE_NOTIFY_SMS_URL", "WANGGE_NOTIFY_SMS_SIGN_NAME", "WANGGE_NOTIFY_SMS_TEMPLATES",
                 "WANGGE_NOTIFY_ALIYUN_KEY_ID", "WANGGE_NOTIFY_TENCENT_KEY_ID", "WANGGE_NOTIFY_TENCENT_SDK_APP_ID",
                 "WANGGE_NOTIFY_SMTP_HOST", "WANGGE_NOTIFY_SMTP_PORT", "WANGGE_NOTIFY_SMTP_FROM"):
        assert name in env and env[name].startswith("${" + name)
    # secrets come from a mounted Docker secret, never the environment: one file for the chosen provider
    for name in ("WANGGE_NOTIFY_SMS_TOKEN_FILE", "WANGGE_NOTIFY_ALIYUN_KEY_SECRET_FILE",
                 "WANGGE_NOTIFY_TENCENT_KEY_SECRET_FILE"):
        assert env[name] == "/run/secrets/notify_sms_secret"
    assert "notify_sms_secret" in compose["services"]["notify"]["secrets"]
    assert "WANGGE_NOTIFY_ALIYUN_KEY_SECRET" not in env


def test_a_micro_livelihood_project_and_the_duty_record_on_the_real_stack(sink_stack, demo):
    """Issue 18, items 13 and 14: a deputy's project answers a resident's case from proposal to the resident's
    rating (the message with the link reaches the sink, the link's page forwards the rating), the grid's board
    shows it, and reporting counts it and the deputy's recorded inspections in 五个一."""
    import re
    from datetime import datetime, timedelta, timezone

    from stackhelpers import publish_group_grid, wait_until_routing_serves

    stack, api = sink_stack, demo
    roster, routing, notify, reporting = (stack.url(s) for s in ("roster", "routing", "notify", "reporting"))
    made = publish_group_grid(stack, api, code=f"MS-{uuid.uuid4().hex[:6]}", names=("微实事乡", "微实事村", "一组"),
                              deputy={"name": "周建华"})
    grid, deputy = made["group"]["id"], made["deputy"]["id"]
    wait_until_routing_serves(stack, api, grid, deputy)
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    case = _post(api, stack.url("intake") + "/v1/cases", case_body(
        grid, topic="lighting", content="一组组道没有路灯，晚上出行不安全。", reporter={"name": "陈桂香", "phone": phone}))
    eventually(lambda: api.get(routing + f"/v1/cases/{case['id']}").status_code == 200, 120, "routing has the case")

    project = _post(api, routing + "/v1/projects", {
        "grid_id": grid, "deputy_id": deputy, "title": "一组组道路灯安装", "description": "组道安装太阳能路灯 8 盏",
        "budget_yuan": 30000, "case_ids": [case["id"]]})
    pid = project["project_id"]
    _post(api, routing + f"/v1/projects/{pid}/review", {"decision": "approved", "reason": "群众反映集中"})
    _post(api, routing + f"/v1/projects/{pid}/funding", {"decision": "funded", "amount_yuan": 28000, "reason": "纳入资金"})
    _post(api, routing + f"/v1/projects/{pid}/progress", {"percent": 50, "note": "灯杆已立"})
    _post(api, routing + f"/v1/projects/{pid}/complete", {"result": "安装路灯 8 盏，已通电"})

    (sms,) = eventually(lambda: _sms_to(stack, phone, "民生微实事", "rate-project"), 90, "the reporter is told")
    link = re.search(r"https?://\S+/rate-project/[A-Za-z0-9_\-.]+", sms["text"]).group(0)
    token = link.rsplit("/", 1)[1]
    page = requests.get(notify + f"/rate-project/{token}", timeout=10)
    assert page.status_code == 200 and "安装路灯 8 盏，已通电" in page.text
    rated = requests.post(notify + f"/rate-project/{token}", data={"rating": "satisfied"}, timeout=10)
    assert rated.status_code == 200 and "评价已提交" in rated.text
    board = eventually(lambda: requests.get(notify + f"/v1/board/grids/{grid}", timeout=5).json().get("projects"),
                       60, "the board shows the project")
    assert board[0]["title"] == "一组组道路灯安装"

    today = datetime.now(timezone(timedelta(hours=8))).date()
    for kind in ("inspection", "survey"):
        _post(api, roster + f"/v1/deputies/{deputy}/duties", {"kind": kind, "occurred_on": str(today),
                                                              "title": "视察农村道路建设"})

    def counted():
        p = api.get(reporting + f"/v1/deputies/{deputy}/performance", params={"year": today.year}).json()
        done = p.get("projects_completed") == 1 and (p.get("five_ones") or {}).get("inspection") == 2
        return p if done else None

    performance = eventually(counted, 120, "reporting counts the project and the inspections")
    assert performance["five_ones"]["livelihood_matter_settled"] >= 1
    figures = eventually(lambda: (lambda f: f if f["ratings"] >= 1 else None)(
        api.get(reporting + "/v1/kpis/projects", params={"year": today.year}).json()), 60, "the project figures")
    assert figures["completed"] >= 1 and figures["funded_yuan"] >= 28000
