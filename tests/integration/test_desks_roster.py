"""The township's roster desk in Chromium on the real stack (issue 16 item 1): 名册 with an import previewed before
anything is written, and 派驻方案 drafted, refused to its own drafter's approval, approved by another person and
published, each step recorded as the person who took it. Screenshots at 390 px and 1280 px."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from test_portal import _account, _sign_in
from wangge_common.browser import missing_glyphs
from wangge_common.testing import browser_page

SHOTS = Path(__file__).parent / ".screenshots"
PHONE, DESK = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def _shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def township(stack, api):
    """A township (a village, two groups, two township deputies living there) and three people: two staff members
    and the township's approver (乡镇人大主席)."""
    roster, suffix = stack.url("roster"), uuid.uuid4().hex[:6]

    def create(path, body):
        response = api.post(roster + path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    town = create("/v1/grids", {"code": f"RD-{suffix}", "name": "名册镇", "level": 1, "kind": "rural_village"})
    village = create("/v1/grids", {"code": f"RD-{suffix}-01", "name": "清泉村", "level": 2, "kind": "rural_village",
                                   "parent_id": town["id"]})
    groups = [create("/v1/grids", {"code": f"RD-{suffix}-01-0{i}", "name": f"清泉村第{'一二'[i - 1]}组", "level": 3,
                                   "kind": "rural_village", "parent_id": village["id"], "households": 250})
              for i in (1, 2)]
    for i, group in enumerate(groups):
        create("/v1/deputies", {"name": ("欧阳红", "李建国")[i], "gender": "female", "level": "township",
                                "mobile": f"136{uuid.uuid4().int % 10**8:08d}", "home_grid_id": group["id"]})
    users = {role: f"{role[:4]}{suffix}" for role in ("staff", "chair")}
    _account(stack, users["staff"], "township_staff", grid_id=town["id"])
    _account(stack, users["chair"], "township_approver", grid_id=town["id"])
    return {"town": town, "village": village, "groups": groups, "suffix": suffix, "users": users}


def _preview(page, base, upload):
    """Upload a deputies' file on the import page and land on its preview."""
    page.goto(base + "/desk/roster/import")
    page.check("input[value=deputies]")
    page.set_input_files("#file", str(upload))
    with page.expect_navigation():
        page.click("button:has-text('上传并预览')")


def _deputies(api, stack, town):
    found = api.get(stack.url("roster") + "/v1/deputies", params={"under": town["id"], "page_size": 100}).json()
    return sorted(d["name"] for d in found["items"])


def test_an_import_with_bad_rows_shows_every_problem_and_writes_nothing_until_confirmed(stack, api, township,
                                                                                         tmp_path):
    base, suffix = stack.url("portal"), township["suffix"]
    group = township["groups"][0]["code"]
    upload = tmp_path / "代表名册.csv"
    upload.write_text(
        "姓名,性别,代表层级,手机,居住网格,任期开始,籍贯\n"
        f"王秀英,女,乡镇,1371{uuid.uuid4().int % 10**7:07d},{group},2021年12月1日,湖南\n"
        f"张三,男,乡镇,1371234,{group},2021/12/01,湖南\n"  # a mobile too short
        f"李四,男,乡镇,1381{uuid.uuid4().int % 10**7:07d},RD-{suffix}-99,2021-12-01,湖南\n",  # no such grid
        encoding="utf-8")
    before = _deputies(api, stack, township["town"])
    for viewport, size in ((PHONE, "390"), (DESK, "1280")):
        with browser_page(viewport) as page:
            _sign_in(page, base, township["users"]["staff"])
            _preview(page, base, upload)
            content = page.content()
            assert "尚未写入任何数据" in content and missing_glyphs(page) == []
            assert "“籍贯”不是代表导入的列" in page.locator("#unknown-columns").inner_text()
            problems = page.locator("#row-problems").inner_text()
            assert "第 3 行" in problems and "须为 11 位手机号码" in problems
            assert "第 4 行" in problems and f"RD-{suffix}-99" in problems
            _shot(page, f"roster-import-preview-{size}")
    assert _deputies(api, stack, township["town"]) == before  # the preview wrote nothing
    with browser_page(DESK) as page:
        _sign_in(page, base, township["users"]["staff"])
        _preview(page, base, upload)
        with page.expect_navigation():  # confirmed without saying what to do with the problems: nothing written
            page.click("#confirm-import")
        assert "未导入任何数据" in page.content()
        assert _deputies(api, stack, township["town"]) == before
        _preview(page, base, upload)
        page.check("#ignore_unknown_columns")
        page.check("#import_valid_rows")
        with page.expect_navigation():
            page.click("#confirm-import")
        assert "导入完成：新增 1 条" in page.content() and "有问题未导入 2 行" in page.content()
        assert "王秀英" in page.content()
        _shot(page, "roster-deputies-1280")
    assert _deputies(api, stack, township["town"]) == sorted(before + ["王秀英"])


def test_the_roster_lists_searches_and_edits_with_reasons_beside_fields(stack, api, township):
    base = stack.url("portal")
    with browser_page(PHONE) as page:
        _sign_in(page, base, township["users"]["staff"])
        page.goto(base + "/desk/roster?tab=grids&q=第二组")
        assert "清泉村第二组" in page.content() and "清泉村第一组" not in page.content()
        assert "村民小组（小区）网格" in page.content() and "农村村组" in page.content()
        _shot(page, "roster-grids-390")
        with page.expect_navigation():
            page.click("text=编辑")
        page.fill("#name", "   ")
        page.fill("#households", "-3")
        with page.expect_navigation():
            page.click("button:has-text('保存')")
        assert page.locator("#name-error").inner_text() in ("必填", "不能只填空格")
        assert "须在 0 到 1000000 之间" in page.locator("#households-error").inner_text()
        assert page.input_value("#households") == "-3"  # the form keeps what was typed
        page.fill("#name", "清泉村第二组")
        page.fill("#households", "262")
        with page.expect_navigation():
            page.click("button:has-text('保存')")
        assert "已保存" in page.content()
    grid = api.get(stack.url("roster") + f"/v1/grids/{township['groups'][1]['id']}").json()
    assert grid["households"] == 262


def test_a_plan_is_refused_to_its_drafter_then_approved_by_another_person_and_published(stack, api, township):
    base, users = stack.url("portal"), township["users"]
    with browser_page(DESK) as page:  # the chair drafts a plan, then cannot approve it
        _sign_in(page, base, users["chair"])
        page.goto(base + "/desk/plans")
        with page.expect_navigation():
            page.click("button:has-text('按规则生成草稿')")
        own_plan = page.url.rsplit("/", 1)[1]
        with page.expect_navigation():
            page.click("#approve-plan")
        assert "不能审定自己起草或提交的方案" in page.locator("#refusal").inner_text()
        assert "草稿" in page.content() and missing_glyphs(page) == []
        _shot(page, "plan-self-approval-refused-1280")
    own = api.get(stack.url("roster") + f"/v1/assignment-plans/{own_plan}").json()
    assert own["status"] == "draft" and own["approved_by"] is None
    with browser_page(PHONE) as page:  # the staff member drafts, edits a grid, submits
        _sign_in(page, base, users["staff"])
        page.goto(base + "/desk/plans")
        with page.expect_navigation():
            page.click("button:has-text('按规则生成草稿')")
        plan_id = page.url.rsplit("/", 1)[1]
        assert "符合全部硬性规则" in page.content() and "居住或工作在本网格" in page.content()
        group = township["groups"][0]["id"]
        page.click(f"#g-{group} summary")
        for box in page.locator(f"#g-{group} input[type=checkbox]").all():
            box.uncheck()
        with page.expect_navigation():
            page.click(f"#g-{group} button:has-text('保存这个网格')")
        assert "网格没有乡镇人大代表" in page.locator("#violations").inner_text()
        _shot(page, "plan-violations-390")
        page.click(f"#g-{group} summary")
        page.check(f"#g-{group} label:has-text('欧阳红') input")
        with page.expect_navigation():
            page.click(f"#g-{group} button:has-text('保存这个网格')")
        assert "符合全部硬性规则" in page.content()
        with page.expect_navigation():
            page.click("#submit-plan")
        assert "待审定" in page.content()
    with browser_page(DESK) as page:  # the chair approves and publishes, then prints the notice
        _sign_in(page, base, users["chair"])
        page.goto(f"{base}/desk/plans/{plan_id}")
        with page.expect_navigation():
            page.click("#approve-plan")
        with page.expect_navigation():
            page.click("#publish-plan")
        content = page.content()
        assert "已公布" in content and "集成" + users["staff"] in content and "集成" + users["chair"] in content
        _shot(page, "plan-published-1280")
        page.goto(f"{base}/desk/plans/{plan_id}/notice")
        assert "名册镇人大代表进网格派驻公示" in page.content() and "欧阳红（乡镇人大代表）" in page.content()
        assert missing_glyphs(page) == []
        _shot(page, "plan-notice-1280")
    with browser_page(PHONE) as page:
        _sign_in(page, base, users["staff"])
        page.goto(f"{base}/desk/plans/{plan_id}/notice")
        _shot(page, "plan-notice-390")
    plan = api.get(stack.url("roster") + f"/v1/assignment-plans/{plan_id}").json()
    accounts = {u: _account_id(stack, u) for u in users.values()}
    assert plan["created_by"] == plan["submitted_by"] == f"person:{accounts[users['staff']]}"
    assert plan["approved_by"] == plan["published_by"] == f"person:{accounts[users['chair']]}"
    published = api.get(stack.url("roster") + "/v1/assignments",
                        params={"grid_id": township["groups"][0]["id"], "current": "true"}).json()["items"]
    assert [a["deputy_name"] for a in published] == ["欧阳红"]


def _account_id(stack, username) -> str:
    import sqlite3

    with sqlite3.connect(stack.var_dir / "portal.db") as db:
        return db.execute("select id from accounts where username=?", (username,)).fetchone()[0]
