"""The public board (reception schedules, publicised results) and the resident's rating page, in a real browser."""
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from flask import Flask, jsonify, request

from notifyfakes import D1, D2, DAYTIME, G1, case_event, configure, registered
from notify.jobs import remind_receptions
from wangge_common import contracts
from wangge_common.browser import missing_glyphs
from wangge_common.crypto import FieldCipher
from wangge_common.db import utcnow
from wangge_common.testing import browser_page, event, live_server

STATION = "57a00000-0000-4000-8000-000000000001"


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def reception(starts_at, *, event_type="reception.scheduled", reception_id=None, status="scheduled", reason=None,
              deputies=(D1, D2), published=None):
    data = {"reception_id": reception_id or str(uuid.uuid4()), "grid_id": G1, "station_id": STATION,
            "place": "韶山村代表联络站", "starts_at": iso(starts_at), "ends_at": iso(starts_at + timedelta(hours=2)),
            "deputies": [{"deputy_id": d, "kind": "npc_deputy"} for d in deputies], "status": status,
            "reason": reason}
    made = event(event_type, data["reception_id"], data, source="/wangge/roster",
                 **({"time": iso(published)} if published else {}))
    contracts.validate(made)
    return made


def grid_created(svc):
    svc.deliver(event("grid.created", G1, {"grid_id": G1, "code": "SS-01", "name": "韶山村网格", "level": 3,
                                           "parent_id": None, "kind": "rural_village", "households": 300,
                                           "population": 1000, "difficulty": 2, "leader": None}), "roster.v1")


def close_case(svc):
    case = registered()
    svc.deliver(case, "cases.v1")
    svc.deliver(case_event(case, "case.answered", state="answered", previous_state="in_progress", on_the_spot=False,
                           department={"code": "town-construction", "name": "镇村镇建设办"},
                           summary="已更换村口路灯。", on_time=True), "cases.v1")
    svc.deliver(case_event(case, "case.closed", state="closed", previous_state="evaluated", outcome="satisfied",
                           on_time=True, reopen_count=0, registered_at=case.data["received_at"]), "cases.v1")
    return case


