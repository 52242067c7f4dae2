"""The deputy's reception workflow and the call taker's registration: forms and their failure paths."""
import re

from portal_testkit import DEPUTY, GROUP, OTHER, VILLAGE


def _token(page: str) -> tuple[str, str | None]:
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    nonce = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page)
    return csrf, nonce.group(1) if nonce else None


def _errors(answer) -> dict:
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]+)</p>', answer.get_data(as_text=True)))


def _deputy(portal):
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    portal.sign_in("dep")


def _start(portal) -> str:
    csrf, _ = _token(portal.client.get("/deputy/reception").get_data(as_text=True))
    answer = portal.client.post("/deputy/reception/start", data={"csrf_token": csrf, "grid_id": GROUP})
    assert answer.status_code == 302
    page = portal.client.get("/deputy/reception").get_data(as_text=True)
    return re.search(r"/deputy/reception/([0-9a-f-]+)/matter", page).group(1)


def test_pages_need_the_right_person(portal):
    assert portal.client.get("/deputy").headers["Location"].startswith("/signin?next=/deputy")
    portal.account("ct1", "call_taker")
    portal.sign_in("ct1")
    assert portal.client.get("/deputy/reception").status_code == 403
    assert portal.client.get("/admin/accounts").status_code == 403


def test_a_reception_session_registers_matters_and_ends_as_intakes_record(portal):
    _deputy(portal)
    draft = _start(portal)
    again = _token(portal.client.get("/deputy/reception").get_data(as_text=True))[0]
    portal.client.post("/deputy/reception/start", data={"csrf_token": again, "grid_id": GROUP})  # a second tap
    from portal.models import ReceptionDraft
    from sqlalchemy import func, select
    with portal.runtime.db.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ReceptionDraft)) == 1
    csrf, nonce = _token(portal.client.get(f"/deputy/reception/{draft}/matter").get_data(as_text=True))
    body = {"csrf_token": csrf, "nonce": nonce, "grid_id": GROUP, "category": "request", "topic": "road",
            "content": "组里的水泥路有个大坑。", "name": "李大爷", "phone": "13812345678", "urgency": "normal",
            "special_groups": ["elderly_alone"]}
    assert portal.client.post(f"/deputy/reception/{draft}/matter", data=body).status_code == 302
    sent = portal.services.posts[-1]
    assert sent[2] == "/v1/cases" and sent[3]["channel"] == "station"
    assert sent[3]["received_by"] == {"kind": "deputy", "id": DEPUTY} and sent[3]["special_groups"] == ["elderly_alone"]
    page = portal.client.get("/deputy/reception").get_data(as_text=True)
    assert "本次已登记（1 件）" in page and "道路交通" in page
    csrf, _ = _token(page)
    refused = portal.client.post(f"/deputy/reception/{draft}/end", data={"csrf_token": csrf,
                                                                          "residents_received": "很多"})
    assert refused.status_code == 422 and _errors(refused) == {"residents_received": "请填写人数（数字）"}
    ended = portal.client.post(f"/deputy/reception/{draft}/end", data={"csrf_token": csrf, "residents_received": "3"})
    assert ended.status_code == 302
    record = portal.services.posts[-1]
    assert record[2] == "/v1/reception-sessions" and record[4] == f"reception-{draft}"
    assert record[3]["residents_received"] == 3 and len(record[3]["case_ids"]) == 1
    assert record[3]["deputies"] == [{"deputy_id": DEPUTY, "kind": "npc_deputy"}]
    assert "共 125 分钟" in portal.client.get("/deputy/reception").get_data(as_text=True)


def test_the_matter_form_explains_what_is_missing_and_shows_similar_cases_first(portal):
    _deputy(portal)
    draft = _start(portal)
    csrf, nonce = _token(portal.client.get(f"/deputy/reception/{draft}/matter").get_data(as_text=True))
    body = {"csrf_token": csrf, "nonce": nonce, "grid_id": GROUP, "category": "", "content": "坑",
            "phone": "12345", "urgency": "normal"}
    refused = portal.client.post(f"/deputy/reception/{draft}/matter", data=body)
    assert refused.status_code == 422
    assert _errors(refused) == {"category": "必填", "content": "5 至 2000 字",
                                "phone": "请填写手机号码或座机号码（如 0731-55681234）"}
    body.update(category="request", content="组里的水泥路有个大坑。", phone="")
    assert _errors(portal.client.post(f"/deputy/reception/{draft}/matter", data=body)) == {
        "phone": "请留联系电话，或勾选匿名反映"}
    portal.services.similar = [{"basis": "similar_content", "case": {
        "id": "c1", "tracking_code": "WGAAAA2222", "category": "request", "topic": "road", "status": "assigned"}}]
    body.update(anonymous="y")
    shown = portal.client.post(f"/deputy/reception/{draft}/matter", data=body)
    page = shown.get_data(as_text=True)
    assert shown.status_code == 422 and "WGAAAA2222" in page and "内容相近" in page and "已交办" in page
    assert not [p for p in portal.services.posts if p[2] == "/v1/cases"]
    body.update(confirmed="y")
    assert portal.client.post(f"/deputy/reception/{draft}/matter", data=body).status_code == 302
    assert portal.services.posts[-1][3]["reporter"] is None  # anonymous


