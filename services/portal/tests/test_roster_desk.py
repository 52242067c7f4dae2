"""The township's roster desk with roster faked: who may open which page, refusals shown in Chinese, an import
preview that writes nothing, the approver's role and binding."""
import io
import re
import uuid

from portal import domain
from portal.clients import ServiceError
from portal_testkit import GROUP, TOWNSHIP, VILLAGE, OTHER, FakeServices

PLAN, DEPUTY_ID = str(uuid.UUID(int=500)), str(uuid.UUID(int=501))


class FakeRoster(FakeServices):
    """Roster's answers the roster desk reads, its writes recorded, and refusals on demand."""

    def __init__(self):
        super().__init__()
        self.calls, self.refuse_step = [], None
        self.plan = {"id": PLAN, "scope_grid_id": TOWNSHIP, "status": "draft", "feasible": True, "violations": [],
                     "rules": {"min_per_grid": 1, "max_per_grid": 3, "max_load": 1}, "created_by": "person:x",
                     "created_at": "2026-12-06T01:00:00+00:00", "summary": {"grids": 2, "deputies": 2},
                     "grids": [{"grid_id": GROUP, "code": "T1-01-01", "name": "第一村民小组", "deputies": [
                         {"deputy_id": "d1", "name": "欧阳红", "level": "township", "kind": "npc_deputy",
                          "basis": "home_or_work"}]}]}

    def get(self, caller, service, path, **params):
        if path == "/v1/grids" and "under" in params:
            found = [g for g in self.grids.values() if not params.get("q") or params["q"] in g["name"]]
            return {"items": [{**g, "kind": "rural_village", "households": 250, "flags": []} for g in found],
                    "total": len(found)}
        if path == "/v1/deputies":
            return {"items": [{"id": "d1", "name": "欧阳红", "level": "township", "kind": "npc_deputy",
                               "status": "serving", "home_grid_id": GROUP, "mobile_masked": "138****5678"}],
                    "total": 1}
        if path == f"/v1/deputies/{DEPUTY_ID}":
            return {"id": DEPUTY_ID, "name": "欧阳红", "level": "township", "kind": "npc_deputy", "status": "serving",
                    "home_grid_id": GROUP, "mobile_masked": "138****5678", "phone_display": "station",
                    "position": None, "office_phone": None, "pledge": None, "external_id": None}
        if path == "/v1/assignment-plans":
            return {"items": [self.plan], "total": 1}
        if path == f"/v1/assignment-plans/{PLAN}":
            return self.plan
        return super().get(caller, service, path, **params)

    def post(self, caller, service, path, body, *, idempotency_key=None):
        if path.startswith(f"/v1/assignment-plans/{PLAN}/"):
            self.calls.append(path)
            if self.refuse_step:
                raise ServiceError(service, self.refuse_step, "one person cannot both draft and approve")
            return self.plan
        return super().post(caller, service, path, body, idempotency_key=idempotency_key)

    def call(self, caller, method, service, path, *, params=None, data=None, files=None, headers=None, json=None,
             expect=None):
        self.calls.append((method, path, params, json))
        if path.startswith("/v1/imports/"):
            if (params or {}).get("dry_run"):
                return {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "invalid_rows": 1, "dry_run": True,
                        "errors": [{"row": 3, "field": "mobile", "column": "手机", "reason": "须为 11 位手机号码"}],
                        "unknown_columns": [{"column": "籍贯", "reason": "“籍贯”不是代表导入的列"}],
                        "ignored_columns": [], "outcomes": [{"row": 2, "action": "created", "label": "王秀英"}]}
            return {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "invalid_rows": 1, "errors": []}
        if method == "PATCH":
            raise ServiceError(service, 409, "external_id 'X' already names grid …")
        return super().call(caller, method, service, path, params=params, data=data, headers=headers, json=json)


def _portal(portal):
    portal.services = portal.runtime.services = FakeRoster()
    portal.runtime.cached_grids = lambda *_: frozenset({TOWNSHIP, VILLAGE, GROUP, OTHER})
    return portal.services


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_the_approver_role_is_bound_to_a_township_and_may_approve():
    assert "roster:approve" in domain.ROLE_SCOPES["township_approver"]
    assert "roster:approve" not in domain.ROLE_SCOPES["township_staff"]
    assert domain.binding_problems("township_approver", None, None, None) == [("grid_id", "乡镇账户须绑定一个乡镇网格")]
    assert domain.HOME["township_approver"] == "roster_plans.plans"


def test_who_may_open_the_roster_desk(portal):
    _portal(portal)
    portal.account("chair", "township_approver", grid_id=TOWNSHIP)
    portal.sign_in("chair")
    assert portal.client.get("/desk/roster").status_code == 403  # the approver approves plans, keeps no roster
    assert portal.client.get("/desk/plans").status_code == 200
    portal.client.post("/signout", data={"csrf_token": _csrf(portal.client.get("/desk/plans").get_data(True))})
    portal.account("staff", "township_staff", grid_id=TOWNSHIP)
    portal.sign_in("staff")
    page = portal.client.get("/desk/roster?tab=grids&q=第一").get_data(as_text=True)
    assert "第一村民小组" in page and "第二村民小组" not in page and "农村村组" in page
    deputies = portal.client.get("/desk/roster?tab=deputies").get_data(as_text=True)
    assert "乡镇人大代表" in deputies and "在任" in deputies and ">township<" not in deputies  # the code is shown by its label
    assert portal.client.get("/desk/roster?tab=nope").status_code == 404


