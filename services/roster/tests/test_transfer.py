"""Import and export of grids and deputies: CSV and XLSX, row-by-row validation, all or nothing by default."""
import csv
import io
import time

from openpyxl import Workbook, load_workbook
from werkzeug.test import EnvironBuilder

GRIDS_CSV = """编码,名称,层级,上级编码,类型,户数,人口,难度,网格长,网格员
QX,清溪镇,1,,urban_community,0,0,2,毛建国,
QX-01,韶山村,2,QX,rural_village,0,0,2,,
QX-01-01,韶山村第一村民小组,3,QX-01,rural_village,260,830,3,李四,张三、王五
"""


def upload(svc, what, content: bytes, filename, **query):
    # The builder spools a large body to a temporary file: close it, or the test leaks the file.
    builder = EnvironBuilder(path=f"/v1/imports/{what}", method="POST", query_string=query, headers=svc.headers(),
                             data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")
    environ = builder.get_environ()
    try:
        return svc.client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def wait_for_job(svc, location, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        job = svc.client.get(location, headers=svc.headers()).json
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_a_good_csv_of_grids_is_imported_with_parents_first_and_announced(svc):
    # Children before parents in the file: the importer orders by level.
    lines = GRIDS_CSV.strip().split("\n")
    content = "\n".join([lines[0], lines[3], lines[2], lines[1]]).encode("utf-8")
    response = upload(svc, "grids", content, "grids.csv")
    assert response.status_code == 200, response.json
    answer = {k: v for k, v in response.json.items() if k != "outcomes"}
    assert answer == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0, "invalid_rows": 0, "errors": [],
                      "unknown_columns": [], "ignored_columns": [], "dry_run": False}
    assert [(o["row"], o["action"]) for o in response.json["outcomes"]] == [(2, "created"), (3, "created"),
                                                                           (4, "created")]
    assert [e.type for e in svc.outbox()] == ["grid.created"] * 3
    group = svc.client.get("/v1/grids?level=3", headers=svc.headers()).json["items"][0]
    assert group["workers"] == ["张三", "王五"] and group["households"] == 260


def test_a_file_with_bad_rows_changes_nothing_and_lists_every_bad_row(svc):
    content = (GRIDS_CSV + "QX-01-02,第二组,3,NOPE,rural_village,-5,800,2,,\n"
               "QX-01-03,第三组,7,QX-01,village,250,800,2,,\n"
               "QX-01-01,重复,3,QX-01,rural_village,250,800,2,,\n").encode("gb18030")
    response = upload(svc, "grids", content, "grids.csv")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert "6 行中有 3 行有误，未导入任何数据" in response.json["detail"]
    by_row = {(e["row"], e["field"]) for e in response.json["errors"]}
    # Every reason of a bad row is listed, not only the first one found.
    assert {(5, "parent_code"), (5, "households"), (6, "level"), (6, "kind"), (7, "code")} <= by_row
    assert svc.outbox() == [] and svc.client.get("/v1/grids", headers=svc.headers()).json["total"] == 0
    partial = upload(svc, "grids", content, "grids.csv", import_valid_rows="true")
    assert partial.status_code == 200 and partial.json["created"] == 3 and partial.json["invalid_rows"] == 3


def test_deputies_from_xlsx_resolve_grid_codes_and_keep_mobiles_encrypted(svc):
    upload(svc, "grids", GRIDS_CSV.encode(), "grids.csv")
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "性别", "代表层级", "职务", "手机", "居住网格", "专长", "任期开始", "任期结束"])
    # As offices type them: the mobile as a number, gender and level in Chinese.
    sheet.append(["李红梅", "女", "乡镇", "村党支部书记", 13812345678, "QX-01-01", "agriculture、law",
                  "2021-12-01", "2026-11-30"])
    sheet.append(["王建国", "男", "县", None, 12345, "QX-99", None, None, None])
    out = io.BytesIO()
    book.save(out)
    response = upload(svc, "deputies", out.getvalue(), "deputies.xlsx")
    assert response.status_code == 422
    errors = {(e["row"], e["field"]): e["reason"] for e in response.json["errors"]}
    assert set(errors) == {(3, "home_grid_code"), (3, "mobile")} and "11 位手机号码" in errors[(3, "mobile")]
    response = upload(svc, "deputies", out.getvalue(), "deputies.xlsx", import_valid_rows="true")
    assert response.json["created"] == 1
    deputy = svc.client.get("/v1/deputies", headers=svc.headers()).json["items"][0]
    assert deputy["specialities"] == ["agriculture", "law"] and deputy["mobile_masked"] == "138****5678"
    assert (deputy["gender"], deputy["level"]) == ("female", "township")


