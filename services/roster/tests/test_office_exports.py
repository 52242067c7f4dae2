"""Exports an office can use (issue 19.7): XLSX with Chinese headings and values, the grid's code and name first,
dates as dates, no JSON and no UUID leading a row; and the sheet re-imports unchanged."""
import io
import uuid
from datetime import date

from openpyxl import load_workbook

from roster.models import Assignment

from .test_transfer import GRIDS_CSV, upload


def sheet_of(svc, what):
    response = svc.client.get(f"/v1/exports/{what}?format=xlsx", headers=svc.headers("reader"))
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    return response.data, [list(row) for row in load_workbook(io.BytesIO(response.data)).active.values]


def test_the_grid_sheet_is_in_chinese_and_comes_back_unchanged(svc):
    upload(svc, "grids", GRIDS_CSV.encode(), "grids.csv")
    data, rows = sheet_of(svc, "grids")
    assert rows[0][:3] == ["网格编码", "网格名称", "层级"] and all(ord(h[0]) > 0x2E80 for h in rows[0])
    assert rows[3] == ["QX-01-01", "韶山村第一村民小组", "村民小组（小区）", "QX-01", "韶山村", "农村", 260, 830, 3,
                       "李四", "张三、王五", None]
    assert rows[1][2] == "乡镇" and rows[1][5] == "城市社区"
    before = len(svc.outbox())
    again = upload(svc, "grids", data, "grids.xlsx")
    assert again.status_code == 200, again.json
    assert again.json["updated"] == 0 and again.json["errors"] == []  # every row read back unchanged
    assert len(svc.outbox()) == before  # every heading and value read back as it was: nothing changed


def test_the_deputy_sheet_leads_with_the_grid_and_keeps_dates_as_dates(svc):
    upload(svc, "grids", GRIDS_CSV.encode(), "grids.csv")
    grids = {g["code"]: g["id"] for g in svc.client.get("/v1/grids", headers=svc.headers()).json["items"]}
    deputy = svc.client.post("/v1/deputies", headers=svc.headers(), json={
        "name": "李红梅", "gender": "female", "level": "township", "mobile": "13812345678",
        "home_grid_id": grids["QX-01-01"], "specialities": ["农业", "调解"], "term_start": "2026-01-01",
        "term_end": "2030-12-31", "pledge": "件件有回音"}).json["id"]
    svc.client.post("/v1/deputies", headers=svc.headers(), json={"name": "王建", "gender": "male", "level": "county",
                                                                 "mobile": "13912345678"})
    with svc.runtime.db.sessions() as session, session.begin():
        session.add(Assignment(id=str(uuid.uuid4()), grid_id=grids["QX-01-01"], deputy_id=deputy))
    data, rows = sheet_of(svc, "deputies")
    headings = rows[0]
    assert headings[:3] == ["派驻网格编码", "派驻网格名称", "姓名"] and headings[-1] == "代表编号"
    first = dict(zip(headings, rows[1]))
    assert first["派驻网格编码"] == "QX-01-01" and first["派驻网格名称"] == "韶山村第一村民小组"
    assert (first["性别"], first["代表层级"], first["身份"], first["状态"]) == ("女", "乡镇人大代表", "人大代表", "在任")
    assert first["手机"] is None and first["手机（隐藏中间四位）"] == "138****5678" and "13812345678" not in str(rows)
    assert first["专长"] == "农业、调解" and first["居住网格"] == "QX-01-01"
    assert first["任期开始"].date() == date(2026, 1, 1) and first["任期结束"].date() == date(2030, 12, 31)
    assert rows[2][0] is None and rows[2][2] == "王建"  # not serving a grid: after those who do
    for row in rows[1:]:
        assert not str(row[0] or "").count("-") == 4  # no UUID leads a row
        assert not any(isinstance(v, str) and v.lstrip().startswith(("[", "{")) for v in row)  # no JSON
    before = len(svc.outbox())
    again = upload(svc, "deputies", data, "deputies.xlsx")
    assert again.status_code == 200, again.json
    assert again.json["errors"] == [] and again.json["updated"] == 0
    assert len(svc.outbox()) == before