def test_a_refused_edit_is_said_in_chinese_and_keeps_what_was_typed(portal):
    _portal(portal)
    portal.account("staff", "township_staff", grid_id=TOWNSHIP)
    portal.sign_in("staff")
    portal.services.grids[GROUP].update(kind="rural_village", households=250, population=800, difficulty=2,
                                        leader=None, workers=[], external_id=None)
    page = portal.client.get(f"/desk/roster/grids/{GROUP}").get_data(as_text=True)
    answer = portal.client.post(f"/desk/roster/grids/{GROUP}", data={
        "csrf_token": _csrf(page), "name": "第一村民小组", "kind": "rural_village", "households": "260",
        "population": "800", "difficulty": "2", "external_id": "X"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "与名册中已有的记录冲突" in text and 'value="X"' in text
    assert "already names" not in text


def test_an_import_is_previewed_and_written_only_when_confirmed(portal, tmp_path):
    services = _portal(portal)
    portal.account("staff", "township_staff", grid_id=TOWNSHIP)
    portal.sign_in("staff")
    page = portal.client.get("/desk/roster/import").get_data(as_text=True)
    preview = portal.client.post("/desk/roster/import", content_type="multipart/form-data", data={
        "csrf_token": _csrf(page), "what": "deputies", "file": (io.BytesIO("姓名,籍贯\n".encode()), "d.csv")})
    text = preview.get_data(as_text=True)
    assert "尚未写入任何数据" in text and "“籍贯”不是代表导入的列" in text and "须为 11 位手机号码" in text
    assert [c[2] for c in services.calls] == [{"dry_run": "true"}]  # only the dry run so far
    token = re.search(r'id="token" name="token" type="hidden" value="([0-9a-f]{32})"', text).group(1)
    forged = portal.client.post("/desk/roster/import/confirm", data={"csrf_token": _csrf(text), "token": "0" * 32,
                                                                      "what": "deputies"})
    assert forged.status_code == 302 and len(services.calls) == 1  # an unknown upload is never sent
    done = portal.client.post("/desk/roster/import/confirm", data={
        "csrf_token": _csrf(text), "token": token, "what": "deputies", "ignore_unknown_columns": "y",
        "import_valid_rows": "y"}, follow_redirects=True)
    assert "导入完成：新增 1 条" in done.get_data(as_text=True)
    assert services.calls[-1][2] == {"ignore_unknown_columns": "true", "import_valid_rows": "true"}
    assert not list((tmp_path / "portal-imports").iterdir())  # the upload is not kept once imported


def test_approving_ones_own_plan_is_refused_in_chinese(portal):
    services = _portal(portal)
    portal.account("chair", "township_approver", grid_id=TOWNSHIP)
    portal.sign_in("chair")
    page = portal.client.get(f"/desk/plans/{PLAN}").get_data(as_text=True)
    assert "审定通过" in page and "居住或工作在本网格" in page
    services.refuse_step = 403
    refused = portal.client.post(f"/desk/plans/{PLAN}/approve", data={"csrf_token": _csrf(page)})
    assert refused.status_code == 403 and "不能审定自己起草或提交的方案" in refused.get_data(as_text=True)
    portal.account("staff", "township_staff", grid_id=TOWNSHIP)
    portal.client.post("/signout", data={"csrf_token": _csrf(page)})
    portal.sign_in("staff")
    staff_page = portal.client.get(f"/desk/plans/{PLAN}").get_data(as_text=True)
    assert "审定通过" not in staff_page
    assert portal.client.post(f"/desk/plans/{PLAN}/approve", data={"csrf_token": _csrf(staff_page)}).status_code == 403


def test_a_status_change_needs_its_reason_beside_the_field(portal):
    services = _portal(portal)
    portal.account("staff", "township_staff", grid_id=TOWNSHIP)
    portal.sign_in("staff")
    page = portal.client.get(f"/desk/roster/deputies/{DEPUTY_ID}").get_data(as_text=True)
    form = {"csrf_token": _csrf(page), "name": "欧阳红", "phone_display": "station", "home_grid_id": GROUP,
            "status": "suspended", "position": "村委会主任"}
    answer = portal.client.post(f"/desk/roster/deputies/{DEPUTY_ID}", data=form)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="reason-error">变更状态须填写变更原因' in text
    assert 'value="村委会主任"' in text and not [c for c in services.calls if c[0] == "PATCH"]
    office = portal.client.post(f"/desk/roster/deputies/{DEPUTY_ID}", data={**form, "status": "serving",
                                                                            "phone_display": "office"})
    assert office.status_code == 422 and "公示本人办公电话时须填写办公电话" in office.get_data(as_text=True)