def test_an_export_has_the_import_shape_and_re_imports_as_updates(svc):
    upload(svc, "grids", GRIDS_CSV.encode(), "grids.csv")
    exported = svc.client.get("/v1/exports/grids?format=csv", headers=svc.headers("reader"))
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert [r["code"] for r in rows] == ["QX", "QX-01", "QX-01-01"] and rows[2]["parent_code"] == "QX-01"
    before = len(svc.outbox())
    again = upload(svc, "grids", exported.data, "grids.csv")
    assert (again.json["updated"], again.json["unchanged"]) == (0, 3)
    assert len(svc.outbox()) == before  # unchanged rows emit nothing
    rows[2]["households"] = "280"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    upload(svc, "grids", edited.getvalue().encode(), "grids.csv")
    assert svc.outbox()[-1].type == "grid.updated" and svc.outbox()[-1].data["households"] == 280
    xlsx = svc.client.get("/v1/exports/deputies?format=xlsx", headers=svc.headers())
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    # XLSX is the office's sheet (issue 19.7; test_office_exports.py): the grid first, in Chinese, no UUID first
    assert [c.value for c in sheet[1]][:4] == ["派驻网格编码", "派驻网格名称", "姓名", "性别"]


def test_unreadable_files_are_refused(svc):
    assert upload(svc, "grids", b"x", "grids.txt").json["errors"][0]["field"] == "file"
    assert upload(svc, "grids", b"not a zip", "grids.xlsx").json["errors"][0]["field"] == "file"
    missing = svc.client.post("/v1/imports/grids", data={}, headers=svc.headers(), content_type="multipart/form-data")
    assert missing.status_code == 422


def test_a_county_sized_file_above_the_api_body_limit_is_accepted(svc):
    header = "code,name,level,parent_code,kind,households,population,difficulty,leader,workers\n"
    workers = "、".join(f"网格员{'甲乙丙丁戊己庚辛壬癸'[j]}某某某某" for j in range(10))
    rows = "".join(f"Z{i:05d},{'很长的网格名称' * 5}{i},1,,rural_village,0,0,1,,{workers}\n" for i in range(2800))
    content = (header + rows).encode()
    assert len(content) > 1024 * 1024
    response = upload(svc, "grids", content, "grids.csv")
    # over WANGGE_ROSTER_IMPORT_SYNC_ROWS rows: a job, polled until it is done
    assert response.status_code == 202, response.json
    job = wait_for_job(svc, response.headers["Location"])
    assert (job["status"], job["created"], job["rows_written"], job["progress"]) == ("succeeded", 2800, 2800, 1.0)


def test_exported_deputies_come_back_as_updates_by_id_without_touching_the_mobile(svc):
    upload(svc, "grids", GRIDS_CSV.encode(), "grids.csv")
    svc.client.post("/v1/deputies", json={"name": "李红梅", "gender": "female", "level": "township",
                                          "mobile": "13812345678"}, headers=svc.headers())
    exported = svc.client.get("/v1/exports/deputies", headers=svc.headers()).data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[0]["mobile"] == "" and rows[0]["mobile_masked"] == "138****5678"
    rows[0]["position"] = "韶山村党支部书记"
    rows[0]["home_grid_code"] = "QX-01-01"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    response = upload(svc, "deputies", edited.getvalue().encode(), "deputies.csv")
    assert response.json["updated"] == 1 and response.json["created"] == 0
    event = svc.outbox()[-1]
    assert event.type == "deputy.updated" and event.data["position"] == "韶山村党支部书记"
    contact = svc.client.get(f"/v1/internal/deputies/{rows[0]['id']}/contact", headers=svc.headers()).json
    assert contact["phone"] == "13812345678"


