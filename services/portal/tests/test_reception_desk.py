"""接待安排 on the township desk with roster faked: a schedule is set up and changed through roster's API, roster's
refusals are put beside the fields in Chinese, nothing typed is lost, another township's schedule stays closed."""
import re
import uuid
from pathlib import Path

from portal.clients import ServiceError
from portal_testkit import GROUP, OTHER, TOWNSHIP, VILLAGE, FakeServices

from wangge_common.testing import browser_page, live_server

SHOTS = Path(__file__).resolve().parents[3] / "tests" / "integration" / ".screenshots"
RULE, FAR_RULE, DAY = str(uuid.UUID(int=801)), str(uuid.UUID(int=802)), str(uuid.UUID(int=803))
STATION, STATION_RULE = str(uuid.UUID(int=804)), str(uuid.UUID(int=805))
NPC, PARTY, FAR_GRID = str(uuid.UUID(int=811)), str(uuid.UUID(int=812)), str(uuid.UUID(int=899))


class FakeRoster(FakeServices):
    def __init__(self):
        super().__init__()
        self.calls, self.refuse = [], None
        self.rules = {RULE: {"id": RULE, "grid_id": GROUP, "station_id": None, "place": "第一村民小组活动室",
                             "pattern": "monthly", "month_days": [10, 25], "weekday": None, "start_time": "09:00",
                             "end_time": "11:00", "rota": [[NPC]], "two_representatives": False,
                             "description": "每月10日、25日 09:00-11:00", "published": [], "skipped": []},
                      FAR_RULE: {"id": FAR_RULE, "grid_id": FAR_GRID, "station_id": None, "place": "外乡",
                                 "pattern": "weekly", "month_days": [], "weekday": 2, "start_time": "09:00",
                                 "end_time": "11:00", "rota": [[NPC]], "two_representatives": False,
                                 "description": "每周三 09:00-11:00", "published": [], "skipped": []},
                      STATION_RULE: {"id": STATION_RULE, "grid_id": None, "station_id": STATION, "place": "社区联络点",
                                     "pattern": "weekly", "month_days": [], "weekday": 4, "start_time": "14:00",
                                     "end_time": "16:00", "rota": [[NPC]], "two_representatives": False,
                                     "description": "每周五 14:00-16:00", "published": [], "skipped": []}}
        self.day = {"id": DAY, "rule_id": RULE, "day": "2099-01-10", "grid_id": GROUP, "station_id": None,
                    "place": "第一村民小组活动室", "starts_at": "2099-01-10T01:00:00Z", "ends_at": "2099-01-10T03:00:00Z",
                    "deputy_ids": [NPC], "status": "scheduled", "reason": None}

    def get(self, caller, service, path, **params):
        if path == "/v1/grids" and "under" in params:
            return {"items": list(self.grids.values()), "total": len(self.grids)}
        if path == "/v1/deputies":
            return {"items": [{"id": NPC, "name": "欧阳红", "kind": "npc_deputy", "status": "serving"},
                              {"id": PARTY, "name": "刘建军", "kind": "party_delegate", "status": "serving"},
                              {"id": "gone", "name": "张退休", "kind": "npc_deputy", "status": "ended"}], "total": 3}
        if path == f"/v1/deputies/{NPC}":
            return {"id": NPC, "name": "欧阳红", "kind": "npc_deputy", "status": "serving"}
        if path == "/v1/stations":  # roster's stations serving the township's grids (under=)
            return {"items": [{"id": STATION, "name": "银杏社区代表联络点"}], "total": 1}
        if path == "/v1/reception-schedules":  # roster keeps to the township (under=): grids and their stations
            held = [r for r in self.rules.values() if r["grid_id"] in self.grids or r["station_id"] == STATION]
            return {"items": held if params.get("under") == TOWNSHIP else list(self.rules.values()),
                    "total": len(held)}
        if path.startswith("/v1/reception-schedules/"):
            return self.rules[path.rsplit("/", 1)[1]]
        if path == "/v1/reception-days":
            return {"items": [self.day], "total": 1}
        if path == f"/v1/reception-days/{DAY}":
            return self.day
        return super().get(caller, service, path, **params)

    def post(self, caller, service, path, body, *, idempotency_key=None):
        if path == "/v1/reception-schedules":
            self.calls.append(("POST", path, body))
            if self.refuse:
                raise ServiceError(service, *self.refuse)
            return {**body, "id": str(uuid.uuid4()), "description": "每月5日 14:00-16:30",
                    "published": [{}, {}], "skipped": []}
        return super().post(caller, service, path, body, idempotency_key=idempotency_key)

    def call(self, caller, method, service, path, *, params=None, data=None, files=None, headers=None, json=None,
             expect=None):
        self.calls.append((method, path, json))
        if self.refuse:
            raise ServiceError(service, *self.refuse)
        if path == f"/v1/reception-days/{DAY}":
            self.day.update(status="cancelled" if json.get("cancel") else "changed", reason=json["reason"])
            return self.day
        self.rules[RULE].update(json)
        return self.rules[RULE]


