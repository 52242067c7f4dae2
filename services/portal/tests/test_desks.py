"""The township office and department desks against faked services: who may open what, what each form sends,
and every failure path (a reason beside the field in Chinese, nothing typed lost, a service's 403 and 409)."""
import re
import uuid
from io import BytesIO

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from portal.clients import ServiceError
from portal_testkit import GROUP, TOWNSHIP, DEPUTY, FakeServices

CASE, ORDER = str(uuid.UUID(int=501)), str(uuid.UUID(int=502))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


def _case(state="returned", **extra):
    return {"case_id": CASE, "tracking_code": "WGTEST0001", "grid_id": GROUP, "category": "enquiry", "topic": None,
            "urgency": "normal", "state": state, "path": "manual", "registered_at": "2026-12-01T02:00:00+00:00",
            "return_count": 1, "reopen_count": 0, "evaluation_round": 1, "replied_at": None,
            "work_orders": [_order(state="returned")], "history": [{
                "event_type": "work_order.returned", "actor": "person:nobody", "reason": "不属于本部门职责",
                "at": "2026-12-01T03:00:00+00:00", "work_order_id": ORDER,
                "details": {"department": {"code": "town-office", "name": "镇党政综合办"}}}], **extra}


def _order(state="dispatched", **extra):
    return {"id": ORDER, "case_id": CASE, "department_code": "town-office", "department_name": "镇党政综合办",
            "role": "sole", "state": state, "created_at": "2026-12-01T02:00:00+00:00",
            "due_at": "2026-12-20T02:00:00+00:00", "sign_due_at": "2026-12-02T02:00:00+00:00", "overdue": False,
            "supervision": None, "escalation_step": None, "extension_requested_due_at": None, "summary": None,
            "case": {"tracking_code": "WGTEST0001", "category": "enquiry", "topic": None, "urgency": "normal",
                     "grid_id": GROUP}, **extra}


class DeskServices(FakeServices):
    """The fake services, answering the desks' reads as routing, intake and roster would."""

    def __init__(self):
        super().__init__()
        self.case, self.order, self.refuse_post = _case(), _order(), None

    def get(self, caller, service, path, **params):
        return self.read(caller, service, path, params)

    def call(self, caller, method, service, path, *, params=None, **rest):
        if method == "GET":
            return self.read(caller, service, path, params or {})
        return super().call(caller, method, service, path, params=params, **rest)

    def read(self, caller, service, path, params):
        if caller.departments and path.startswith("/v1/work-orders/") and self.order["department_code"] \
                not in caller.departments:
            raise ServiceError(service, 403, "another department's order")
        if service == "routing" and path == "/v1/cases":
            return {"items": [self.case], "total": 1, "page": 1, "page_size": 30}
        if path == "/v1/work-orders/counts":
            return {"states": {"dispatched": 1, "signed": 0, "in_progress": 0, "answered": 0}, "due_soon": 0,
                    "overdue": 0, "extension_pending": 0}
        if path == "/v1/work-orders":
            return {"items": [self.order], "total": 1, "page": 1, "page_size": 30}
        if path == f"/v1/cases/{CASE}":
            return self.case if service == "routing" else {"id": CASE, "content": "想咨询分红发放时间。",
                                                           "channel": "hotline", "attachments": [],
                                                           "special_groups": [], "location": None}
        if path == f"/v1/cases/{CASE}/suggestion":
            return {"path": "manual", "department_code": None, "department_name": None, "returned_by": ["town-office"],
                    "reason": "no rule"}
        if path == f"/v1/work-orders/{ORDER}":
            return self.order
        if path == f"/v1/work-orders/{ORDER}/history":
            return self.case["history"]
        if path == "/v1/dispatch-rules":
            return [{"category": "request", "topic": None, "level": "town", "department_code": "town-office",
                     "department_name": "镇党政综合办"},
                    {"category": "request", "topic": "land", "level": "county",
                     "department_code": "county-natural-resources", "department_name": "县自然资源局"},
                    {"category": "enquiry", "topic": "legal", "level": "town", "department_code": "town-legal-service",
                     "department_name": "镇司法所"}]
        return super().get(caller, service, path, **params)

    def post(self, caller, service, path, body, *, idempotency_key=None):
        if self.refuse_post:
            status, errors = self.refuse_post
            raise ServiceError(service, status, "refused", errors)
        return super().post(caller, service, path, body, idempotency_key=idempotency_key)


