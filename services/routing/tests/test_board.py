"""The public progress board renders in Chinese, shows overdue orders, and carries no personal data."""
from datetime import datetime, timedelta, timezone

from wangge_common.browser import missing_glyphs
from wangge_common.testing import browser_page, live_server


def test_the_board_lists_open_orders_and_marks_the_overdue_ones(svc):
    case_id = svc.register(category="request", topic="road", content="王秀英家门口路灯坏了，电话13912345678")
    order = svc.order(case_id)
    svc.act(order["id"], "sign")
    from routing.models import WorkOrder

    with svc.runtime.db.transaction() as session:
        session.get(WorkOrder, order["id"]).due_at = datetime.now(timezone.utc) - timedelta(hours=2)
    svc.register(category="complaint", topic="food_safety")
    page = svc.client.get("/board")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="zh-CN"' in html
    assert "镇村镇建设办" in html and "县市场监督管理局" in html and "（已超期）" in html
    assert "王秀英" not in html and "13912345678" not in html and "<svg" in html


def test_the_board_renders_every_glyph_in_a_real_browser(svc):
    svc.register(category="request", topic="road")
    with live_server(svc.app) as url, browser_page() as page:
        page.goto(url + "/board")
        assert page.title() == "工单办理进度公示"
        assert "待签收" in page.inner_text("table")
        assert missing_glyphs(page) == []


def test_the_board_shows_who_supervises_an_order(svc):
    case_id = svc.register(category="request", topic="road")
    order = svc.order(case_id, state="dispatched")
    svc.act(order["id"], "supervise", {"step": "supervision", "reason": "群众多次来电反映"})
    html = svc.client.get("/board").get_data(as_text=True)
    assert "督办（镇人大主席团）" in html and "待签收" in html