def test_the_board_shows_schedules_and_results_as_json_rss_and_html(svc):
    grid_created(svc)
    soon = utcnow().replace(microsecond=0) + timedelta(days=5)
    first = reception(soon)
    svc.deliver(first, "roster.v1")
    svc.deliver(reception(soon + timedelta(days=1), status="scheduled"), "roster.v1")
    moved = reception(soon + timedelta(hours=1), event_type="reception.changed", reception_id=first.subject,
                      status="changed", reason="与村民大会时间冲突，顺延一小时")
    svc.deliver(moved, "roster.v1")
    svc.deliver(reception(soon, reception_id=first.subject, published=utcnow() - timedelta(days=1)), "roster.v1")
    svc.deliver(reception(utcnow() + timedelta(days=1)), "roster.v1")  # less than three days' notice
    close_case(svc)

    board = svc.client.get(f"/v1/board/grids/{G1}")  # public: no key
    assert board.status_code == 200
    assert board.json["name"] == "韶山村网格"
    receptions = board.json["receptions"]
    assert [r["short_notice"] for r in receptions] == [True, False, False]
    assert receptions[1]["status"] == "changed" and receptions[1]["reason"].startswith("与村民大会")
    (result,) = board.json["results"]
    assert result["summary"] == "已更换村口路灯。" and result["outcome"] == "satisfied"
    assert "reporter_ref" not in result and "content" not in result
    assert svc.client.get(f"/v1/board/stations/{STATION}").json["receptions"] == receptions
    assert svc.client.get(f"/v1/board/grids/{uuid.uuid4()}").status_code == 404
    unknown = svc.client.get(f"/board/grids/{uuid.uuid4()}")
    assert unknown.status_code == 404 and "未找到该公示栏" in unknown.get_data(as_text=True)

    rss = svc.client.get(f"/board/grids/{G1}.rss")
    assert rss.mimetype == "application/rss+xml"
    titles = [item.findtext("title") for item in ET.fromstring(rss.data).iter("item")]
    assert len(titles) == 4 and any("时间地点有调整" in t for t in titles)

    page = svc.client.get(f"/board/grids/{G1}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="zh-CN"' in html and "韶山村网格" in html and "临时安排" in html


def station_event(event_type="station.created", grid_ids=(G1,), name="韶山村代表联络站"):
    made = event(event_type, STATION, {"station_id": STATION, "name": name, "tier": "area",
                                       "address": "韶山村村部二楼", "opening_hours": None, "grid_ids": list(grid_ids)},
                 source="/wangge/roster")
    contracts.validate(made)
    return made


def test_a_station_board_names_the_station_and_shows_its_grids_results(svc):
    assert svc.client.get(f"/v1/board/stations/{STATION}").status_code == 404  # nothing known yet
    svc.deliver(station_event(grid_ids=()), "roster.v1")
    empty = svc.client.get(f"/v1/board/stations/{STATION}")
    assert empty.status_code == 200 and empty.json["receptions"] == [] and empty.json["results"] == []
    svc.deliver(station_event("station.updated", name="韶山村人大代表联络站"), "roster.v1")
    close_case(svc)  # in G1, served by the station, with no reception day coming up
    board = svc.client.get(f"/v1/board/stations/{STATION}").json
    assert board["name"] == "韶山村人大代表联络站" and board["address"] == "韶山村村部二楼"
    assert [r["summary"] for r in board["results"]] == ["已更换村口路灯。"]
    html = svc.client.get(f"/board/stations/{STATION}").get_data(as_text=True)
    assert "韶山村人大代表联络站 · 人大代表进网格公示栏" in html and "地址：韶山村村部二楼" in html
    assert svc.client.get(f"/v1/board/grids/{G1}").json["address"] is None


def test_the_board_renders_in_chinese_in_a_real_browser(svc):
    grid_created(svc)
    svc.deliver(reception(utcnow() + timedelta(days=4)), "roster.v1")
    close_case(svc)
    with live_server(svc.app) as url, browser_page() as page:
        page.goto(f"{url}/board/grids/{G1}")
        assert page.locator("h1").inner_text().startswith("韶山村网格")
        assert page.locator("table").count() == 2
        assert missing_glyphs(page) == []


def test_deputies_on_duty_hear_the_day_before(world):
    svc = world.svc
    tomorrow_morning = DAYTIME + timedelta(hours=23)  # 09:00 in Beijing, the day after DAYTIME
    svc.deliver(reception(tomorrow_morning), "roster.v1")
    svc.deliver(reception(tomorrow_morning + timedelta(days=1)), "roster.v1")  # the day after: not yet
    svc.deliver(reception(tomorrow_morning, status="cancelled", deputies=(D2,)), "roster.v1")
    today = DAYTIME + timedelta(hours=4)  # 14:00 in Beijing
    assert remind_receptions(svc.runtime, today) == 4  # D1 and D2, inbox and SMS
    assert remind_receptions(svc.runtime, today + timedelta(hours=1)) == 0  # a rerun makes nothing twice
    inbox = world.deliveries(audience="deputy", channel="inbox")
    assert {d["recipient_ref"] for d in inbox} == {D1, D2}
    assert inbox[0]["body"] == "代表您好：明天09:00至11:00在韶山村代表联络站举行接待日活动，请按时到岗。"
    world.send(today)
    assert {m["to"] for m in world.sms()} == {"13900000001", "13900000002"}


def test_a_reminder_found_after_midnight_rings_no_phone_before_the_morning(world):
    svc = world.svc
    just_after_midnight = DAYTIME + timedelta(hours=14, minutes=30)  # 00:30 in Beijing
    reception_day = just_after_midnight + timedelta(days=1, hours=9)  # 09:30 the next day
    svc.deliver(reception(reception_day), "roster.v1")
    assert remind_receptions(svc.runtime, just_after_midnight) == 4
    assert {d["state"] for d in world.deliveries(audience="deputy", channel="inbox")} == {"sent"}
    held = world.deliveries(audience="deputy", channel="sms")
    assert {(d["state"], d["held_reason"]) for d in held} == {("pending", "quiet_hours")}
    morning = DAYTIME + timedelta(hours=22)  # 08:00 in Beijing, the end of quiet hours
    assert {datetime.fromisoformat(d["next_attempt_at"]) for d in held} == {morning}
    assert world.send(just_after_midnight + timedelta(minutes=5)) == 0 and world.sms() == []
    assert world.send(morning) == 2
    assert {(d["state"], d["held_reason"]) for d in world.deliveries(audience="deputy", channel="sms")} == {
        ("sent", None)}


# --- rating -------------------------------------------------------------------------------------------------------
def fake_routing(answers: dict) -> Flask:
    """routing's public evaluation endpoints: GET answers with the case summary, POST records the rating once."""
    app = Flask("fake_routing")
    app.config["ratings"] = []

    @app.get("/v1/evaluations/<token>")
    def show(token):
        if token not in answers:
            return jsonify(title="Not Found"), 404
        return jsonify(answers[token])

    @app.post("/v1/evaluations/<token>")
    def rate(token):
        if token not in answers:
            return jsonify(title="Not Found"), 404
        if any(t == token for t, _ in app.config["ratings"]):
            return jsonify(title="Conflict"), 409
        app.config["ratings"].append((token, request.get_json()))
        return jsonify(status="recorded"), 201

    return app


def use_routing(svc, url):
    configure(svc, service_urls={**svc.runtime.settings.service_urls, "routing": url})


def test_the_please_rate_message_links_to_the_rating_page(world):
    svc = world.svc
    case = registered()
    svc.deliver(case, "cases.v1")
    token = "tok_" + uuid.uuid4().hex
    svc.deliver(case_event(case, "case.evaluation_requested", state="resolved", previous_state="resolved", round=1,
                           token_encrypted=FieldCipher(svc.settings.pii_key).encrypt(token),
                           expires_at="2026-12-07T09:00:00Z"), "cases.v1")
    (inbox,) = world.deliveries(event_type="case.evaluation_requested", channel="inbox")
    assert f"https://wangge.example.cn/rate/{token}" in inbox["body"] and "2026年12月7日 17:00前有效" in inbox["body"]
    assert len(world.deliveries(event_type="case.evaluation_requested", channel="sms")) == 1


def test_the_rating_page_forwards_the_choice_to_routing(svc):
    token = "tok_" + uuid.uuid4().hex
    # what routing's GET /v1/evaluations/{token} answers (EvaluationOut)
    answer = {"tracking_code": "WG7K3M9Q2P", "category": "request", "topic": "road", "answered_by": "镇村镇建设办",
              "answer_summary": "路灯已修复。", "open": True, "status": "open"}
    routing = fake_routing({token: answer, "tok_closed_000": {"open": False}})
    with live_server(routing) as routing_url:
        use_routing(svc, routing_url)
        page = svc.client.get(f"/rate/{token}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "满意" in html and "基本满意" in html and "不满意" in html
        assert "WG7K3M9Q2P" in html
        # the resident sees what is being rated: the answer, who gave it, the matter by its Chinese label
        assert "路灯已修复。" in html and "镇村镇建设办" in html and "求决（道路交通）" in html and "road" not in html
        bad = svc.client.post(f"/rate/{token}", data={"rating": "great"})
        assert bad.status_code == 422 and "请选择" in bad.get_data(as_text=True)
        done = svc.client.post(f"/rate/{token}", data={"rating": "basically_satisfied", "comment": "修得及时"})
        assert done.status_code == 200 and "评价已提交：基本满意" in done.get_data(as_text=True)
        assert routing.config["ratings"] == [(token, {"rating": "basically_satisfied", "comment": "修得及时"})]
        again = svc.client.post(f"/rate/{token}", data={"rating": "satisfied"})
        assert again.status_code == 409 and "已经评价过" in again.get_data(as_text=True)
        assert svc.client.get("/rate/tok_closed_000").status_code == 410
        assert svc.client.get("/rate/tok_unknown_00").status_code == 404
        assert svc.client.get("/rate/x").status_code == 404  # not a token at all: routing is not asked
    use_routing(svc, "http://127.0.0.1:9")  # routing down: the resident is asked to try later, choice kept
    down = svc.client.post(f"/rate/{token}", data={"rating": "satisfied", "comment": "好"})
    assert down.status_code == 503 and "请稍后再试" in down.get_data(as_text=True)


def test_the_rating_page_renders_in_chinese_in_a_real_browser(svc):
    token = "tok_" + uuid.uuid4().hex
    routing = fake_routing({token: {"tracking_code": "WG7K3M9Q2P", "answer_summary": "路灯已修复。", "open": True}})
    with live_server(routing) as routing_url, live_server(svc.app) as url, browser_page() as page:
        use_routing(svc, routing_url)
        page.goto(f"{url}/rate/{token}")
        assert missing_glyphs(page) == []
        page.get_by_label("满意", exact=True).check()
        page.fill("#comment", "路灯亮了，谢谢代表。")
        page.get_by_role("button", name="提交评价").click()
        page.wait_for_load_state()
        assert "评价已提交：满意" in page.content()
        assert missing_glyphs(page) == []
    assert routing.config["ratings"] == [(token, {"rating": "satisfied", "comment": "路灯亮了，谢谢代表。"})]


def test_a_grids_board_shows_the_days_of_the_station_serving_it_as_the_notice_does(svc):
    """The notice listed four reception days while the board said 近期暂无接待日安排: the days are held at the
    village's station, for the village grid, and the board of a group grid under it looked only at itself."""
    village, group = str(uuid.uuid4()), str(uuid.uuid4())
    for grid_id, code, name, level, parent in ((village, "SS-01", "韶山村", 2, None),
                                               (group, "SS-01-03", "第三村民小组", 3, village)):
        svc.deliver(event("grid.created", grid_id, {"grid_id": grid_id, "code": code, "name": name, "level": level,
                                                    "parent_id": parent, "kind": "rural_village", "households": 60,
                                                    "population": 200, "difficulty": 2, "leader": None}), "roster.v1")
    svc.deliver(station_event(grid_ids=(village,)), "roster.v1")
    soon = utcnow().replace(microsecond=0) + timedelta(days=5)
    held = reception(soon)
    held.data["grid_id"] = village
    svc.deliver(held, "roster.v1")
    board = svc.client.get(f"/v1/board/grids/{group}").json
    assert [r["id"] for r in board["receptions"]] == [held.subject]
    html = svc.client.get(f"/board/grids/{group}").get_data(as_text=True)
    assert "近期暂无接待日安排" not in html
    elsewhere = str(uuid.uuid4())  # a grid no station serves shows only its own days
    svc.deliver(event("grid.created", elsewhere, {"grid_id": elsewhere, "code": "QX-01", "name": "清溪村", "level": 2,
                                                  "parent_id": None, "kind": "rural_village", "households": 60,
                                                  "population": 200, "difficulty": 2, "leader": None}), "roster.v1")
    assert svc.client.get(f"/v1/board/grids/{elsewhere}").json["receptions"] == []


def test_too_many_rating_submissions_from_one_address_get_a_chinese_page(svc):
    client = svc.another_app(ratelimits={"RATING": "2/minute"}).test_client()
    answers = [client.post("/rate/abcdefgh12345678", data={"rating": "nonsense"},
                           environ_base={"REMOTE_ADDR": "203.0.113.20"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [422, 422, 429]
    page = answers[2].get_data(as_text=True)
    assert answers[2].mimetype == "text/html" and "提交过于频繁" in page and int(answers[2].headers["Retry-After"]) >= 1
    other = client.post("/rate/abcdefgh12345678", data={"rating": "nonsense"},
                        environ_base={"REMOTE_ADDR": "203.0.113.21"})
    assert other.status_code == 422
