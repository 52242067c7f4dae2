"""KPIs on a hand-computed fixture: five counted cases (one withdrawn), one reopened, unrated ones kept apart."""
import io
import csv

import pytest
from openpyxl import load_workbook

from wangge_common.contracts import labels

from reporting.samples import G3, deliver_all, fixture_events

@pytest.fixture
def loaded(svc):
    roster, cases = fixture_events()
    deliver_all(svc, roster)
    for case in cases.values():
        deliver_all(svc, case.events)
    return svc, cases


def get(svc, url):
    response = svc.client.get(url, headers=svc.headers())
    assert response.status_code == 200, response.json
    return response


def test_the_county_kpis_match_the_hand_computed_figures(loaded):
    svc, _ = loaded
    body = get(svc, "/v1/kpis").json
    f = body["figures"]
    assert (f["cases"], f["closed"], f["on_time_closed"]) == (5, 3, 2)
    assert (f["rated"], f["satisfied"], f["basically_satisfied"], f["unsatisfied"], f["unrated"]) == (2, 1, 1, 0, 1)
    assert (f["answered"], f["replied"], f["reopened"]) == (4, 3, 1)
    assert f["closure_rate"] == 0.6 and f["on_time_closure_rate"] == 0.6667 and f["satisfaction_rate"] == 1.0
    assert f["reopen_rate"] == 0.2 and f["answer_rate"] == 0.75
    assert f["avg_handling_hours"] == 48.0 and f["p90_handling_hours"] == 72.0
    by_name = {k["name"]: k for k in body["kpis"]}
    assert by_name["closure_rate"]["target"] == 0.95 and by_name["closure_rate"]["meets"] is False
    assert by_name["satisfaction_rate"]["target"] == 0.9 and by_name["satisfaction_rate"]["meets"] is True
    assert by_name["satisfaction_rate"]["title"] == "满意率"


def test_slices_by_grid_township_department_deputy_channel(loaded):
    svc, _ = loaded
    by_grid = {r["label"]: r for r in get(svc, "/v1/kpis/slices?dimension=grid").json}
    assert (by_grid["韶山村"]["cases"], by_grid["韶山村"]["closure_rate"], by_grid["韶山村"]["reopen_rate"]) == (2, 1.0, 0.5)
    assert by_grid["永义村"]["satisfaction_rate"] is None and by_grid["永义村"]["unrated"] == 1  # c closed unrated; d is still open
    assert by_grid["清溪村"]["cases"] == 1  # the withdrawn case is not counted
    by_township = {r["label"]: r["cases"] for r in get(svc, "/v1/kpis/slices?dimension=township").json}
    assert by_township == {"韶山乡": 4, "清溪镇": 1}
    by_dept = {r["key"]: r["closed"] for r in get(svc, "/v1/kpis/slices?dimension=department").json}
    assert by_dept == {"d1": 2, "d2": 1, None: 0}
    by_deputy = {r["label"]: r["cases"] for r in get(svc, "/v1/kpis/slices?dimension=deputy").json}
    assert by_deputy == {"李红梅": 2, "王建国": 1, "（未定）": 2}
    by_channel = {r["label"]: r["cases"] for r in get(svc, "/v1/kpis/slices?dimension=channel").json}
    assert by_channel == {"热线电话": 3, "联络站接待": 1, "网上联络站": 1}
    assert [r["key"] for r in get(svc, "/v1/kpis/slices?dimension=period").json] == ["2026-11"]
    assert get(svc, "/v1/kpis/slices?period=2025").json == []


def test_the_cases_that_miss_a_kpi_are_listed(loaded):
    svc, cases = loaded
    ids = lambda url: sorted(r["case_id"] for r in get(svc, url).json["items"])  # noqa: E731
    assert ids("/v1/kpis/misses?kpi=closure_rate") == sorted([cases["d"].id, cases["e"].id])
    assert ids("/v1/kpis/misses?kpi=unrated") == [cases["c"].id]  # open cases are not "unrated" yet
    assert ids("/v1/kpis/misses?kpi=on_time_closure_rate") == [cases["b"].id]
    assert ids("/v1/kpis/misses?kpi=answer_rate") == [cases["d"].id]
    assert ids(f"/v1/kpis/misses?kpi=closure_rate&dimension=grid&key={G3}") == [cases["e"].id]


def test_bad_slice_requests_are_problems(svc):
    for url in ("/v1/kpis/slices?dimension=planet", "/v1/kpis?period=2026-13", "/v1/kpis/misses?kpi=luck"):
        r = svc.client.get(url, headers=svc.headers())
        assert r.status_code == 422 and r.mimetype == "application/problem+json", url
    assert svc.client.get("/v1/kpis", headers=svc.headers("reader")).status_code == 403