def _desk(portal, role, **binding):
    portal.services = portal.runtime.services = DeskServices()
    portal.account("u1", role, **binding)
    portal.sign_in("u1")
    return portal.services


def _csrf(page: str, prefix: str = "") -> str:
    return re.search(rf'name="{prefix}csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _errors(answer) -> dict:
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]+)</p>', answer.get_data(as_text=True)))


def test_each_desk_is_for_its_own_people(portal):
    _desk(portal, "department", department="town-office")
    assert portal.client.get("/desk").headers["Location"] == "/desk/department"
    assert portal.client.get("/desk/township/triage").status_code == 403
    inbox = portal.client.get("/desk/department").get_data(as_text=True)
    assert "新工单（待签收）（1）" in inbox and "WGTEST0001" in inbox and "咨询" in inbox
    assert "2026-12-20 10:00" in inbox  # the deadline in local time (UTC+8)


def test_another_departments_order_is_a_403_page_in_chinese(portal):
    _desk(portal, "department", department="town-water")
    refused = portal.client.get(f"/desk/orders/{ORDER}")
    assert refused.status_code == 403 and "不在您的网格或部门范围内" in refused.get_data(as_text=True)


def test_the_triage_queue_and_a_case_with_the_suggestion_first(portal):
    _desk(portal, "township_staff", grid_id=TOWNSHIP)
    assert portal.client.get("/desk").headers["Location"] == "/desk/township/triage"
    queue = portal.client.get("/desk/township/triage").get_data(as_text=True)
    assert "WGTEST0001" in queue and "第一村民小组" in queue and "已退回" in queue
    page = portal.client.get(f"/desk/cases/{CASE}").get_data(as_text=True)
    assert page.index("匹配的部门均已退回") < page.index("分办方式")
    assert "退回工单" in page and "不属于本部门职责" in page and "镇司法所" in page


def test_a_triage_without_its_department_keeps_what_was_typed(portal):
    services = _desk(portal, "township_staff", grid_id=TOWNSHIP)
    csrf = _csrf(portal.client.get(f"/desk/cases/{CASE}").get_data(as_text=True))
    answer = portal.client.post(f"/desk/township/cases/{CASE}/triage", data={
        "csrf_token": csrf, "path": "town", "reason": "经核实属镇职责"})
    assert answer.status_code == 422 and _errors(answer) == {"department": "请选择承办部门"}
    assert "经核实属镇职责</textarea>" in answer.get_data(as_text=True)
    assert not [p for p in services.posts if p[2].endswith("/triage")]
    answer = portal.client.post(f"/desk/township/cases/{CASE}/triage", data={
        "csrf_token": csrf, "path": "joint_mediation", "lead": "town-office", "members": ["county-natural-resources"],
        "mediators": "张调解员、李律师", "deputy": DEPUTY, "reason": "涉及多个部门"})
    assert answer.status_code == 302
    [(_, service, path, body, _)] = [p for p in services.posts if p[2].endswith("/triage")]
    assert service == "routing" and path == f"/v1/cases/{CASE}/triage"
    assert body == {"path": "joint_mediation", "reason": "涉及多个部门", "mediators": ["张调解员", "李律师"],
                    "convenor_deputy_id": DEPUTY, "departments": [
                        {"code": "town-office", "name": "镇党政综合办", "role": "lead"},
                        {"code": "county-natural-resources", "name": "县自然资源局", "role": "member"}]}


