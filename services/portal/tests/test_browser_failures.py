"""The failure paths of issue 15 §5 driven in Chromium against a portal whose services are faked (the real stack is
in tests/integration): wrong password, lock-out, an expired session, a missing CSRF token, a deputy forging another
grid's id into a form (the service's 403), a fake or oversized photo, the throttle. Each is checked as the person
sees it: the Chinese message on the page, and what they typed still there where the page lets them retry."""
import uuid
from pathlib import Path

import pytest

import portal.views as portal_views
from portal.clients import ServiceError
from portal_testkit import DEPUTY, GROUP, OTHER, PASSWORD, TOWNSHIP, FakeServices, Portal

from wangge_common.testing import browser_page, live_server

SHOTS = Path(__file__).resolve().parents[3] / "tests" / "integration" / ".screenshots"
PHONE = {"width": 390, "height": 844}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 1000


class ScopedServices(FakeServices):
    """The fake services refusing, as intake and routing do, a write in a grid outside the caller's data scope."""

    def post(self, caller, service, path, body, *, idempotency_key=None):
        if caller.grids is not None and body.get("grid_id") and body["grid_id"] not in caller.grids:
            raise ServiceError(service, 403, f"the grid is outside the grids of person:{caller.subject}")
        return super().post(caller, service, path, body, idempotency_key=idempotency_key)


@pytest.fixture
def make_portal(tmp_path):
    made = []

    def make(**env):
        where = tmp_path / str(len(made))
        where.mkdir()
        harness = Portal(where, **{"WANGGE_PORTAL_SIGNIN_LIMIT": "100 per minute", **env})
        harness.services = harness.runtime.services = ScopedServices()
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


def _sign_in(page, base, username, password=PASSWORD):
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button:has-text('登录')")


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"portal-failure-{name}.png"), full_page=True)


def test_wrong_passwords_then_the_lock_out(make_portal):
    harness = make_portal()
    harness.account("dep", "deputy", deputy_id=DEPUTY)
    with live_server(harness.app) as base, browser_page(PHONE) as page:
        for _ in range(4):
            _sign_in(page, base, "dep", "wrong-password-1")
            assert "用户名或密码不正确" in page.inner_text("main")
            assert page.input_value("#username") == "dep"  # what was typed stays, the password does not
        _shot(page, "wrong-password")
        _sign_in(page, base, "dep", "wrong-password-1")
        assert "已暂时锁定" in page.inner_text("main")
        _sign_in(page, base, "dep")  # the right password does not open a locked account
        assert "已暂时锁定" in page.inner_text("main") and page.url.startswith(base + "/signin")
        _shot(page, "locked")


def test_an_expired_session_sends_the_person_to_sign_in_again_and_back(make_portal, monkeypatch):
    harness = make_portal()
    harness.account("dep", "deputy", deputy_id=DEPUTY)
    import time as real_time

    class Clock:
        offset = 0.0

        @classmethod
        def time(cls):
            return real_time.time() + cls.offset

    monkeypatch.setattr(portal_views, "time", Clock)
    with live_server(harness.app) as base, browser_page(PHONE) as page:
        _sign_in(page, base, "dep")
        page.goto(base + "/deputy/visits")
        assert "走访" in page.inner_text("h1")
        Clock.offset = 31 * 60  # half an hour without a request
        page.reload()
        assert page.url.startswith(base + "/signin") and "登录已超时，请重新登录。" in page.inner_text("main")
        _shot(page, "expired")
        Clock.offset = 0
        page.fill("#username", "dep")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button:has-text('登录')")
        assert page.url == base + "/deputy/visits"  # back where they were


def test_a_form_without_its_csrf_token_is_refused(make_portal):
    harness = make_portal()
    harness.account("dep", "deputy", deputy_id=DEPUTY)
    with live_server(harness.app) as base, browser_page(PHONE) as page:
        page.goto(base + "/signin")
        page.fill("#username", "dep")
        page.fill("#password", PASSWORD)
        page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
        with page.expect_navigation():
            page.click("button:has-text('登录')")
        assert "页面已过期" in page.inner_text("main")
        _shot(page, "csrf")
        page.goto(base + "/deputy")
        assert page.url.startswith(base + "/signin")  # not signed in