def _staff(portal):
    portal.services = portal.runtime.services = FakeRoster()
    portal.runtime.cached_grids = lambda *_: frozenset({TOWNSHIP, VILLAGE, GROUP, OTHER})
    portal.account("staff", "township_staff", grid_id=TOWNSHIP)
    portal.sign_in("staff")
    return portal.services


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _errors(answer) -> dict:
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]+)</p>', answer.get_data(as_text=True)))


NEW = {"grid_id": GROUP, "place": "", "pattern": "monthly", "month_days": "5", "weekday": "", "start_time": "14:00",
       "end_time": "16:30", "deputies": [NPC], "rotation": "together", "weeks": "8"}


def test_the_list_links_to_new_and_edit_and_only_the_townships_schedules(portal):
    _staff(portal)
    page = portal.client.get("/desk/township/receptions").get_data(as_text=True)
    assert 'href="/desk/township/receptions/new"' in page and f'href="/desk/township/receptions/{RULE}"' in page
    assert FAR_RULE not in page
    assert portal.client.get(f"/desk/township/receptions/{FAR_RULE}").status_code == 403
    # a schedule at a liaison station serving the township is listed under the station's name, and opens
    assert f'href="/desk/township/receptions/{STATION_RULE}"' in page and "银杏社区代表联络点" in page
    station_rule = portal.client.get(f"/desk/township/receptions/{STATION_RULE}")
    assert station_rule.status_code == 200 and "银杏社区代表联络点" in station_rule.get_data(as_text=True)


def test_a_schedule_is_set_up_with_roster(portal):
    services = _staff(portal)
    form = portal.client.get("/desk/township/receptions/new").get_data(as_text=True)
    assert "张退休" not in form and "刘建军（党代表）" in form and "欧阳红（人大代表）" in form
    answer = portal.client.post("/desk/township/receptions/new",
                                data={**NEW, "month_days": "5、20", "deputies": [NPC, PARTY], "rotation": "together",
                                      "two_representatives": "y", "csrf_token": _csrf(form)})
    assert answer.status_code == 302, _errors(answer)
    assert services.calls[-1] == ("POST", "/v1/reception-schedules", {
        "grid_id": GROUP, "place": None, "pattern": "monthly", "month_days": [5, 20], "start_time": "14:00",
        "end_time": "16:30", "rota": [[NPC, PARTY]], "two_representatives": True, "weeks": 8})
    assert "已公布 2 个接待日" in portal.client.get("/desk/township/receptions").get_data(as_text=True)


def test_a_schedule_is_set_up_at_a_liaison_station_of_the_township(portal):
    services = _staff(portal)
    form = portal.client.get("/desk/township/receptions/new").get_data(as_text=True)
    assert f'value="station:{STATION}"' in form and "联络站 · 银杏社区代表联络点" in form
    answer = portal.client.post("/desk/township/receptions/new",
                                data={**NEW, "grid_id": f"station:{STATION}", "csrf_token": _csrf(form)})
    assert answer.status_code == 302, _errors(answer)
    assert services.calls[-1][2]["station_id"] == STATION and "grid_id" not in services.calls[-1][2]
    form = portal.client.get("/desk/township/receptions/new").get_data(as_text=True)
    elsewhere = portal.client.post("/desk/township/receptions/new",
                                   data={**NEW, "grid_id": f"station:{FAR_GRID}", "csrf_token": _csrf(form)})
    assert elsewhere.status_code == 422 and _errors(elsewhere) == {"grid_id": "请选择本乡镇的网格或联络站"}
    answer = portal.client.post("/desk/township/receptions/new", data={
        **NEW, "pattern": "weekly", "weekday": "2", "month_days": "", "deputies": [NPC, PARTY], "rotation": "rotate",
        "csrf_token": _csrf(form)})
    assert services.calls[-1][2]["weekday"] == 2 and services.calls[-1][2]["rota"] == [[NPC], [PARTY]]


