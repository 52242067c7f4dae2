"""Issue 18 items 1-3 (and 19 item 7, import side): an import never drops data silently, matches its rows to the
roster (so the same file twice changes nothing and the same person is never registered twice), speaks Chinese and
reads the dates offices type; the JSON bulk endpoints keep the same rules."""
import io

from openpyxl import Workbook

from .helpers import make_grid
from .test_transfer import GRIDS_CSV, upload

DEPUTIES_CSV = """外部编号,姓名,性别,代表层级,手机,身份证号,居住网格,任期开始,任期结束
ZZ-D-1,李红梅,女,乡镇,13812345678,11010519491231002X,QX-01-01,2021/12/01,2026年11月30日
ZZ-D-2,王建国,男,县,13912345678,,QX-01,2021-12-01,2026.11.30
"""


def _grids(svc):
    assert upload(svc, "grids", GRIDS_CSV.encode(), "grids.csv").status_code == 200


def test_an_unknown_heading_refuses_the_file_and_names_the_column_it_meant(svc):
    _grids(svc)
    content = "name,gender,level,mobile,home_grid\n李红梅,female,township,13812345678,QX-01-01\n".encode()
    refused = upload(svc, "deputies", content, "deputies.csv")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    [error] = refused.json["errors"]
    assert (error["row"], error["column"]) == (1, "home_grid") and "home_grid_code" in error["reason"]
    assert "不会被读取" in error["reason"] and "未导入任何数据" in refused.json["detail"]
    assert svc.client.get("/v1/deputies", headers=svc.headers()).json["total"] == 0
    ignored = upload(svc, "deputies", content, "deputies.csv", ignore_unknown_columns="true")
    assert ignored.status_code == 200 and ignored.json["created"] == 1
    assert [c["column"] for c in ignored.json["unknown_columns"]] == ["home_grid"]


def test_known_columns_an_import_does_not_read_are_listed_as_ignored(svc):
    _grids(svc)
    content = "name,gender,level,mobile,mobile_masked\n李红梅,female,township,13812345678,138****5678\n".encode()
    answer = upload(svc, "deputies", content, "deputies.csv").json
    assert [c["column"] for c in answer["ignored_columns"]] == ["mobile_masked"] and answer["created"] == 1


def test_a_file_that_is_not_a_table_is_a_4xx_problem(svc):
    binary = bytes(range(256)) * 40
    for name in ("deputies.csv", "deputies.xlsx"):
        response = upload(svc, "deputies", binary, name)
        assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json", name
    headings_only = upload(svc, "deputies", "姓名,手机\n".encode(), "deputies.csv")
    assert headings_only.status_code == 422 and "没有数据行" in headings_only.json["errors"][0]["reason"]


def test_a_missing_required_field_is_an_error_of_its_row_in_chinese(svc):
    _grids(svc)
    content = "姓名,性别,代表层级,手机\n李红梅,女,乡镇,\n   ,男,县,13912345678\n".encode()
    refused = upload(svc, "deputies", content, "deputies.csv")
    errors = {(e["row"], e["field"]): e for e in refused.json["errors"]}
    assert errors[2, "mobile"]["reason"] == "必填项，不能为空" and errors[2, "mobile"]["column"] == "手机"
    assert errors[3, "name"]["reason"] == "必填项，不能为空"  # a cell of spaces is empty


def test_dates_as_offices_type_them_and_the_same_file_twice_changes_nothing(svc):
    _grids(svc)
    first = upload(svc, "deputies", DEPUTIES_CSV.encode(), "deputies.csv")
    assert first.status_code == 200 and first.json["created"] == 2, first.json
    deputies = {d["external_id"]: d for d in svc.client.get("/v1/deputies", headers=svc.headers()).json["items"]}
    assert deputies["ZZ-D-1"]["term_start"] == "2021-12-01" and deputies["ZZ-D-1"]["term_end"] == "2026-11-30"
    assert deputies["ZZ-D-2"]["term_end"] == "2026-11-30"
    assert deputies["ZZ-D-1"]["id_number_masked"] == "1101**********002X"
    before = len(svc.outbox())
    again = upload(svc, "deputies", DEPUTIES_CSV.encode(), "deputies.csv").json
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2) and len(svc.outbox()) == before
    changed = DEPUTIES_CSV.replace("李红梅,女,乡镇,13812345678", "李红梅,女,乡镇,13812345670")
    answer = upload(svc, "deputies", changed.encode(), "deputies.csv").json
    assert (answer["created"], answer["updated"], answer["unchanged"]) == (0, 1, 1)
    event = svc.outbox()[-1]
    assert event.type == "deputy.updated" and event.subject == deputies["ZZ-D-1"]["id"]
    assert svc.client.get("/v1/deputies", headers=svc.headers()).json["total"] == 2