def test_a_deputy_forging_another_grids_id_gets_the_services_403(make_portal):
    harness = make_portal()
    harness.account("dep", "deputy", deputy_id=DEPUTY)
    with live_server(harness.app) as base, browser_page(PHONE) as page:
        _sign_in(page, base, "dep")
        page.goto(base + "/deputy/visits")
        assert page.eval_on_selector_all("#grid_id option", "os => os.map(o => o.value)") == [GROUP]
        page.eval_on_selector("#grid_id option", f"o => o.value = '{OTHER}'")  # the forged grid
        page.fill("#notes", "伪造网格的走访记录")
        with page.expect_navigation():
            page.click("button:has-text('记录走访')")
        assert "无权操作" in page.inner_text("main") and "不在您的网格或部门范围内" in page.inner_text("main")
        _shot(page, "forged-grid")
    assert not [p for p in harness.services.posts if p[3].get("grid_id") == OTHER]


def test_a_fake_or_oversized_photo_is_refused_beside_the_field_and_the_text_is_kept(make_portal):
    harness = make_portal(WANGGE_PORTAL_ONLINE_LIMIT="100 per minute")
    with live_server(harness.app) as base, browser_page(PHONE) as page:
        page.goto(base + f"/online/form?township={TOWNSHIP}")

        def submit(name, body):
            page.select_option("#grid_choice", GROUP)
            page.select_option("#category", "request")
            page.fill("#content", "村口路灯坏了三天，晚上出行不便。")
            page.fill("#name", "王秀英")
            page.fill("#mobile", "13912345678")
            page.check("#consent")
            page.set_input_files("#photos", files=[{"name": name, "mimeType": "image/jpeg", "buffer": body}])
            with page.expect_navigation():
                page.click("button:has-text('提交')")

        submit("lamp.jpg", b"<html>not a photo</html>")
        assert page.inner_text("#photos-error") == "“lamp.jpg”不是 JPG 或 PNG 照片，请重新选择"
        assert page.input_value("#content") == "村口路灯坏了三天，晚上出行不便。"
        assert page.input_value("#mobile") == "13912345678" and "照片需要重新选择" in page.inner_text(".alert")
        _shot(page, "fake-photo")
        submit("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024))
        assert page.inner_text("#photos-error") == "照片“big.jpg”超过 5 MB，请压缩后重新选择"
        assert page.input_value("#name") == "王秀英"
        _shot(page, "big-photo")
    assert harness.services.uploads == [] and not harness.services.cases


def test_the_throttle_says_so_in_chinese(make_portal):
    harness = make_portal(WANGGE_PORTAL_ONLINE_LIMIT="1 per minute")
    with live_server(harness.app) as base, browser_page(PHONE) as page:
        for attempt in range(2):
            page.goto(base + f"/online/form?township={TOWNSHIP}")
            page.select_option("#grid_choice", GROUP)
            page.select_option("#category", "request")
            page.fill("#content", f"村口路灯坏了三天，第 {attempt + 1} 次反映。")
            page.fill("#name", "王秀英")
            page.fill("#mobile", "13912345678")
            page.check("#consent")
            with page.expect_navigation():
                page.click("button:has-text('提交')")
        assert "操作太频繁" in page.inner_text("main") and "请稍等几分钟再试" in page.inner_text("main")
        _shot(page, "throttled")
    assert len(harness.services.cases) == 1


def test_signing_in_is_throttled_too(make_portal):
    harness = make_portal(WANGGE_PORTAL_SIGNIN_LIMIT="2 per minute")
    with live_server(harness.app) as base, browser_page(PHONE) as page:
        for _ in range(3):
            _sign_in(page, base, str(uuid.uuid4())[:8], "wrong-password-1")
        assert "操作太频繁" in page.inner_text("main")