def test_mistakes_are_explained_beside_the_fields_and_nothing_typed_is_lost(portal):
    services = _staff(portal)
    csrf = _csrf(portal.client.get("/desk/township/receptions/new").get_data(as_text=True))
    answer = portal.client.post("/desk/township/receptions/new", data={
        **NEW, "month_days": "10、32", "end_time": "15:00", "deputies": [], "place": "村委会二楼", "csrf_token": csrf})
    assert answer.status_code == 422
    assert _errors(answer) == {"month_days": "请填写 1 至 31 之间的日期，最多 4 个，如：10、25",
                               "end_time": "每次接待至少 2 小时，结束时间须比开始时间晚 2 小时以上",
                               "deputies": "请至少选择一名值班代表"}
    text = answer.get_data(as_text=True)
    assert 'value="村委会二楼"' in text and 'value="10、32"' in text and 'value="15:00"' in text
    answer = portal.client.post("/desk/township/receptions/new", data={
        **NEW, "pattern": "weekly", "month_days": "", "csrf_token": csrf})
    assert _errors(answer) == {"weekday": "每周接待请选择星期几"}
    answer = portal.client.post("/desk/township/receptions/new", data={**NEW, "grid_id": FAR_GRID, "csrf_token": csrf})
    assert _errors(answer) == {"grid_id": "请选择本乡镇的网格或联络站"}
    assert not services.calls  # nothing reached roster
    services.refuse = (422, "the request breaks a rule", [
        {"field": "rota.0", "reason": "the 两代表 scheme needs a party-congress delegate (党代表) on duty too"}])
    answer = portal.client.post("/desk/township/receptions/new", data={**NEW, "two_representatives": "y",
                                                                       "csrf_token": csrf})
    assert answer.status_code == 422 and _errors(answer) == {"deputies": "两代表同时接待须有一名党代表值班"}
    assert f'value="{NPC}" checked' in answer.get_data(as_text=True)
    services.refuse = (409, "the same schedule is already set up", [])
    answer = portal.client.post("/desk/township/receptions/new", data={**NEW, "csrf_token": csrf})
    assert "同样的接待制度（地点、日期、时间）已经设置过" in answer.get_data(as_text=True)


def test_a_schedule_is_changed_for_the_days_it_publishes_from_now_on(portal):
    services = _staff(portal)
    page = portal.client.get(f"/desk/township/receptions/{RULE}").get_data(as_text=True)
    assert 'value="第一村民小组活动室"' in page and 'value="09:00"' in page and f'value="{NPC}" checked' in page
    assert "已公布的接待日不变" in page
    answer = portal.client.post(f"/desk/township/receptions/{RULE}", data={
        "csrf_token": _csrf(page), "place": "第一村民小组活动室", "start_time": "14:30", "end_time": "16:30",
        "deputies": [NPC, PARTY], "rotation": "together"})
    assert answer.status_code == 302
    assert services.calls[-1] == ("PATCH", f"/v1/reception-schedules/{RULE}",
                                  {"start_time": "14:30", "end_time": "16:30", "rota": [[NPC, PARTY]]})
    services.refuse = (422, "the request breaks a rule", [
        {"field": "rota.0", "reason": "刘建军 is ended, not serving"}])
    answer = portal.client.post(f"/desk/township/receptions/{RULE}", data={
        "csrf_token": _csrf(page), "place": "新活动室", "start_time": "14:30", "end_time": "16:30",
        "deputies": [PARTY], "rotation": "together"})
    assert answer.status_code == 422 and _errors(answer) == {"deputies": "所选代表中有人不在任，请重新选择"}
    assert 'value="新活动室"' in answer.get_data(as_text=True)