def test_the_same_person_is_merged_by_mobile_or_id_number_never_duplicated(svc):
    _grids(svc)
    upload(svc, "deputies", DEPUTIES_CSV.encode(), "deputies.csv")
    # Without the external id, the mobile finds the same person: the row updates her (a merge), no second record.
    merged = upload(svc, "deputies", "姓名,性别,代表层级,手机,职务\n李红梅,女,乡镇,13812345678,村委会主任\n".encode(),
                    "deputies.csv").json
    assert (merged["created"], merged["updated"]) == (0, 1)
    assert merged["outcomes"][0]["matched_by"] == "mobile"  # the preview says why it is the same person
    # The ID number finds her too, even with another mobile; the file naming her twice is refused row by row.
    twice = ("姓名,性别,代表层级,手机,身份证号\n李红梅,女,乡镇,13700000001,11010519491231002X\n"
             "李洪梅,女,乡镇,13700000002,11010519491231002X\n")
    refused = upload(svc, "deputies", twice.encode(), "deputies.csv")
    assert refused.status_code == 422
    assert [(e["row"], e["field"]) for e in refused.json["errors"]] == [(3, "id_number")]
    assert "与第 2 行相同" in refused.json["errors"][0]["reason"]
    # Keys naming two different deputies cannot be decided: refused, never guessed.
    mixed = upload(svc, "deputies", "外部编号,姓名,性别,代表层级,手机\nZZ-D-1,李红梅,女,乡镇,13912345678\n".encode(),
                   "deputies.csv")
    assert mixed.status_code == 422 and "不同的代表" in mixed.json["errors"][0]["reason"]
    assert svc.client.get("/v1/deputies", headers=svc.headers()).json["total"] == 2


def test_the_api_refuses_the_same_person_twice_and_a_name_of_spaces(svc):
    body = {"name": "李红梅", "gender": "female", "level": "township", "mobile": "13812345678"}
    first = svc.client.post("/v1/deputies", json=body, headers=svc.headers())
    assert first.status_code == 201
    again = svc.client.post("/v1/deputies", json={**body, "name": "李红美"}, headers=svc.headers())
    assert again.status_code == 409 and again.json["errors"][0]["existing_id"] == first.json["id"]
    blank = svc.client.post("/v1/deputies", json={**body, "name": "   ", "mobile": "13812345679"},
                            headers=svc.headers())
    assert blank.status_code == 422 and blank.json["errors"][0]["field"] == "name"
    bad_id = svc.client.post("/v1/deputies", headers=svc.headers(),
                             json={**body, "mobile": "13812345679", "id_number": "110105194912310021"})
    assert bad_id.status_code == 422 and bad_id.json["errors"][0]["field"] == "id_number"


def test_grids_and_stations_keep_the_integrators_id_and_a_changed_code_follows_it(svc):
    town = make_grid(svc, "QX", 1, external_id="ZZ-G-1")
    assert svc.client.get(f"/v1/grids/{town}", headers=svc.headers()).json["external_id"] == "ZZ-G-1"
    taken = svc.client.post("/v1/grids", json={"code": "QY", "name": "青云镇", "level": 1, "kind": "rural_village",
                                                "external_id": "ZZ-G-1"}, headers=svc.headers())
    assert taken.status_code == 409 and taken.json["errors"][0]["existing_id"] == town
    renamed = upload(svc, "grids", "ref,编码,名称,层级,类型\nZZ-G-1,QX-NEW,清溪镇,乡镇,农村\n".encode(), "grids.csv")
    assert renamed.json["updated"] == 1 and renamed.json["created"] == 0
    assert svc.client.get(f"/v1/grids/{town}", headers=svc.headers()).json["code"] == "QX-NEW"
    station = svc.client.post("/v1/stations", json={"name": "清溪镇联络站", "tier": "township", "address": "镇政府",
                                                     "grid_ids": [town], "external_id": "ZZ-S-1"},
                              headers=svc.headers())
    assert station.status_code == 201 and station.json["external_id"] == "ZZ-S-1"
    found = svc.client.get("/v1/stations?q=ZZ-S-1", headers=svc.headers()).json["items"]
    assert [s["id"] for s in found] == [station.json["id"]]


