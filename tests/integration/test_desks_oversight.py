"""The oversight desks on the real stack, in Chromium: the supervisor (人大常委会) follows a figure down to the cases
behind it and cannot write; the auditor verifies the log, finds a case's events with the people named, fetches
proofs and downloads the export; a deputy reads 我的履职. Failure paths are shown in Chinese."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import uuid

import pytest
import requests

from reporting import merkle
from stackhelpers import case_body, eventually
from test_portal import _account, _shot, _sign_in
from wangge_common.browser import missing_glyphs
from wangge_common.testing import browser_page

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def town(stack, api):
    """A township with one group served by a deputy, two cases in it (one order under 督办) and the accounts."""
    roster, intake, routing, suffix = stack.url("roster"), stack.url("intake"), stack.url("routing"), uuid.uuid4().hex[:6]

    def create(url, body):
        response = api.post(url, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    township = create(roster + "/v1/grids", {"code": f"OV-{suffix}", "name": f"督查乡{suffix}", "level": 1,
                                             "kind": "rural_village"})
    village = create(roster + "/v1/grids", {"code": f"OV-{suffix}-01", "name": "督查村", "level": 2,
                                            "kind": "rural_village", "parent_id": township["id"]})
    group = create(roster + "/v1/grids", {"code": f"OV-{suffix}-01-01", "name": "督查村第一组", "level": 3,
                                          "kind": "rural_village", "parent_id": village["id"], "households": 300})
    deputy = create(roster + "/v1/deputies", {"name": "司马青", "gender": "female", "level": "township",
                                              "mobile": f"138{uuid.uuid4().int % 10**8:08d}", "home_grid_id": group["id"]})
    plan = create(roster + "/v1/assignment-plans", {"scope_grid_id": township["id"]})
    create(roster + f"/v1/assignment-plans/{plan['id']}/approve", {})
    create(roster + f"/v1/assignment-plans/{plan['id']}/publish", {})

    def register():
        answer = api.post(intake + "/v1/cases", json=case_body(group["id"], content="督查村道路塌陷，车辆无法通行。"))
        return answer.json() if answer.status_code == 201 else None

    first = eventually(register, 60, "intake learns the new grids from roster.v1")
    second = register()

    def order_of(case):
        orders = api.get(routing + "/v1/work-orders", params={"case_id": case["id"]}).json()["items"]
        return orders[0] if orders else None

    order = eventually(lambda: order_of(first), 60, "routing dispatches the case")
    create(routing + f"/v1/work-orders/{order['id']}/supervise", {"step": "supervision", "reason": "群众多次来电反映"})

    def in_reporting():
        found = api.get(stack.url("reporting") + "/v1/kpis/misses", params={
            "kpi": "closure_rate", "dimension": "township", "key": township["id"], "page_size": 10}).json()
        return found if found["total"] == 2 else None

    eventually(in_reporting, 60, "reporting counts the township's two open cases")
    return {"township": township, "group": group, "deputy": deputy, "cases": [first, second], "order": order,
            "supervisor": _user(stack, f"sup{suffix}", "supervisor"), "auditor": _user(stack, f"aud{suffix}", "auditor"),
            "deputy_user": _user(stack, f"odep{suffix}", "deputy", deputy_id=deputy["id"]),
            "caller": _user(stack, f"oct{suffix}", "call_taker")}


def _user(stack, username, role, **binding) -> dict:
    return {"username": username, "id": _account(stack, username, role, **binding), "name": f"集成{username}"}


def _look(page, name):
    """Screenshots at a phone's and a desktop's width, and no character the fonts cannot draw."""
    assert missing_glyphs(page) == []
    for width, viewport in (("390", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(viewport)
        _shot(page, f"oversight-{name}-{width}")


def test_a_supervisor_follows_a_figure_down_to_its_cases(stack, town):
    base, codes = stack.url("portal"), {c["tracking_code"] for c in town["cases"]}
    with browser_page(DESKTOP) as page:
        _sign_in(page, base, town["supervisor"]["username"])
        assert page.url.endswith("/supervisor") and "指标看板" in page.content()
        _look(page, "supervisor-home")
        row = page.locator("tr", has_text=town["township"]["name"])
        with page.expect_navigation():
            row.locator("a[href*='kpi=closure_rate']").click()
        assert "未办结的诉求，共 2 件" in page.content()
        shown = set(page.locator("td a[href^='/desk/cases/']").all_inner_texts())
        assert shown == codes
        assert {page.locator(f"a:has-text('{c['tracking_code']}')").get_attribute("href") for c in town["cases"]} \
            == {f"/desk/cases/{c['id']}" for c in town["cases"]}
        _look(page, "supervisor-misses")
        page.set_viewport_size(DESKTOP)
        page.goto(base + "/supervisor/ladder")
        _look(page, "supervisor-ladder")
        row = page.locator("tr", has_text=town["township"]["name"])
        with page.expect_navigation():
            row.locator("a[data-step='supervision']").click()
        assert page.locator(f"a[href='/desk/orders/{town['order']['id']}']").count() == 1
        assert "督办" in page.content() and "镇人大主席团" in page.content()
        _look(page, "supervisor-ladder-orders")
        with page.expect_navigation():
            page.click(f"h2 a:has-text('督查村第一组')")
        assert "派驻代表" in page.content() and "司马青" in page.content() and "主要指标" in page.content()
        _look(page, "grid-page")
        with page.expect_navigation():
            page.click("a:has-text('司马青')")
        assert "首问负责的诉求" in page.content() and "年履职" in page.content()
        _look(page, "deputy-page")
        page.goto(base + "/supervisor/deputies")
        assert page.locator(f"a[href='/deputies/{town['deputy']['id']}']").count() >= 1
        _look(page, "supervisor-deputies")
        page.goto(base + "/supervisor/grids")
        assert "得分" in page.content()
        _look(page, "supervisor-grids")
        report = page.request.get(f"{base}/deputies/{town['deputy']['id']}/annual-report.docx")
        assert report.status == 200 and report.body()[:2] == b"PK"  # a Word document (a zip)


def test_a_supervisor_cannot_write_and_the_failure_pages_are_chinese(stack, town):
    base = stack.url("portal")
    with browser_page(DESKTOP) as page:
        _sign_in(page, base, town["supervisor"]["username"])
        for path in ("/supervisor", "/supervisor/ladder", f"/grids/{town['group']['id']}", "/supervisor/deputies"):
            page.goto(base + path)
            # no action anywhere: the only form that posts is signing out
            assert page.locator("form[method=post]").count() == 1, path
        page.goto(base + "/supervisor?period=2026-13")
        assert page.locator("#period-error").inner_text() == "请按“2026”或“2026-11”的格式填写统计期间"
        assert page.input_value("#period") == "2026-13"  # what was typed is kept
        response = page.goto(base + "/supervisor/misses?kpi=happiness")
        assert response.status == 422 and page.locator("#kpi-error").inner_text() == "请选择一项指标"
        response = page.goto(base + "/supervisor/misses?kpi=closure_rate&dimension=grid")
        assert response.status == 422 and "请选择要查看的网格" in page.content()
        response = page.goto(base + "/auditor")
        assert response.status == 403 and "无权访问" in page.content()
        _look(page, "supervisor-refused")
    token = _token_for(stack, town["supervisor"]["id"], "supervisor")
    bearer = {"Authorization": f"Bearer {token}"}
    refused = requests.post(stack.url("routing") + f"/v1/work-orders/{town['order']['id']}/supervise",
                            json={"step": "escalation", "reason": "常委会试图直接督办"}, headers=bearer, timeout=10)
    assert refused.status_code == 403 and refused.headers["Content-Type"].startswith("application/problem+json")
    registered = requests.post(stack.url("intake") + "/v1/cases", json=case_body(town["group"]["id"]),
                               headers=bearer, timeout=10)
    assert registered.status_code == 403
    assert requests.get(stack.url("routing") + "/v1/work-orders/ladder", headers=bearer, timeout=10).status_code == 200


def _token_for(stack, account_id: str, role: str) -> str:
    """An access token as the portal mints it for this account's role (its own settings, key and scopes)."""
    code = ("import sys; from portal.settings import PortalSettings; from portal.domain import ROLE_SCOPES;"
            "from wangge_common.tokens import TokenIssuer; s = PortalSettings.from_env();"
            "print(TokenIssuer(s.issuer, s.signing_key).mint(sys.argv[1], scopes=ROLE_SCOPES[sys.argv[2]]))")
    done = subprocess.run([sys.executable, "-c", code, account_id, role], env=stack.env_for("portal"),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def _call_in(page, base, town) -> str:
    """The call taker registers a call in the browser: its events carry the call taker as a person."""
    _sign_in(page, base, town["caller"]["username"])
    page.select_option("#grid_id", town["group"]["id"])
    page.select_option("#category", "complaint")
    page.select_option("#topic", "wages")
    page.fill("#content", "督查村工地拖欠工资两个月。")
    page.fill("#name", "赵四")
    page.fill("#phone", "13912345670")
    with page.expect_navigation():
        page.click("button:has-text('登记')")
    code = re.search(r"查询码 (WG[0-9A-Z]{8})", page.locator(".flash").inner_text()).group(1)
    page.context.clear_cookies()
    return code


def test_an_auditor_verifies_the_log_finds_a_case_with_its_people_and_fetches_proofs(stack, api, town):
    base = stack.url("portal")
    with browser_page(DESKTOP) as page:
        code = _call_in(page, base, town)
        case = api.get(stack.url("intake") + "/v1/cases", params={"tracking_code": code}).json()["items"][0]
        eventually(lambda: api.get(stack.url("reporting") + "/v1/audit/events",
                                   params={"subject": case["id"]}).json()["items"] or None, 60,
                   "reporting logs the call taker's case")
        _sign_in(page, base, town["auditor"]["username"])
        assert page.url.endswith("/auditor")
        _look(page, "auditor-home")
        page.set_viewport_size(DESKTOP)
        with page.expect_navigation():
            page.click("a:has-text('重算哈希链')")
        assert page.locator("#verdict").inner_text().startswith("校验通过")
        _look(page, "auditor-verify")
        page.goto(base + "/auditor")
        page.fill("#code", code.lower())
        with page.expect_navigation():
            page.click("button:has-text('查询')")
        registered = page.locator("tr", has_text="登记受理")
        assert town["caller"]["name"] in registered.locator("td.actor").inner_text()
        assert "热线话务员" in registered.inner_text() and f"person:{town['caller']['id']}" in registered.inner_text()
        _look(page, "auditor-events")
        page.set_viewport_size(DESKTOP)
        with page.expect_navigation():
            registered.locator("a:has-text('包含证明')").click()
        assert "审计路径" in page.content()
        _look(page, "auditor-inclusion")
        proof = json.loads(page.request.get(base + page.locator("#download-proof").get_attribute("href")).body())
        leaf = merkle.leaf_hash(base64.b64decode(proof["entry"]))
        assert merkle.verify_inclusion(proof["leaf_index"], proof["tree_size"], leaf,
                                       [bytes.fromhex(h) for h in proof["audit_path"]], bytes.fromhex(proof["root_hash"]))
        assert json.loads(base64.b64decode(proof["entry"]))[4] == proof["event_id"]
        page.goto(base + "/auditor/proofs/consistency?first=1")
        assert "是规模" in page.locator("#proof").inner_text()
        _look(page, "auditor-consistency")
        export = page.request.get(base + "/auditor/export")
        first = json.loads(export.body().split(b"\n", 1)[0])
        assert export.status == 200 and first["kind"] == "entry" and first["seq"] == 1
        # failure paths, in Chinese beside the field, with what was typed kept
        response = page.goto(base + "/auditor/proofs/inclusion?seq=abc")
        assert response.status == 422 and page.locator("#seq-error").inner_text() == "请填写正整数（日志序号从 1 开始）"
        assert page.input_value("#seq") == "abc"
        response = page.goto(base + "/auditor/proofs/inclusion?seq=999999999")
        assert response.status == 422 and page.locator("#seq-error").inner_text() == "日志中没有这条记录"
        response = page.goto(base + "/auditor/proofs/consistency?first=5&second=2")
        assert response.status == 422 and page.locator("#second-error").inner_text() == "后一个规模不能小于前一个"
        response = page.goto(base + "/auditor/events?code=WG00000000")
        assert response.status == 422 and page.locator("#code-error").inner_text() == "没有这个查询码的诉求"
        _look(page, "auditor-refused")
        assert page.goto(base + "/supervisor").status == 403


def test_a_deputy_reads_my_performance_from_the_home_page(stack, town):
    base = stack.url("portal")
    with browser_page(PHONE) as page:
        _sign_in(page, base, town["deputy_user"]["username"])
        with page.expect_navigation():
            page.click(".tiles a:has-text('我的履职')")
        assert "对照履职要求" in page.content() and "走访" in page.content()
        _look(page, "deputy-my-performance")
        assert page.goto(base + "/supervisor").status == 403
        # the township's page: roster's part is shown, the cases outside the deputy's grids are refused by routing
        page.goto(f"{base}/grids/{town['township']['id']}")
        assert "督查村" in page.content() and "诉求：不在您的查看范围内。" in page.content()
        with page.expect_navigation():
            page.click("a:has-text('督查村')")
        with page.expect_navigation():
            page.click("a:has-text('督查村第一组')")
        assert page.locator("a[href^='/desk/cases/']").count() >= 2  # their own group's cases
        # another deputy's report is not theirs to read
        other = str(uuid.uuid4())
        assert page.goto(f"{base}/deputies/{other}/annual-report").status == 403