def test_a_service_refusing_the_grid_is_a_403_page(portal):
    from portal.clients import ServiceError

    _deputy(portal)
    draft = _start(portal)
    csrf, nonce = _token(portal.client.get(f"/deputy/reception/{draft}/matter").get_data(as_text=True))

    def refuse(*args, **kwargs):
        raise ServiceError("intake", 403, "the case's grid is outside the grids of person:x")

    portal.services.get = lambda *a, **k: [] if a[2] == "/v1/cases/similar" else type(portal.services).get(
        portal.services, *a, **k)
    portal.services.post = refuse
    answer = portal.client.post(f"/deputy/reception/{draft}/matter", data={
        "csrf_token": csrf, "nonce": nonce, "grid_id": OTHER, "category": "request", "content": "伪造网格的诉求内容",
        "anonymous": "y", "urgency": "normal"})
    assert answer.status_code == 403 and "不在您的网格或部门范围内" in answer.get_data(as_text=True)


def test_a_call_taker_registers_a_call_and_sees_it_in_todays_list(portal):
    portal.account("ct1", "call_taker")
    portal.sign_in("ct1")
    page = portal.client.get("/hotline").get_data(as_text=True)
    csrf, nonce = _token(page)
    body = {"csrf_token": csrf, "nonce": nonce, "grid_id": "", "category": "complaint", "topic": "wages",
            "content": "工地拖欠工资三个月。", "name": "张三", "phone": "0731-55681234", "urgency": "urgent"}
    assert _errors(portal.client.post("/hotline", data=body)) == {"grid_id": "必填"}
    body["grid_id"] = OTHER
    assert portal.client.post("/hotline", data=body).status_code == 302
    sent = portal.services.posts[-1][3]
    assert sent["channel"] == "hotline" and sent["received_by"] == {"kind": "call_taker", "id": "ct1"}
    assert sent["urgency"] == "urgent"
    page = portal.client.get("/hotline").get_data(as_text=True)
    assert "今天我登记的（1 件）" in page and "拖欠工资" in page and "工地拖欠工资三个月" in page
    assert "清溪镇 · 泉江村 · 第二村民小组" in page and "清溪镇 · 泉江村<" in page
    # a grid roster has just added is there at once (a cached list once left it out for five minutes)
    portal.services.grids["g-new"] = {"id": "g-new", "code": "T1-01-03", "name": "第三村民小组", "level": 3,
                                      "parent_id": VILLAGE}
    assert "清溪镇 · 泉江村 · 第三村民小组" in portal.client.get("/hotline").get_data(as_text=True)


def test_a_visit_is_recorded_with_the_matter_raised_in_it(portal):
    _deputy(portal)
    csrf, nonce = _token(portal.client.get("/deputy/visits").get_data(as_text=True))
    body = {"csrf_token": csrf, "nonce": nonce, "grid_id": GROUP, "visited_on": "2026-12-01", "kind": "door_to_door",
            "residents_reached": "3", "notes": "走访了解灌溉用水情况。", "category": "request", "content": ""}
    assert _errors(portal.client.post("/deputy/visits", data=body)) == {"content": "选了诉求类别，请写明诉求内容"}
    refused = portal.client.post("/deputy/visits", data={**body, "category": "", "notes": "他的电话 13812345678"})
    assert refused.status_code == 422 and _errors(refused) == {"notes": "民情日志里不要写电话或身份证号"}
    body["content"] = "水渠堵塞，需要清淤。"
    done = portal.client.post("/deputy/visits", data=body)
    assert done.status_code == 302
    case, visit = [p for p in portal.services.posts if p[2] in ("/v1/cases", "/v1/visits")][-2:]
    assert case[3]["channel"] == "visit" and case[3]["received_by"] == {"kind": "deputy", "id": DEPUTY}
    assert visit[3]["case_ids"] == [portal.services.cases[case[4]]["id"]] and visit[3]["residents_reached"] == 3
    assert visit[4] == f"visit-{nonce}" and case[4] == f"visit-case-{nonce}"
    assert "入户走访" in portal.client.get("/deputy/visits").get_data(as_text=True)


def test_the_deputy_sees_the_reception_days_they_are_on_duty_for_wherever_held(portal):
    """接待日: the days roster lists for this deputy (at a grid or a liaison station), on the home page and above the
    form that starts a session."""
    portal.services.answers["/v1/reception-days"] = {"items": [
        {"id": "d1", "day": "2099-01-08", "grid_id": None, "station_id": "s1", "place": "银杏社区代表联络点",
         "starts_at": "2099-01-08T01:00:00Z", "ends_at": "2099-01-08T03:00:00Z", "deputy_ids": [DEPUTY],
         "status": "changed", "reason": "改在社区二楼"}], "total": 1}
    _deputy(portal)
    for path in ("/deputy", "/deputy/reception"):
        page = portal.client.get(path).get_data(as_text=True)
        assert "我值班的接待日" in page and "01月08日 09:00–11:00 银杏社区代表联络点" in page, path
        assert "已调整" in page and "改在社区二楼" in page
        assert portal.services.asked["/v1/reception-days"]["deputy_id"] == DEPUTY