def test_a_dry_run_says_what_would_happen_and_changes_nothing(svc):
    content = GRIDS_CSV + "QX-01-02,第二组,3,NOPE,rural_village,250,800,2,,\n"
    preview = upload(svc, "grids", content.encode(), "grids.csv", dry_run="true")
    assert preview.status_code == 200 and preview.json["dry_run"] is True
    assert preview.json["created"] == 3 and preview.json["invalid_rows"] == 1
    assert preview.json["errors"][0]["column"] == "上级编码" and "NOPE" in preview.json["errors"][0]["reason"]
    assert svc.outbox() == [] and svc.client.get("/v1/grids", headers=svc.headers()).json["total"] == 0


def test_the_json_bulk_endpoints_keep_the_same_rules(svc):
    grids = [{"code": "QX", "name": "清溪镇", "level": 1, "kind": "rural_village", "external_id": "G1"},
             {"code": "QX-01", "name": "韶山村", "level": 2, "kind": "rural_village", "parent_code": "QX"},
             {"code": "QX-01-01", "name": "第一组", "level": 3, "kind": "rural_village", "parent_code": "QX-01",
              "households": 260, "workers": ["张三", "王五"]}]
    made = svc.client.post("/v1/grids/bulk", json={"items": grids}, headers=svc.headers())
    assert made.status_code == 200 and made.json["created"] == 3, made.json
    again = svc.client.post("/v1/grids/bulk", json={"items": grids}, headers=svc.headers())
    assert again.json["unchanged"] == 3
    deputies = [{"external_id": "D1", "name": "李红梅", "gender": "female", "level": "township",
                 "mobile": "13812345678", "home_grid_code": "QX-01-01", "term_start": "2021年12月1日"},
                {"external_id": "D2", "name": "  ", "gender": "male", "level": "county", "mobile": "13812345678",
                 "home_grid": "QX-01"}]
    refused = svc.client.post("/v1/deputies/bulk", json={"items": deputies}, headers=svc.headers())
    assert refused.status_code == 422 and refused.json["errors"][0]["column"] == "home_grid"
    refused = svc.client.post("/v1/deputies/bulk?ignore_unknown_columns=true", json={"items": deputies},
                              headers=svc.headers())
    reasons = {(e["row"], e["field"]) for e in refused.json["errors"]}
    assert {(2, "mobile"), (2, "name")} <= reasons and svc.client.get(
        "/v1/deputies", headers=svc.headers()).json["total"] == 0
    good = svc.client.post("/v1/deputies/bulk", json={"items": deputies[:1]}, headers=svc.headers())
    assert good.status_code == 200 and good.json["created"] == 1


def test_a_township_person_imports_only_within_their_grids(svc):
    _grids(svc)
    other = make_grid(svc, "QY", 1)
    mine = svc.client.get("/v1/grids?q=QX-01-01", headers=svc.headers()).json["items"][0]["id"]
    headers = svc.person("staff-1", scopes=("roster:read", "roster:admin"), grids=[mine])
    content = "编码,名称,层级,上级编码,类型\nQY-01,外乡村,村,QY,农村\nQX-01-01,第一组（改）,村民小组,QX-01,农村\n"
    builder_headers = headers
    from werkzeug.test import EnvironBuilder
    builder = EnvironBuilder(path="/v1/imports/grids", method="POST", headers=builder_headers,
                             data={"file": (io.BytesIO(content.encode()), "g.csv")}, content_type="multipart/form-data")
    response = svc.client.open(builder.get_environ())
    builder.close()
    assert response.status_code == 422, response.json
    assert [e["row"] for e in response.json["errors"]] == [2] and "所辖" in response.json["errors"][0]["reason"]
    assert other
    deputies = "姓名,性别,代表层级,手机,居住网格\n王秀英,女,乡镇,13812345678,QX-01-01\n李四,男,乡镇,13912345678,QY\n"
    builder = EnvironBuilder(path="/v1/imports/deputies", method="POST", headers=headers,
                             query_string={"import_valid_rows": "true"},
                             data={"file": (io.BytesIO(deputies.encode()), "d.csv")}, content_type="multipart/form-data")
    response = svc.client.open(builder.get_environ())
    builder.close()
    assert response.json["created"] == 1 and [e["row"] for e in response.json["errors"]] == [3], response.json


def test_an_xlsx_date_cell_and_typed_dates_are_read(svc):
    _grids(svc)
    from datetime import date
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "性别", "代表层级", "手机", "任期开始", "任期结束"])
    sheet.append(["李红梅", "女", "乡镇", "13812345678", date(2021, 12, 1), "2026年11月30日"])
    out = io.BytesIO()
    book.save(out)
    assert upload(svc, "deputies", out.getvalue(), "d.xlsx").json["created"] == 1
    bad = upload(svc, "deputies", "姓名,性别,代表层级,手机,任期开始\n王五,男,县,13912345678,明年\n".encode(), "d.csv")
    assert "2026年12月1日" in bad.json["errors"][0]["reason"]