def test_grids_with_chinese_values_and_numeric_codes_from_xlsx(svc):
    book = Workbook()
    sheet = book.active
    sheet.append(["编码", "名称", "层级", "上级编码", "类型", "户数"])
    sheet.append([43, "清溪镇", "乡镇", None, "农村", 0])
    sheet.append([4301, "韶山村", "村", 43, "行政村", 0])
    sheet.append([430101, "火车站小区", "村民小组", 4301, "城市社区", 620])
    sheet.append([430102, "某组", "网格", 4301, "山区", 250])
    out = io.BytesIO()
    book.save(out)
    response = upload(svc, "grids", out.getvalue(), "grids.xlsx")
    assert response.status_code == 422
    assert {(e["row"], e["field"]) for e in response.json["errors"]} == {(5, "level"), (5, "kind")}
    assert upload(svc, "grids", out.getvalue(), "grids.xlsx", import_valid_rows="true").json["created"] == 3
    estate = svc.client.get("/v1/grids?level=3", headers=svc.headers()).json["items"][0]
    assert (estate["code"], estate["kind"], estate["flags"]) == ("430101", "urban_community",
                                                                 ["households_outside_range:300-500"])


def test_an_export_with_an_ended_term_re_imports_unchanged_but_refuses_a_change_to_it(svc):
    upload(svc, "grids", GRIDS_CSV.encode(), "grids.csv")
    deputy = svc.client.post("/v1/deputies", json={"name": "李红梅", "gender": "female", "level": "township",
                                                   "mobile": "13812345678"}, headers=svc.headers()).json["id"]
    svc.client.post(f"/v1/deputies/{deputy}/end", json={"reason": "任期届满", "ended_on": "2026-11-30"},
                    headers=svc.headers())
    exported = svc.client.get("/v1/exports/deputies", headers=svc.headers()).data
    before = len(svc.outbox())
    again = upload(svc, "deputies", exported, "deputies.csv")
    assert again.status_code == 200 and again.json["errors"] == [] and len(svc.outbox()) == before
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    rows[0]["position"] = "改任"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    refused = upload(svc, "deputies", edited.getvalue().encode(), "deputies.csv")
    assert refused.status_code == 422 and refused.json["errors"][0]["row"] == 2
    assert "任期已终止" in refused.json["errors"][0]["reason"] and len(svc.outbox()) == before


def test_a_status_change_by_import_needs_its_reason_column(svc):
    deputy = svc.client.post("/v1/deputies", json={"name": "李红梅", "gender": "female", "level": "township",
                                                   "mobile": "13812345678"}, headers=svc.headers()).json["id"]
    bare = f"id,状态\n{deputy},暂停履职\n".encode()
    refused = upload(svc, "deputies", bare, "deputies.csv")
    assert refused.status_code == 422 and refused.json["errors"] == [
        {"row": 2, "field": "reason", "column": "变更原因", "reason": "变更状态须填写“变更原因”"}]
    with_reason = f"id,状态,变更原因\n{deputy},暂停履职,暂停执行代表职务\n".encode()
    assert upload(svc, "deputies", with_reason, "deputies.csv").json["updated"] == 1
    assert svc.outbox()[-1].data["reason"] == "暂停执行代表职务"
    exported = svc.client.get("/v1/exports/deputies", headers=svc.headers()).data.decode("utf-8-sig")
    assert "reason" not in exported.splitlines()[0].split(",") and ",suspended" in exported