def test_a_refusal_by_routing_is_shown_in_chinese_on_the_form(portal):
    services = _desk(portal, "township_staff", grid_id=TOWNSHIP)
    services.refuse_post = (409, [{"field": "state", "reason": "a signed order cannot be replaced"}])
    csrf = _csrf(portal.client.get(f"/desk/cases/{CASE}").get_data(as_text=True))
    answer = portal.client.post(f"/desk/township/cases/{CASE}/triage", data={
        "csrf_token": csrf, "path": "major_issue", "reason": "网格内无法解决"})
    assert answer.status_code == 422 and "当前状态下不能这样办理" in _errors(answer)["path"]


def test_an_unsatisfied_return_visit_needs_its_note(portal):
    services = _desk(portal, "township_staff", grid_id=TOWNSHIP)
    services.case = _case(state="resolved")
    csrf = _csrf(portal.client.get(f"/desk/cases/{CASE}").get_data(as_text=True))
    answer = portal.client.post(f"/desk/township/cases/{CASE}/rating", data={"csrf_token": csrf,
                                                                             "rating": "unsatisfied"})
    assert answer.status_code == 422 and "请记录不满意的原因" in _errors(answer)["comment"]
    answer = portal.client.post(f"/desk/township/cases/{CASE}/rating", data={
        "csrf_token": csrf, "rating": "unsatisfied", "comment": "标准没说清楚"})
    assert answer.status_code == 302
    assert services.posts[-1][2:4] == (f"/v1/cases/{CASE}/ratings", {
        "rating": "unsatisfied", "via": "return_visit", "comment": "标准没说清楚"})


def test_a_fake_photo_or_a_bad_date_is_refused_beside_the_field(portal):
    services = _desk(portal, "department", department="town-office")
    services.order = _order(state="in_progress")
    csrf = _csrf(portal.client.get(f"/desk/orders/{ORDER}").get_data(as_text=True), "answer-")
    answer = portal.client.post(f"/desk/department/orders/{ORDER}/answer", content_type="multipart/form-data", data={
        "answer-csrf_token": csrf, "answer-summary": "已办理完毕。", "answer-photo": (BytesIO(b"<html>"), "x.jpg")})
    assert answer.status_code == 422 and "JPG 或 PNG" in _errors(answer)["answer-photo"]
    assert "已办理完毕。</textarea>" in answer.get_data(as_text=True) and not services.uploads
    answer = portal.client.post(f"/desk/department/orders/{ORDER}/extension", data={
        "extension-csrf_token": csrf, "extension-requested": "下周五", "extension-reason": "等待配件"})
    assert "2026-12-10 17:00" in _errors(answer)["extension-requested"]
    assert 'value="下周五"' in answer.get_data(as_text=True)
    answer = portal.client.post(f"/desk/department/orders/{ORDER}/answer", content_type="multipart/form-data", data={
        "answer-csrf_token": csrf, "answer-summary": "已办理完毕。", "answer-photo": (BytesIO(JPEG), "done.jpg")})
    assert answer.status_code == 302 and services.uploads[0][0] == {"grid_id": GROUP, "name": "done.jpg"}
    sent = services.posts[-1]
    assert sent[2] == f"/v1/work-orders/{ORDER}/answer" and sent[3]["attachments"][0]["media_type"] == "image/jpeg"