def test_every_table_downloads_as_csv_and_xlsx(loaded):
    svc, _ = loaded
    """Tables an office can use: Chinese headings, the grid's code and name first, rates as percentages, local
    times, words not codes, no JSON in a cell."""
    text = get(svc, "/v1/kpis/slices?dimension=grid&format=csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:3] == ["网格编号", "名称", "件数"]
    assert [(r["网格编号"], r["名称"]) for r in rows] == [("T1-01", "韶山村"), ("T1-02", "永义村"), ("T2-01", "清溪村")]
    assert rows[0]["办结率"].endswith("%") and rows[0]["办结率是否达标"] in ("达标", "未达标")
    assert not any(cell.startswith(("{", "[")) for row in rows for cell in row.values())
    book = load_workbook(io.BytesIO(get(svc, "/v1/kpis/slices?dimension=grid&format=xlsx").data))
    sheet = book.active
    assert sheet.max_row == 4 and sheet.cell(1, 1).value == "网格编号" and sheet.cell(2, 1).value == "T1-01"
    rate = next(c for c in sheet[2] if sheet.cell(1, c.column).value == "办结率")
    assert rate.number_format == "0.0%" and 0 <= rate.value <= 1
    misses = list(csv.DictReader(io.StringIO(
        get(svc, "/v1/kpis/misses?kpi=closure_rate&format=csv").data.decode("utf-8-sig"))))
    assert len(misses) == 2 and misses[0]["受理编号"] and misses[0]["受理时间"].count(":") == 1
    assert {m["当前状态"] for m in misses} <= set(labels.CASE_STATES.values())


def test_townships_do_not_depend_on_the_order_grids_arrived_in(svc):
    from reporting.samples import Case, grid, uid

    town, village, group = uid("town-x"), uid("village-x"), uid("group-x")
    case = Case("in-a-group", group)
    deliver_all(svc, case.events)
    deliver_all(svc, [grid(group, "X-1-1", "三组", 3, village), grid(village, "X-1", "新村", 2, town),
                      grid(town, "X", "新镇", 1)])  # children first
    rows = svc.client.get("/v1/kpis/slices?dimension=township", headers=svc.headers()).json
    assert [(r["key"], r["label"], r["cases"]) for r in rows] == [(town, "新镇", 1)]


def _answer_rate_of(svc, *cases):
    for case in cases:
        deliver_all(svc, case.events)
    return get(svc, "/v1/kpis").json["figures"]


def test_an_interim_reply_does_not_count_as_passing_the_answer_on(svc):
    """答复群众率 reached 122 %: interim replies before the answer were counted over answered cases."""
    from reporting.samples import G1, P1, Case

    interim_only = Case("i1", G1).assigned("d1").replied(P1, 1.5).answered("d1")
    interim_then_final = Case("i2", G1).assigned("d1").replied(P1, 1.5).answered("d1").replied(P1, 3)
    interim_not_answered = Case("i3", G1).assigned("d1").replied(P1, 1.5).replied(P1, 1.7)
    f = _answer_rate_of(svc, interim_only, interim_then_final, interim_not_answered)
    assert (f["answered"], f["replied"]) == (2, 1)
    assert f["answer_rate"] == 0.5


def test_several_replies_to_one_answer_count_once(svc):
    from reporting.samples import G1, P1, Case

    f = _answer_rate_of(svc, Case("s1", G1).assigned("d1").answered("d1").replied(P1).replied(P1, 3.5))
    assert (f["answered"], f["replied"], f["answer_rate"]) == (1, 1, 1.0)


def test_a_reopened_case_needs_its_new_answer_passed_on(svc):
    from reporting.samples import G1, P1, Case

    waiting = Case("r1", G1).assigned("d1").answered("d1").replied(P1).evaluated("unsatisfied").reopened()
    answered_again = (Case("r2", G1).assigned("d1").answered("d1").replied(P1).evaluated("unsatisfied").reopened()
                      .answered("d1", 30))
    passed_on = (Case("r3", G1).assigned("d1").answered("d1").replied(P1).evaluated("unsatisfied").reopened()
                 .answered("d1", 30).replied(P1, 31))
    f = _answer_rate_of(svc, waiting, answered_again, passed_on)
    assert (f["answered"], f["replied"]) == (2, 1)
    assert f["answer_rate"] == 0.5
    assert 0 <= f["answer_rate"] <= 1


def test_departments_are_shown_by_name(loaded):
    svc, _ = loaded
    rows = get(svc, "/v1/kpis/slices?dimension=department").json
    rows = rows["items"] if isinstance(rows, dict) else rows
    assert {r["key"]: r["label"] for r in rows if r["key"]} == {"d1": "镇村镇建设办", "d2": "镇民政办"}
