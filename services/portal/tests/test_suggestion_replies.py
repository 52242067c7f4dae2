"""建议答复 on the township desk: the township's suggestions waiting for a reply, recorded with reasons beside the
fields when something is wrong."""
import uuid

from portal_testkit import TOWNSHIP, csrf_of as _csrf, field_errors as _errors

RECORD = str(uuid.UUID(int=901))
WAITING = {"items": [{"id": RECORD, "deputy_id": str(uuid.UUID(int=99)), "deputy_name": "欧林俊", "kind": "suggestion",
                      "kind_zh": "建议", "occurred_on": "2026-11-02", "title": "关于组道路灯的建议", "summary": None,
                      "grid_id": None, "addressed_to": "县住建局", "recorded_by": "person:x",
                      "recorded_at": "2026-11-02T02:00:00Z", "reply": None, "withdrawn": False,
                      "withdrawn_reason": None, "withdrawn_by": None}], "total": 1, "page": 1, "page_size": 200}


def _wire(portal, refuse=None):
    portal.services.answers["/v1/duties"] = WAITING
    portal.services.post_answers["/v1/duties/"] = {}
    if refuse:
        portal.services.refusals["/v1/duties/"] = refuse


def test_staff_record_the_departments_reply_to_a_suggestion(portal):
    _wire(portal)
    portal.account("town", "township_staff", grid_id=TOWNSHIP)
    portal.sign_in("town")
    page = portal.client.get("/desk/township/suggestions").get_data(as_text=True)
    assert "关于组道路灯的建议" in page and "欧林俊代表" in page and "县住建局" in page and "采纳办理" in page
    assert portal.services.asked["/v1/duties"] == {"kind": "suggestion", "replied": "false", "township_id": TOWNSHIP,
                                      "page_size": 200}
    missing = portal.client.post("/desk/township/suggestions", data={
        "csrf_token": _csrf(page), "record_id": RECORD, "outcome": "adopted", "text": "", "replied_on": "2999-01-01"})
    assert missing.status_code == 422
    assert _errors(missing) == {"text": "请填写答复内容", "replied_on": "日期不能晚于今天"}
    done = portal.client.post("/desk/township/suggestions", data={
        "csrf_token": _csrf(page), "record_id": RECORD, "outcome": "adopted", "text": "已列入明年计划",
        "replied_on": "2026-11-20"})
    assert done.status_code == 302
    assert portal.services.posts[-1][2:4] == (f"/v1/duties/{RECORD}/reply", {
        "outcome": "adopted", "text": "已列入明年计划", "replied_on": "2026-11-20"})


def test_a_refused_reply_keeps_what_was_typed_beside_the_reason(portal):
    _wire(portal, refuse=(422, [{"field": "replied_on", "reason": "must not be before the suggestion"}]))
    portal.account("town", "township_staff", grid_id=TOWNSHIP)
    portal.sign_in("town")
    page = portal.client.get("/desk/township/suggestions").get_data(as_text=True)
    refused = portal.client.post("/desk/township/suggestions", data={
        "csrf_token": _csrf(page), "record_id": RECORD, "outcome": "explained", "text": "政策解释", "replied_on": "2026-10-01"})
    assert refused.status_code == 422 and "早于提出建议" in _errors(refused)["replied_on"]
    assert "政策解释" in refused.get_data(as_text=True)
    other = portal.app.test_client()
    portal.account("dep", "deputy", deputy_id=str(uuid.UUID(int=99)))
    portal.sign_in("dep", client=other)
    assert other.get("/desk/township/suggestions").status_code == 403
