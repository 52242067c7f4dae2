"""The public notice (公示): JSON and a printable Chinese page, checked in headless Chromium."""
from datetime import date

from wangge_common.browser import missing_glyphs
from wangge_common.testing import browser_page, live_server

from .helpers import make_deputy, small_township


def posted_grid(svc):
    """A grid with a published plan, a station and a monthly reception schedule."""
    town, village, leaves = small_township(svc, groups=1)
    grid = leaves[0]
    svc.client.patch(f"/v1/grids/{grid}", json={"leader": "毛建国", "workers": ["李小芳", "周志强"]},
                     headers=svc.headers())
    masked = make_deputy(svc, "李红梅", home=grid, mobile="13812345678", position="韶山村党支部书记")
    office = make_deputy(svc, "赵志刚", level="county", home=grid, mobile="13900001111", position="县农业农村局局长",
                         office_phone="0731-55681234", phone_display="office", pledge="为民办实事，件件有回音。")
    plan = svc.client.post("/v1/assignment-plans", json={"scope_grid_id": town}, headers=svc.headers()).json
    svc.client.post(f"/v1/assignment-plans/{plan['id']}/approve", headers=svc.headers())
    svc.client.post(f"/v1/assignment-plans/{plan['id']}/publish", headers=svc.headers())
    svc.client.post("/v1/stations", json={"name": "清溪镇人大代表联络站", "tier": "township", "address": "清溪镇政府一楼",
                                          "opening_hours": "周一至周五 8:30-17:30", "phone": "0731-55670000",
                                          "grid_ids": [town]},
                    headers=svc.headers())
    schedule = svc.client.post("/v1/reception-schedules", json={
        "grid_id": grid, "pattern": "monthly", "month_days": [10, 25], "start_time": "09:00", "end_time": "11:00",
        "rota": [[masked, office]], "weeks": 8}, headers=svc.headers())
    assert schedule.status_code == 201
    return grid, masked, office


def test_the_notice_is_public_json_with_each_deputys_chosen_number(svc):
    grid, masked, office = posted_grid(svc)
    response = svc.client.get(f"/v1/grids/{grid}/notice?format=json")  # no key: it is posted in public
    assert response.status_code == 200
    body = response.json
    # a deputy's own office number when they agreed to publish it, else the station's: never a (masked) mobile
    phones = {d["name"]: (d["phone"], d["phone_source"]) for d in body["deputies"]}
    assert phones == {"李红梅": ("0731-55670000", "station"), "赵志刚": ("0731-55681234", "office")}
    assert "****" not in response.data.decode()
    assert body["supervision_phone"] == "0731-55670000"  # the township station's number
    first = date.fromisoformat(body["notice_period"]["from"])
    assert (date.fromisoformat(body["notice_period"]["to"]) - first).days == 7
    assert "13812345678" not in response.data.decode() and "13900001111" not in response.data.decode()
    assert body["deputies"][0]["level_zh"] == "县人大代表"  # higher levels first
    assert body["station"]["name"] == "清溪镇人大代表联络站"  # found through the township grid
    assert body["reception_rules"] == [{"place": "网格T1-01-01", "description": "每月10日、25日 09:00-11:00"}]
    assert all(date.fromisoformat(d["day"]).day in (10, 25) for d in body["upcoming_receptions"])
    assert body["grid"]["full_name"] == "网格T1-01-01"  # each name once: a child named after its parent


def test_place_names_are_not_doubled():
    from roster.domain import place_name

    assert place_name(["清溪镇", "泉江村", "泉江村第一村民小组"]) == "清溪镇泉江村第一村民小组"
    assert place_name(["韶山乡", "韶山村", "第三村民小组"]) == "韶山乡韶山村第三村民小组"


def test_without_a_station_number_the_notice_says_where_to_go_and_never_prints_a_mobile(svc):
    town, village, leaves = small_township(svc, groups=1)
    make_deputy(svc, "孙丽", home=leaves[0], mobile="13700002222")
    plan = svc.client.post("/v1/assignment-plans", json={"scope_grid_id": town}, headers=svc.headers()).json
    svc.client.post(f"/v1/assignment-plans/{plan['id']}/approve", headers=svc.headers())
    svc.client.post(f"/v1/assignment-plans/{plan['id']}/publish", headers=svc.headers())
    body = svc.client.get(f"/v1/grids/{leaves[0]}/notice?format=json").json
    assert [(d["phone"], d["phone_source"]) for d in body["deputies"]] == [(None, None)]
    html = svc.client.get(f"/v1/grids/{leaves[0]}/notice?format=html").get_data(as_text=True)
    assert "请到代表联络站当面反映" in html and "2222" not in html


def test_the_notice_page_is_negotiated_and_escapes_what_it_prints(svc):
    grid, masked, _ = posted_grid(svc)
    svc.client.patch(f"/v1/deputies/{masked}", json={"pledge": "<script>alert(1)</script>"}, headers=svc.headers())
    page = svc.client.get(f"/v1/grids/{grid}/notice", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html"
    html = page.data.decode()
    assert "人大代表进网格公示" in html and "<script>alert" not in html and "&lt;script&gt;" in html
    assert svc.client.get(f"/v1/grids/{grid}/notice").mimetype == "application/json"
    unknown = svc.client.get("/v1/grids/6f1c2d4e-0000-4000-8000-000000000000/notice")
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"


def test_the_notice_renders_in_chromium_with_every_chinese_glyph(svc):
    grid, _, _ = posted_grid(svc)
    with live_server(svc.app) as url, browser_page() as page:
        page.goto(f"{url}/v1/grids/{grid}/notice?format=html")
        assert page.locator("h1").inner_text() == "人大代表进网格公示"
        text = page.locator("main").inner_text()
        assert "李红梅" in text and "0731-55681234" in text and "0731-55670000" in text and "每月10日、25日" in text
        assert "公示期" in text and "监督电话" in text and "****" not in text
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert missing_glyphs(page) == []
