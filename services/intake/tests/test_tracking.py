"""Status for residents: the read model from cases.v1, the public rate-limited API and the Chinese page."""

from wangge_common.browser import missing_glyphs
from wangge_common.testing import browser_page, live_server

from intake_testkit import ID_NUMBER, PHONE, case_body, lifecycle


def register(svc, **changes):
    response = svc.client.post("/v1/cases", json=case_body(**changes), headers=svc.headers())
    assert response.status_code == 201
    return response.json


def steps(body):
    return {s["step"]: s["reached_at"] for s in body["steps"]}


def test_the_resident_sees_each_step_as_routing_reports_it(gsvc):
    case = register(gsvc)
    code = case["tracking_code"]
    first = gsvc.client.get(f"/v1/track/{code}")
    assert first.status_code == 200 and first.json["step"] == "received" and first.json["step_label"] == "已受理"
    for event_type, at in (("case.assigned", "2026-11-21T01:00:00Z"), ("case.answered", "2026-11-22T01:00:00Z"),
                           ("case.evaluated", "2026-11-23T01:00:00Z")):
        assert gsvc.deliver(lifecycle(case["id"], event_type, time=at), "cases.v1") == "processed"
    body = gsvc.client.get(f"/v1/track/{code.lower()}").json
    assert body["step"] == "evaluated"
    reached = steps(body)
    assert reached["assigned"].startswith("2026-11-21") and reached["answered"].startswith("2026-11-22")
    assert reached["evaluated"].startswith("2026-11-23") and reached["closed"] is None
    text = gsvc.client.get(f"/v1/track/{code}").get_data(as_text=True)
    for secret in (PHONE, ID_NUMBER, "王秀英", case["content"], case["id"]):
        assert secret not in text


def test_a_reopened_case_goes_back_to_assigned_and_redelivery_changes_nothing(gsvc):
    case = register(gsvc)
    answered = lifecycle(case["id"], "case.answered", time="2026-11-22T01:00:00Z")
    gsvc.deliver(lifecycle(case["id"], "case.assigned", time="2026-11-21T01:00:00Z"), "cases.v1")
    gsvc.deliver(answered, "cases.v1")
    gsvc.deliver(lifecycle(case["id"], "case.reopened", time="2026-11-24T01:00:00Z"), "cases.v1")
    assert gsvc.deliver(answered, "cases.v1") == "duplicate"
    body = gsvc.client.get(f"/v1/track/{case['tracking_code']}").json
    # the real history: the earlier answer stays answered; 发回重办 is a step of its own, and a new answer is ahead
    assert [(s["label"], (s["reached_at"] or "")[:10]) for s in body["steps"]] == [
        ("已受理", body["received_at"][:10]), ("已交办", "2026-11-21"), ("已答复", "2026-11-22"),
        ("发回重办", "2026-11-24"), ("已答复", ""), ("已评价", ""), ("已办结", "")]
    assert body["step"] == "assigned" and [s["current"] for s in body["steps"]].index(True) == 3
    history = gsvc.client.get(f"/v1/cases/{case['id']}/history", headers=gsvc.headers("reader")).json
    assert [h["state"] for h in history] == ["registered", "assigned", "answered", "reopened"]
    assert history[-1]["actor"] == "user:routing-clerk"


def test_an_escalated_case_keeps_its_answer_and_rating_on_the_tracking_page(gsvc):
    """Issue 17, item 11: after 已答复 and 已评价 an escalation (unsatisfied again at the reopen limit) showed those
    steps as 待办理 again; the resident's view follows the case's real history."""
    case = register(gsvc)
    code = case["tracking_code"]
    for event_type, at, state in (("case.assigned", "2026-11-21T01:00:00Z", "assigned"),
                                  ("case.answered", "2026-11-22T01:00:00Z", "answered"),
                                  ("case.replied", "2026-11-22T03:00:00Z", "resolved"),
                                  ("case.evaluated", "2026-11-23T01:00:00Z", "evaluated"),
                                  ("case.escalated", "2026-11-23T01:00:01Z", "escalated")):
        gsvc.deliver(lifecycle(case["id"], event_type, time=at, state=state), "cases.v1")
    body = gsvc.client.get(f"/v1/track/{code}").json
    shown = [(s["label"], (s["reached_at"] or "待办理")[:10], s["current"]) for s in body["steps"]]
    assert shown[1:] == [("已交办", "2026-11-21", False), ("已答复", "2026-11-22", False),
                         ("已评价", "2026-11-23", False), ("已督办", "2026-11-23", True),
                         ("已答复", "待办理", False), ("已评价", "待办理", False), ("已办结", "待办理", False)]
    assert body["step_label"] == "已督办"  # the header says where the case really is
    html = gsvc.client.get(f"/track/{code}").get_data(as_text=True)
    done = html.split('class="current"')[0]
    assert "已答复" in done and "已评价" in done and "待办理" not in done  # nothing reached shows as waiting
    assert html.count('class="current"') == 1
    # the supervising body closes it: closed, nothing left ahead
    gsvc.deliver(lifecycle(case["id"], "case.closed", time="2026-11-30T01:00:00Z", state="closed"), "cases.v1")
    body = gsvc.client.get(f"/v1/track/{code}").json
    assert body["steps"][-1]["label"] == "已办结" and body["steps"][-1]["current"]
    assert all(s["reached_at"] for s in body["steps"])