def test_an_answer_carries_up_to_three_photos_checked_as_the_online_form_checks_them(portal):
    services = _desk(portal, "department", department="town-office")
    services.order = _order(state="in_progress")
    csrf = _csrf(portal.client.get(f"/desk/orders/{ORDER}").get_data(as_text=True), "answer-")

    def send(*photos):
        form = MultiDict([("answer-csrf_token", csrf), ("answer-summary", "路灯已全部修复。")]
                         + [("answer-photo", FileStorage(BytesIO(body), filename=name)) for name, body in photos])
        # encoded in memory: the test client would spool a large body to a temporary file it never closes
        stream, _, boundary = stream_encode_multipart(form, use_tempfile=False)
        return portal.client.post(f"/desk/department/orders/{ORDER}/answer", data=stream.read(),
                                  content_type=f'multipart/form-data; boundary="{boundary}"')

    four = send(*[(f"p{i}.jpg", JPEG) for i in range(4)])
    assert four.status_code == 422 and "最多上传 3 张" in _errors(four)["answer-photo"] and not services.uploads
    big = send(("a.jpg", JPEG), ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024)))
    assert "超过 5 MB" in _errors(big)["answer-photo"] and "路灯已全部修复。</textarea>" in big.get_data(as_text=True)
    three = send(("a.jpg", JPEG), ("b.png", b"\x89PNG\r\n\x1a\n" + b"1" * 100), ("c.jpg", JPEG))
    assert three.status_code == 302 and [u[0]["name"] for u in services.uploads] == ["a.jpg", "b.png", "c.jpg"]
    sent = services.posts[-1][3]["attachments"]
    assert [a["media_type"] for a in sent] == ["image/jpeg", "image/png", "image/jpeg"]
    page = portal.client.get(f"/desk/orders/{ORDER}").get_data(as_text=True)
    assert 'multiple name="answer-photo"' in page and "最多 3 张" in page


def test_the_lead_of_a_joint_mediation_records_the_mediated_outcome(portal):
    services = _desk(portal, "department", department="town-office")
    services.order = _order(state="in_progress", role="lead")
    services.case = _case(state="in_progress", path="joint_mediation")
    page = portal.client.get(f"/desk/orders/{ORDER}").get_data(as_text=True)
    assert "调处结果" in page and "达成协议" in page
    csrf = _csrf(page, "answer-")
    answer = portal.client.post(f"/desk/department/orders/{ORDER}/answer", data={
        "answer-csrf_token": csrf, "answer-summary": "双方达成调解协议。"})
    assert answer.status_code == 422
    assert _errors(answer) == {"answer-outcome": "牵头单位须选择调处结果", "answer-mediators": "请填写参与调处的调解员"}
    answer = portal.client.post(f"/desk/department/orders/{ORDER}/answer", data={
        "answer-csrf_token": csrf, "answer-summary": "双方达成调解协议。", "answer-outcome": "agreement",
        "answer-mediators": "张调解员，李律师"})
    assert answer.status_code == 302
    assert services.posts[-1][3]["mediation"] == {"outcome": "agreement", "mediators": ["张调解员", "李律师"]}


def test_an_on_the_spot_answer_names_the_grids_deputy(portal):
    services = _desk(portal, "township_staff", grid_id=TOWNSHIP)
    page = portal.client.get(f"/desk/cases/{CASE}").get_data(as_text=True)
    assert "欧林俊" in page  # the grid's deputy, a choice: nobody types an id
    answer = portal.client.post(f"/desk/township/cases/{CASE}/triage", data={
        "csrf_token": _csrf(page), "path": "on_the_spot", "deputy": DEPUTY, "reason": "代表已当场解释"})
    assert answer.status_code == 422 and _errors(answer) == {"summary": "请写明现场解答的内容"}
    answer = portal.client.post(f"/desk/township/cases/{CASE}/triage", data={
        "csrf_token": _csrf(page), "path": "on_the_spot", "deputy": DEPUTY, "summary": "已解释分红发放流程。",
        "reason": "代表已当场解释"})
    assert answer.status_code == 302
    assert services.posts[-1][2:4] == (f"/v1/cases/{CASE}/on-the-spot-answer", {
        "deputy_id": DEPUTY, "summary": "已解释分红发放流程。", "reason": "代表已当场解释"})


