"""双联系 on the deputy's workbench against a faked roster: the households and this year's meetings against the rule,
recording a meeting, and its failure paths (a reason beside the field, nothing typed lost, roster's 403 said
plainly)."""
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from portal.clients import ServiceError
from portal.domain import CHINA
from portal_testkit import DEPUTY, FakeServices

from wangge_common.testing import browser_page, live_server

SHOTS = Path(__file__).resolve().parents[3] / "tests" / "integration" / ".screenshots"
LEADER, POOR, ELDER, GONE = (str(uuid.UUID(int=i)) for i in (701, 702, 703, 704))
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def _today():
    return datetime.now(CHINA).date()


class ContactServices(FakeServices):
    """Roster's contact-household API as the page uses it: the links, their meetings, recording one."""

    def __init__(self, *, meetings_listed=True, refuse=None):
        super().__init__()
        year = _today().year
        self.links = [
            {"id": LEADER, "deputy_id": DEPUTY, "kind": "wealth_leader", "kind_zh": "致富带头人", "household": "李建华户",
             "grid_id": None, "linked_on": f"{year - 1}-03-01", "ended_on": None, "meetings_this_year": 2},
            {"id": POOR, "deputy_id": DEPUTY, "kind": "household_in_difficulty", "kind_zh": "困难群众",
             "household": "王秀英户", "grid_id": None, "linked_on": f"{year - 1}-09-01", "ended_on": None,
             "meetings_this_year": 1},
            {"id": GONE, "deputy_id": DEPUTY, "kind": "respected_figure", "kind_zh": "乡贤", "household": "赵德明户",
             "grid_id": None, "linked_on": f"{year - 2}-05-01", "ended_on": f"{year}-01-01",
             "meetings_this_year": 0}]
        self.meetings = {LEADER: [{"id": "m1", "link_id": LEADER, "met_on": f"{year}-02-10",
                                   "summary": "商量合作社分红"},
                                  {"id": "m2", "link_id": LEADER, "met_on": f"{year}-06-15", "summary": None}],
                         POOR: [{"id": "m3", "link_id": POOR, "met_on": f"{year}-04-02", "summary": "低保续办"}]}
        self.meetings_listed, self.refuse = meetings_listed, refuse

    def get(self, caller, service, path, **params):
        if path == f"/v1/deputies/{DEPUTY}/contact-households":
            return [dict(link) for link in self.links]
        match = re.fullmatch(r"/v1/contact-households/([0-9a-f-]+)/meetings", path)
        if match:
            if not self.meetings_listed:
                raise ServiceError(service, 405, "Method Not Allowed")
            return self.meetings.get(match.group(1), [])
        return super().get(caller, service, path, **params)

    def post(self, caller, service, path, body, *, idempotency_key=None):
        match = re.fullmatch(r"/v1/contact-households/([0-9a-f-]+)/meetings", path)
        if match:
            self.posts.append((caller, service, path, body, idempotency_key))
            if self.refuse:
                status, errors = self.refuse
                raise ServiceError(service, status, "refused", errors)
            meeting = {"id": str(uuid.uuid4()), "link_id": match.group(1), "deputy_id": DEPUTY, **body}
            self.meetings.setdefault(match.group(1), []).append(meeting)
            link = next(link for link in self.links if link["id"] == match.group(1))
            link["meetings_this_year"] += 1
            return meeting
        return super().post(caller, service, path, body, idempotency_key=idempotency_key)


def _deputy(portal, **fake):
    portal.services = portal.runtime.services = ContactServices(**fake)
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    portal.sign_in("dep")
    return portal.services


def _form(page: str) -> dict:
    return {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1),
            "nonce": re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)}


def _errors(answer) -> dict:
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]+)</p>', answer.get_data(as_text=True)))


def test_the_page_shows_each_household_and_this_years_meetings_against_the_rule(portal):
    _deputy(portal)
    assert 'href="/deputy/contacts"' in portal.client.get("/deputy").get_data(as_text=True)  # in the navigation
    page = portal.client.get("/deputy/contacts").get_data(as_text=True)
    assert "李建华户" in page and "致富带头人" in page and "王秀英户" in page and "困难群众" in page
    assert "联系户 <strong>2</strong> / 3 户" in page and "未达标" in page
    assert "还缺：" in page and '<span class="tag bad">乡贤</span>' in page  # the ended contact no longer counts
    assert "已于" in page and "结束联系" in page
    assert "还差 1 次" in page and "商量合作社分红" in page and "低保续办" in page
    # the form offers only the households still in contact
    assert f'value="{LEADER}"' in page and f'value="{POOR}"' in page and f'value="{GONE}"' not in page
    assert "wealth_leader" not in page and "household_in_difficulty" not in page  # every code by its label