def test_a_late_event_does_not_move_the_state_back(gsvc):
    case = register(gsvc)
    gsvc.deliver(lifecycle(case["id"], "case.closed", time="2026-11-25T01:00:00Z"), "cases.v1")
    gsvc.deliver(lifecycle(case["id"], "case.answered", time="2026-11-22T01:00:00Z"), "cases.v1")
    assert gsvc.client.get(f"/v1/track/{case['tracking_code']}").json["step"] == "closed"


def test_events_of_other_cases_and_of_intake_itself_are_ignored(gsvc):
    assert gsvc.deliver(lifecycle("5a1e0000-0000-4000-8000-0000000000aa", "case.assigned"), "cases.v1") == "processed"
    case = register(gsvc)
    registered = gsvc.outbox()[-1]
    assert gsvc.deliver(registered, "cases.v1") == "processed"
    assert len(gsvc.client.get(f"/v1/cases/{case['id']}/history", headers=gsvc.headers("reader")).json) == 1


def test_an_unknown_code_is_a_404_problem(gsvc):
    response = gsvc.client.get("/v1/track/WGNOSUCH00")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_lookups_are_rate_limited_per_client_address(gsvc):
    from intake.app import TRACK_LOOKUPS_PER_MINUTE as limit

    code = register(gsvc)["tracking_code"]
    answers = [gsvc.client.get(f"/v1/track/{code}", environ_base={"REMOTE_ADDR": "10.0.0.1"})
               for _ in range(limit + 1)]
    assert [a.status_code for a in answers[:limit]] == [200] * limit and answers[-1].status_code == 429
    assert answers[0].headers["RateLimit-Limit"] == str(limit)
    assert answers[0].headers["RateLimit-Remaining"] == str(limit - 1)
    assert answers[limit - 1].headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(answers[0].headers["RateLimit-Reset"]) <= 60
    refused = gsvc.client.get(f"/v1/track/{code}", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert refused.mimetype == "application/problem+json" and refused.json["status"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert gsvc.client.get(f"/v1/track/{code}", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200
    page = gsvc.client.get(f"/track/{code}", environ_base={"REMOTE_ADDR": "10.0.0.1"})  # the page shares the budget
    assert page.status_code == 429 and page.mimetype == "text/html" and "查询过于频繁" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) >= 1



def test_the_page_shows_the_steps_in_chinese_without_personal_data(gsvc):
    case = register(gsvc, topic="road")
    gsvc.deliver(lifecycle(case["id"], "case.assigned"), "cases.v1")
    page = gsvc.client.get(f"/track/{case['tracking_code']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="zh-CN"' in html and "已交办" in html and "求决" in html
    assert "道路交通" in html and "road" not in html  # the topic by its Chinese label, never its code
    for secret in (PHONE, "王秀英", case["content"]):
        assert secret not in html
    missing = gsvc.client.get("/track/WGNOSUCH00")
    assert missing.status_code == 404 and "未找到" in missing.get_data(as_text=True)
    assert gsvc.client.get("/track?code=abc").status_code == 302


def test_the_tracking_page_renders_in_a_real_browser(gsvc):
    case = register(gsvc)
    gsvc.deliver(lifecycle(case["id"], "case.assigned"), "cases.v1")
    with live_server(gsvc.app) as url, browser_page() as page:
        page.goto(url + "/track")
        page.fill("input[name=code]", case["tracking_code"])
        page.click("button[type=submit]")
        page.wait_for_selector("ol.steps")
        assert page.title().startswith("办理进度")
        assert page.inner_text("li.current").startswith("已交办") or "已交办" in page.inner_text("li.current")
        assert missing_glyphs(page) == []
        assert "http" not in (page.evaluate("Array.from(document.querySelectorAll('link,script,img'))"
                                            ".map(e => e.src || e.href).join(' ')") or "")


def test_tracking_codes_use_every_symbol_of_the_alphabet_alike():
    from collections import Counter

    from intake import domain

    codes = [domain.new_tracking_code() for _ in range(6000)]
    assert all(len(c) == 10 and c.startswith("WG") and set(c[2:]) <= set(domain.TRACKING_ALPHABET) for c in codes)
    seen = Counter("".join(c[2:] for c in codes))
    expected = 6000 * 8 / len(domain.TRACKING_ALPHABET)
    assert set(seen) == set(domain.TRACKING_ALPHABET)
    assert all(abs(n - expected) < 0.2 * expected for n in seen.values())  # about 8 standard deviations


def test_an_escalated_cases_timeline_reads_on_a_phone_and_a_desk(gsvc, tmp_path):
    import os

    case = register(gsvc)
    for event_type, at, state in (("case.assigned", "2026-11-21T01:00:00Z", "assigned"),
                                  ("case.answered", "2026-11-22T01:00:00Z", "answered"),
                                  ("case.evaluated", "2026-11-23T01:00:00Z", "evaluated"),
                                  ("case.escalated", "2026-11-23T02:00:00Z", "escalated")):
        gsvc.deliver(lifecycle(case["id"], event_type, time=at, state=state), "cases.v1")
    with live_server(gsvc.app) as url:
        for width in (390, 1280):
            with browser_page({"width": width, "height": 800}) as page:
                page.goto(f"{url}/track/{case['tracking_code']}")
                assert page.inner_text("li.current").startswith("已督办")
                done = page.locator("li.done").all_inner_texts()
                assert [t.split()[0] for t in done][:4] == ["已受理", "已交办", "已答复", "已评价"]
                assert all("待办理" not in t for t in done)
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                page.screenshot(path=str(tmp_path / f"track-{width}.png"), full_page=True)
                if os.environ.get("WANGGE_SCREENSHOTS"):
                    page.screenshot(path=f"{os.environ['WANGGE_SCREENSHOTS']}/track-{width}.png", full_page=True)


def _dispatched(case_id, name="镇村镇建设办", order_id="77770000-0000-4000-8000-000000000001", **changes):
    from wangge_common import contracts
    from wangge_common.testing import event

    data = {**contracts.registry()[("work_order.dispatched", 2)].schema["examples"][0], "case_id": case_id,
            "work_order_id": order_id, "department": {"code": "town-x", "name": name}, **changes}
    return event("work_order.dispatched", case_id, data, source="/wangge/routing", time="2026-11-21T01:00:00Z",
                 version=2)


def test_the_tracking_page_shows_the_department_then_the_answer(gsvc):
    case = register(gsvc, topic="road")
    code = case["tracking_code"]
    gsvc.deliver(lifecycle(case["id"], "case.assigned", time="2026-11-21T01:00:00Z"), "cases.v1")
    gsvc.deliver(_dispatched(case["id"]), "cases.v1")
    html = gsvc.client.get(f"/track/{code}").get_data(as_text=True)
    assert "承办单位" in html and "镇村镇建设办" in html and "办理答复" not in html
    assert gsvc.client.get(f"/v1/track/{code}").json["department"] == "镇村镇建设办"
    answer = "已于11月22日更换村口路灯灯泡，经检查线路正常，夜间照明已恢复。"
    gsvc.deliver(lifecycle(case["id"], "case.answered", time="2026-11-22T01:00:00Z", summary=answer,
                           department={"code": "town-x", "name": "镇村镇建设办"}), "cases.v1")
    html = gsvc.client.get(f"/track/{code}").get_data(as_text=True)
    assert "答复单位" in html and "镇村镇建设办" in html and answer in html and "道路交通" in html
    body = gsvc.client.get(f"/v1/track/{code}").json
    assert body["answer"] == answer and body["department"] == "镇村镇建设办"
    for secret in (PHONE, "王秀英", case["content"]):
        assert secret not in html
    # reopened: the old answer no longer stands; the page shows who handles it now
    gsvc.deliver(lifecycle(case["id"], "case.reopened", time="2026-11-24T01:00:00Z"), "cases.v1")
    reopened = gsvc.client.get(f"/v1/track/{code}").json
    assert reopened["answer"] is None and reopened["department"] == "镇村镇建设办"


def test_an_answer_on_the_spot_names_the_deputy_not_a_department(gsvc):
    case = register(gsvc)
    gsvc.deliver(lifecycle(case["id"], "case.answered", time="2026-11-22T01:00:00Z", summary="已现场解释政策。",
                           department=None, on_the_spot=True), "cases.v1")
    body = gsvc.client.get(f"/v1/track/{case['tracking_code']}").json
    assert body["department"] == "人大代表现场解答" and body["answer"] == "已现场解释政策。"