def test_a_county_matter_is_forwarded_by_the_township_before_the_department_may_sign(portal):
    """Issue 17 item 3 on the desks: 待转办 is the township congress's step; the department waits for it."""
    waiting = {"awaiting_forward": True, "forward_due_at": "2026-12-02T02:00:00+00:00",
               "department_code": "town-office", "department_name": "县交通运输局"}
    services = _desk(portal, "township_staff", grid_id=TOWNSHIP)
    services.order = _order(**waiting)
    board = portal.client.get("/desk/township/supervision").get_data(as_text=True)
    assert "县级事项待转办" in board and "WGTEST0001" in board
    page = portal.client.get(f"/desk/orders/{ORDER}").get_data(as_text=True)
    assert "转办县职能部门" in page and "2026-12-02 10:00" in page  # the forwarding limit in local time
    csrf = _csrf(page, "forward-")
    empty = portal.client.post(f"/desk/township/orders/{ORDER}/forward", data={"forward-csrf_token": csrf,
                                                                                "forward-reason": "  "})
    assert empty.status_code == 422 and "forward-reason" in _errors(empty)
    done = portal.client.post(f"/desk/township/orders/{ORDER}/forward", data={
        "forward-csrf_token": csrf, "forward-reason": "已核实，请县交通运输局办理"})
    assert done.status_code == 302
    assert services.posts[-1][2:4] == (f"/v1/work-orders/{ORDER}/forward", {"reason": "已核实，请县交通运输局办理"})
    portal.client = portal.app.test_client()  # a second person on another browser
    portal.services = portal.runtime.services = services = DeskServices()
    portal.account("handler", "department", department="town-office")
    portal.sign_in("handler")
    services.order = _order(**waiting)
    page = portal.client.get(f"/desk/orders/{ORDER}").get_data(as_text=True)
    assert "正待镇人大转办" in page
    assert f"/orders/{ORDER}/sign\"" not in page and f"/orders/{ORDER}/return\"" not in page  # no forms yet


def test_the_answer_with_three_photos_in_chromium_on_a_phone_and_a_desktop(portal):
    """A handler answers with three photos from a phone, after a fake one is refused beside the field."""
    from pathlib import Path

    from wangge_common.testing import browser_page, live_server

    shots = Path(__file__).resolve().parents[3] / "tests" / "integration" / ".screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    services = _desk(portal, "department", department="town-office")
    services.order = _order(state="in_progress")
    photo = {"mimeType": "image/jpeg", "buffer": JPEG}
    with live_server(portal.app) as base:
        for name, viewport in (("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1280, "height": 900})):
            with browser_page(viewport) as page:
                page.goto(base + "/signin")
                page.fill("#username", "u1")
                page.fill("#password", "correct-horse-9")
                with page.expect_navigation():
                    page.click("button:has-text('登录')")
                page.goto(base + f"/desk/orders/{ORDER}")
                page.fill("#answer-summary", "路灯已全部修复，附照片。")
                page.set_input_files("#answer-photo", files=[{**photo, "name": "a.jpg"},
                                                             {"name": "x.jpg", "mimeType": "image/jpeg",
                                                              "buffer": b"<html>"}])
                with page.expect_navigation():
                    page.click("button:has-text('提交办复')")
                assert "不是 JPG 或 PNG 照片" in page.inner_text("#answer-photo-error")
                assert page.input_value("#answer-summary") == "路灯已全部修复，附照片。"
                page.screenshot(path=str(shots / f"portal-answer-photos-error-{name}.png"), full_page=True)
                page.set_input_files("#answer-photo", files=[{**photo, "name": f"{i}.jpg"} for i in range(3)])
                with page.expect_navigation():
                    page.click("button:has-text('提交办复')")
                assert "已办复" in page.inner_text(".flash")
                sent = services.posts[-1][3]["attachments"]
                assert [a["name"] for a in sent] == ["0.jpg", "1.jpg", "2.jpg"]