def test_a_meeting_is_recorded_with_roster_and_counted(portal):
    services = _deputy(portal)
    form = _form(portal.client.get(f"/deputy/contacts?link={POOR}").get_data(as_text=True))
    met_on = _today().isoformat()
    answer = portal.client.post("/deputy/contacts", data={**form, "link_id": POOR, "met_on": met_on,
                                                          "summary": "帮助申请临时救助"})
    assert answer.status_code == 302
    sent = services.posts[-1]
    assert sent[2] == f"/v1/contact-households/{POOR}/meetings"
    assert sent[3] == {"met_on": met_on, "summary": "帮助申请临时救助"}
    assert sent[4] == f"contact-meeting-{form['nonce']}"  # one key per form: a retry is recognisable
    page = portal.client.get("/deputy/contacts").get_data(as_text=True)
    assert f"已记录 {met_on} 与王秀英户的见面" in page and "帮助申请临时救助" in page


def test_a_wrong_meeting_is_explained_beside_the_field_and_nothing_typed_is_lost(portal):
    services = _deputy(portal)
    form = _form(portal.client.get("/deputy/contacts").get_data(as_text=True))
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    answer = portal.client.post("/deputy/contacts", data={**form, "link_id": POOR, "met_on": tomorrow,
                                                          "summary": "商量危房改造"})
    assert answer.status_code == 422 and _errors(answer) == {"met_on": "见面日期不能晚于今天"}
    assert "商量危房改造</textarea>" in answer.get_data(as_text=True)
    answer = portal.client.post("/deputy/contacts", data={**form, "link_id": POOR, "met_on": "2000-01-01",
                                                          "summary": "商量危房改造"})
    assert "不能早于建立联系的日期" in _errors(answer)["met_on"]
    answer = portal.client.post("/deputy/contacts", data={**form, "link_id": GONE, "met_on": _today().isoformat(),
                                                          "summary": ""})
    assert _errors(answer) == {"link_id": "请从您的联系户中选择", "summary": "必填"}
    # another deputy's household, forged into the form, is refused before roster is asked
    answer = portal.client.post("/deputy/contacts", data={**form, "link_id": str(uuid.uuid4()),
                                                          "met_on": _today().isoformat(), "summary": "商量危房改造"})
    assert _errors(answer) == {"link_id": "请从您的联系户中选择"}
    assert not [p for p in services.posts if "meetings" in p[2]]
    services.refuse = (422, [{"field": "met_on", "reason": "must fall while the contact lasted"}])
    answer = portal.client.post("/deputy/contacts", data={**form, "link_id": LEADER, "met_on": _today().isoformat(),
                                                          "summary": "商量危房改造"})
    assert answer.status_code == 422 and _errors(answer) == {"met_on": "见面日期须在建立联系之后、不晚于今天"}


def test_when_roster_refuses_the_deputys_token_the_page_says_so_and_keeps_the_form(portal):
    services = _deputy(portal, refuse=(403, []), meetings_listed=False)
    page = portal.client.get("/deputy/contacts").get_data(as_text=True)
    assert "今年见面 <strong>2</strong> 次" in page and "商量合作社分红" not in page  # counts only, no list yet
    form = _form(page)
    answer = portal.client.post("/deputy/contacts", data={**form, "link_id": POOR, "met_on": _today().isoformat(),
                                                          "summary": "帮助申请临时救助"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "名册服务暂未开放代表本人登记见面记录" in text
    assert "帮助申请临时救助</textarea>" in text and f'<option selected value="{POOR}">' in text
    assert len(services.posts) == 1


def test_only_a_deputy_opens_the_page(portal):
    assert portal.client.get("/deputy/contacts").headers["Location"].startswith("/signin?next=/deputy/contacts")
    portal.account("ct1", "call_taker")
    portal.sign_in("ct1")
    assert portal.client.get("/deputy/contacts").status_code == 403


def test_the_page_on_a_phone_and_a_desktop(portal):
    """Chromium at 390 px and at desktop width: the deputy records a meeting; screenshots for a person to look at."""
    portal.services = portal.runtime.services = ContactServices()
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with live_server(portal.app) as base:
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            with browser_page(viewport) as page:
                page.goto(base + "/signin")
                page.fill("#username", "dep")
                page.fill("#password", "correct-horse-9")
                with page.expect_navigation():
                    page.click("button:has-text('登录')")
                page.click("header a:has-text('双联系')")
                assert page.url.endswith("/deputy/contacts")
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                page.select_option("#link_id", POOR)
                page.fill("#met_on", (_today() + timedelta(days=3)).isoformat())
                page.fill("#summary", "协调危房改造补助")
                with page.expect_navigation():
                    page.click("form button:has-text('记录见面')")
                assert page.inner_text("#met_on-error") == "见面日期不能晚于今天"
                assert page.input_value("#summary") == "协调危房改造补助"
                page.screenshot(path=str(SHOTS / f"portal-contacts-error-{name}.png"), full_page=True)
                page.fill("#met_on", _today().isoformat())
                with page.expect_navigation():
                    page.click("form button:has-text('记录见面')")
                assert "与王秀英户的见面" in page.inner_text(".flash")
                page.screenshot(path=str(SHOTS / f"portal-contacts-{name}.png"), full_page=True)
