"""履职登记 on the deputy's phone: the year's targets, recording an entry, errors beside the field, withdrawing."""
import uuid

from portal_testkit import DEPUTY, csrf_of as _csrf, field_errors as _errors

YEAR = {"deputy_id": DEPUTY, "name": "欧林俊", "year": 2026,
        "counts": {"suggestion": 1, "inspection": 1, "survey": 0, "themed_activity": 0, "forum": 0,
                   "dispute_mediated": 0, "household_helped": 0},
        "targets": [{"key": "suggestions", "requirement_zh": "每年至少提出 1 条建议", "met": True, "done": "1 次"},
                    {"key": "inspections", "requirement_zh": "每年至少参加 2 次视察或调研", "met": None, "done": "1 次"},
                    {"key": "themed_activities", "requirement_zh": "每季度开展主题活动", "met": False,
                     "done": "0、0、0、0"}],
        "items": [{"id": str(uuid.UUID(int=7)), "kind": "suggestion", "kind_zh": "建议", "occurred_on": "2026-03-02",
                   "title": "关于硬化组级道路的建议", "summary": None, "addressed_to": "县交通运输局",
                   "reply": {"outcome": "adopted", "outcome_zh": "采纳办理", "text": "已列入明年计划",
                             "replied_on": "2026-04-01"}, "withdrawn": False, "withdrawn_reason": None}]}


def _wire(portal, refuse=None):
    portal.services.answers[f"/v1/deputies/{DEPUTY}/duties"] = YEAR
    portal.services.post_answers["/v1/duties/"] = {}
    if refuse:
        portal.services.refusals[f"/v1/deputies/{DEPUTY}/duties"] = refuse


def test_the_deputy_sees_the_targets_and_records_an_inspection(portal):
    _wire(portal)
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    portal.sign_in("dep")
    page = portal.client.get("/deputy/duties").get_data(as_text=True)
    assert "每年至少参加 2 次视察或调研" in page and "进行中" in page and "未达标" in page
    assert "采纳办理" in page and "县交通运输局" in page and "履职登记" in page
    answer = portal.client.post("/deputy/duties", data={
        "csrf_token": _csrf(page), "kind": "inspection", "occurred_on": "2026-09-18",
        "title": "视察农村饮水安全工程", "summary": "随县人大常委会视察"})
    assert answer.status_code == 302
    caller, service, path, body, _ = portal.services.posts[-1]
    assert (service, path) == ("roster", f"/v1/deputies/{DEPUTY}/duties")
    assert body == {"kind": "inspection", "occurred_on": "2026-09-18", "title": "视察农村饮水安全工程",
                    "summary": "随县人大常委会视察", "addressed_to": None}
    assert "duty:record" in caller.scopes


def test_mistakes_are_explained_beside_the_field_and_nothing_typed_is_lost(portal):
    _wire(portal)
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    portal.sign_in("dep")
    csrf = _csrf(portal.client.get("/deputy/duties").get_data(as_text=True))
    refused = portal.client.post("/deputy/duties", data={
        "csrf_token": csrf, "kind": "suggestion", "occurred_on": "2999-01-01",
        "title": "关于路灯的建议"})
    assert refused.status_code == 422
    assert _errors(refused) == {"occurred_on": "日期不能晚于今天", "addressed_to": "建议须写明提交的部门或单位"}
    assert "关于路灯的建议" in refused.get_data(as_text=True)  # what was typed stays in the form
    assert not [p for p in portal.services.posts if p[2].endswith("/duties")]


def test_a_refusal_by_roster_lands_beside_its_field_in_chinese(portal):
    _wire(portal, refuse=(422, [{"field": "occurred_on", "reason": "must not be before 2000-01-01"}]))
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    portal.sign_in("dep")
    csrf = _csrf(portal.client.get("/deputy/duties").get_data(as_text=True))
    refused = portal.client.post("/deputy/duties", data={
        "csrf_token": csrf, "kind": "forum", "occurred_on": "1999-12-31", "title": "村民座谈会"})
    assert refused.status_code == 422 and "日期不符合要求" in _errors(refused)["occurred_on"]
    assert "村民座谈会" in refused.get_data(as_text=True)


def test_withdrawing_needs_a_reason_and_only_deputies_see_the_page(portal):
    _wire(portal)
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    portal.sign_in("dep")
    csrf = _csrf(portal.client.get("/deputy/duties").get_data(as_text=True))
    record = str(uuid.UUID(int=7))
    portal.client.post("/deputy/duties/withdraw", data={"csrf_token": csrf, "record_id": record, "reason": ""})
    assert not [p for p in portal.services.posts if p[2].endswith("/withdraw")]
    portal.client.post("/deputy/duties/withdraw", data={"csrf_token": csrf, "record_id": record,
                                                        "reason": "重复登记"})
    assert portal.services.posts[-1][2:4] == (f"/v1/duties/{record}/withdraw", {"reason": "重复登记"})
    other = portal.app.test_client()
    portal.account("hotline1", "call_taker")
    portal.sign_in("hotline1", client=other)
    assert other.get("/deputy/duties").status_code == 403