def test_a_published_day_is_changed_or_cancelled_with_its_reason(portal):
    services = _staff(portal)
    listed = portal.client.get("/desk/township/receptions").get_data(as_text=True)
    assert f'href="/desk/township/receptions/days/{DAY}"' in listed
    page = portal.client.get(f"/desk/township/receptions/days/{DAY}").get_data(as_text=True)
    assert 'value="2099-01-10"' in page and 'value="09:00"' in page and 'value="11:00"' in page  # China time
    csrf = _csrf(page)
    same = {"csrf_token": csrf, "day": "2099-01-10", "start_time": "09:00", "end_time": "11:00",
            "place": "第一村民小组活动室", "deputies": [NPC], "reason": ""}
    answer = portal.client.post(f"/desk/township/receptions/days/{DAY}", data=same)
    assert answer.status_code == 422 and _errors(answer) == {"reason": "必填"}
    answer = portal.client.post(f"/desk/township/receptions/days/{DAY}", data={**same, "reason": "代表参加县人代会"})
    assert "没有改动" in answer.get_data(as_text=True) and not services.calls
    answer = portal.client.post(f"/desk/township/receptions/days/{DAY}", data={
        **same, "start_time": "14:30", "end_time": "16:30", "reason": "上午召开村民代表大会"})
    assert answer.status_code == 302
    assert services.calls[-1] == ("PATCH", f"/v1/reception-days/{DAY}", {
        "start_time": "14:30", "end_time": "16:30", "reason": "上午召开村民代表大会"})
    services.refuse = (409, "the reception day (2099-01-10) is 1 days away; schedules are published at least 3 "
                            "days before the day (公示提前三天), so it can no longer be changed", [])
    answer = portal.client.post(f"/desk/township/receptions/days/{DAY}", data={
        **same, "cancel": "y", "reason": "代表参加县人代会"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "距今不足 3 天的接待日（原日期或新日期）不能再调整" in text
    assert "代表参加县人代会</textarea>" in text
    services.refuse = None
    answer = portal.client.post(f"/desk/township/receptions/days/{DAY}", data={
        **same, "cancel": "y", "reason": "代表参加县人代会"})
    assert services.calls[-1][2] == {"cancel": True, "reason": "代表参加县人代会"}
    listed = portal.client.get("/desk/township/receptions").get_data(as_text=True)
    assert "已取消" in listed and "代表参加县人代会" in listed and f"/receptions/days/{DAY}" not in listed


def test_only_township_staff_edit_schedules(portal):
    portal.services = portal.runtime.services = FakeRoster()
    portal.account("dep", "deputy", deputy_id=str(uuid.UUID(int=99)))
    portal.sign_in("dep")
    assert portal.client.get("/desk/township/receptions/new").status_code == 403
    assert portal.client.get(f"/desk/township/receptions/{RULE}").status_code == 403
    assert portal.client.get(f"/desk/township/receptions/days/{DAY}").status_code == 403


def test_the_schedule_form_on_a_phone_and_a_desktop(portal):
    """Chromium at 390 px and at desktop width: a mistake shown beside its field, then the schedule set up."""
    _staff(portal)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with live_server(portal.app) as base:
        for name, viewport in (("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1280, "height": 900})):
            with browser_page(viewport) as page:
                page.goto(base + "/signin")
                page.fill("#username", "staff")
                page.fill("#password", "correct-horse-9")
                with page.expect_navigation():
                    page.click("button:has-text('登录')")
                page.goto(base + "/desk/township/receptions")
                with page.expect_navigation():
                    page.click("a:has-text('新建接待制度')")
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                page.select_option("#grid_id", GROUP)
                page.fill("#month_days", "5、20")
                page.fill("#start_time", "14:00")
                page.fill("#end_time", "15:00")
                page.check(f"input[name=deputies][value='{NPC}']")
                with page.expect_navigation():
                    page.click("button:has-text('设置并公布接待日')")
                assert "每次接待至少 2 小时" in page.inner_text("#end_time-error")
                assert page.input_value("#month_days") == "5、20"
                page.screenshot(path=str(SHOTS / f"portal-schedule-error-{name}.png"), full_page=True)
                page.fill("#end_time", "16:30")
                with page.expect_navigation():
                    page.click("button:has-text('设置并公布接待日')")
                assert "已设置接待制度" in page.inner_text(".flash")
                page.goto(base + f"/desk/township/receptions/{RULE}")
                page.screenshot(path=str(SHOTS / f"portal-schedule-edit-{name}.png"), full_page=True)
                page.goto(base + "/desk/township/receptions")
                page.screenshot(path=str(SHOTS / f"portal-receptions-{name}.png"), full_page=True)
                with page.expect_navigation():
                    page.click("a:has-text('调整或取消')")
                page.fill("#end_time", "10:00")
                with page.expect_navigation():
                    page.click("button:has-text('保存调整')")
                assert "每次接待至少 2 小时" in page.inner_text("#end_time-error")
                page.screenshot(path=str(SHOTS / f"portal-reception-day-{name}.png"), full_page=True)
