"""The dashboard and the annual report in a real browser: Chinese glyphs render, charts are there; downloads work."""
import io
from datetime import date

from openpyxl import load_workbook

from wangge_common.browser import missing_glyphs
from wangge_common.testing import browser_page, event, live_server
from reporting.samples import G1, P1, deliver_all, fixture_events, uid


def load(svc):
    roster, cases = fixture_events()
    deliver_all(svc, roster)
    for case in cases.values():
        deliver_all(svc, case.events)
    deliver_all(svc, [event("visit.recorded", uid("v1"), {
        "visit_id": uid("v1"), "deputy_id": P1, "grid_id": G1, "visited_on": "2026-11-03",
        "household_ids": [uid("h1")], "residents_reached": 2, "cases_registered": 0, "kind": "door_to_door"})])


def test_the_dashboard_renders_in_chinese_with_charts(svc):
    load(svc)
    with live_server(svc.app) as url, browser_page({"width": 390, "height": 844}) as page:
        page.goto(url + "/dashboard?year=2026")
        assert missing_glyphs(page) == []
        assert page.locator("svg.chart").count() >= 3
        assert page.locator("svg.chart rect.bar").count() >= 5  # the KPI bars against their targets
        # the trend and township charts have axes with percentages and print their values
        assert page.locator("svg.chart g.axis.y").count() >= 2 and page.locator("svg.chart text.value").count() >= 2
        assert "100.0%" in page.locator("svg.chart g.axis.y").first.inner_html()
        assert "办结率" in page.content() and "韶山村" in page.content() and "优秀代表网格" in page.content()
        # nothing wider than a phone's screen except inside the scrollable tables
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        page.click("text=查看 >> nth=0")
        assert "未达标案件" in page.content() and missing_glyphs(page) == []


def test_the_annual_report_renders_and_prints(svc):
    load(svc)
    with live_server(svc.app) as url, browser_page() as page:
        page.goto(url + f"/deputies/{P1}/annual-report?year=2026")
        assert missing_glyphs(page) == []
        assert "李红梅" in page.content() and "五个一" in page.content() and "参加一次视察" in page.content()
        assert "每年至少参加 2 次视察或调研" in page.content() and "暂无数据来源" not in page.content()
        # one bar per month of 2026 up to today (the report runs to the day it is printed)
        bars = page.locator("svg.chart g.serie-0 rect.rect")
        assert bars.count() == (date.today().month if date.today().year == 2026 else 12)
        assert page.locator("svg.chart g.serie-1").count() >= 1  # the 10 households a month target
        assert len(page.pdf()) > 1000


def test_dashboard_tables_download_and_bad_requests_are_problems(svc):
    load(svc)
    csv_text = svc.client.get("/dashboard/export/kpis-township.csv").data.decode("utf-8-sig")
    assert "韶山乡" in csv_text and "清溪镇" in csv_text
    book = load_workbook(io.BytesIO(svc.client.get("/dashboard/export/deputies.xlsx?year=2026").data))
    assert book.active.max_row == 3
    assert svc.client.get("/dashboard/export/nothing.csv").status_code == 404
    assert svc.client.get("/dashboard?period=26").status_code == 422
    assert svc.client.get(f"/deputies/{uid('x')}/annual-report").status_code == 404


def test_the_heat_table_lists_every_grid_by_code_and_filters_by_township(svc):
    from reporting.samples import T1, grid

    load(svc)
    deliver_all(svc, [grid(uid("quiet"), "T1-03", "石屏村", 2, T1)])  # no case yet: still listed
    html = svc.client.get("/dashboard").get_data(as_text=True)
    table = html[html.index('class="heat"'):].split("</table>")[0]
    assert table.index("T1-01") < table.index("T1-02") < table.index("T1-03") < table.index("T2-01")
    assert "石屏村" in table
    only = svc.client.get(f"/dashboard?township={T1}").get_data(as_text=True)
    only_table = only[only.index('class="heat"'):].split("</table>")[0]
    assert "石屏村" in only_table and "清溪村" not in only_table
    assert "办结未评价" in html and "评选规则" in html and "score =" not in html


def test_the_annual_report_wraps_on_a4_and_downloads_as_word(svc):
    """Offices print it on A4 and edit it in Word/WPS: no column is cut, and the .docx says the same."""
    from docx import Document

    load(svc)
    with live_server(svc.app) as url, browser_page({"width": 700, "height": 990}) as page:  # A4 minus margins
        page.emulate_media(media="print")
        page.goto(url + f"/deputies/{P1}/annual-report?year=2026")
        cut = page.evaluate("""[...document.querySelectorAll('main table')]
            .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length""")
        assert cut == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 700
    response = svc.client.get(f"/deputies/{P1}/annual-report.docx?year=2026")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "李红梅 代表 2026 年度进网格履职情况（述职评议）" in text
    assert "每周至少走访 1 次" in cells and "每年至少提出 1 条建议" in cells and "推动解决一件民生实事" in cells
    assert svc.client.get(f"/deputies/{uid('x')}/annual-report.docx").status_code == 404
