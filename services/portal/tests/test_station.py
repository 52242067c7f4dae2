"""The online liaison station's form: every failure path re-shows the form with the reason beside the field and
keeps what was typed; a double tap sends one Idempotency-Key; photos are checked by content; throttling."""
import io
import re

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from portal_testkit import GROUP, OTHER, TOWNSHIP, VILLAGE, Portal

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 1000


def _form(portal, **query):
    page = portal.client.get("/online/form", query_string=query).get_data(as_text=True)
    return (re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1),
            re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1))


def _body(portal, **changes):
    token, nonce = _form(portal, township=TOWNSHIP)
    body = {"csrf_token": token, "nonce": nonce, "township": TOWNSHIP, "grid_choice": GROUP, "category": "request",
            "topic": "lighting", "content": "村口路灯坏了三天，晚上出行不便。", "name": "王秀英",
            "mobile": "13912345678", "consent": "y"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _errors(answer) -> list[str]:
    return re.findall(r'<p class="error" id="([\w-]+)-error">([^<]+)</p>', answer.get_data(as_text=True))


def test_a_request_becomes_one_online_case_even_when_sent_twice(portal):
    body = _body(portal)
    first = portal.client.post(f"/online/form?township={TOWNSHIP}", data=body)
    assert first.status_code == 302 and first.headers["Location"].startswith("/online/done/WG")
    again = portal.client.post(f"/online/form?township={TOWNSHIP}", data=body)
    assert again.headers["Location"] == first.headers["Location"]
    cases = [p for p in portal.services.posts if p[2] == "/v1/cases"]
    assert len({p[4] for p in cases}) == 1 and cases[0][4] == f"online-{body['nonce']}"
    sent = cases[0][3]
    assert sent["channel"] == "online" and sent["grid_id"] == GROUP and sent["topic"] == "lighting"
    assert sent["reporter"] == {"name": "王秀英", "phone": "13912345678"}
    assert cases[0][0].actor_kind == "resident"  # the station acts for an anonymous resident, not a person
    done = portal.client.get(first.headers["Location"]).get_data(as_text=True)
    assert first.headers["Location"].rsplit("/", 1)[1] in done and "查看办理进度" in done


def test_invalid_input_is_explained_beside_each_field_and_nothing_typed_is_lost(portal):
    answer = portal.client.post(f"/online/form?township={TOWNSHIP}",
                                data=_body(portal, content="短", mobile="1234", consent=None, category=""))
    assert answer.status_code == 422
    assert dict(_errors(answer)) == {"category": "必填", "content": "请写 5 至 2000 字，说清事情、地点和时间",
                                     "mobile": "请填写 11 位手机号码，如 13812345678", "consent": "须同意后才能提交"}
    page = answer.get_data(as_text=True)
    assert 'value="王秀英"' in page and 'value="1234"' in page and "短</textarea>" in page
    assert f'<option value="{GROUP}" selected>' in page and '<option value="lighting" selected>' in page
    assert not [p for p in portal.services.posts if p[2] == "/v1/cases"]


def test_topic_must_belong_to_the_category_and_the_grid_to_the_township(portal):
    answer = portal.client.post(f"/online/form?township={TOWNSHIP}", data=_body(portal, category="complaint",
                                                                                topic="lighting"))
    assert dict(_errors(answer)) == {"topic": "“路灯照明”不属于所选类别，请重新选择"}
    answer = portal.client.post(f"/online/form?township={TOWNSHIP}", data=_body(portal, grid_choice=""))
    assert dict(_errors(answer)) == {"grid_choice": "请选择所在的村（社区）和组"}
    answer = portal.client.post(f"/online/form?township={TOWNSHIP}",
                                data=_body(portal, grid_choice="00000000-0000-0000-0000-00000000dead"))
    assert answer.status_code == 422 and "grid_choice" in dict(_errors(answer))


def test_photos_are_checked_by_content_size_and_count(portal):
    def send(*files):
        body = _body(portal)
        body["photos"] = [(io.BytesIO(data), name) for name, data in files]
        files = MultiDict([(k, v) for k, v in body.items() if k != "photos"]
                          + [("photos", FileStorage(stream, filename=name)) for stream, name in body["photos"]])
        # encoded in memory: the test client would spool a large body to a temporary file it never closes
        stream, length, boundary = stream_encode_multipart(files, use_tempfile=False)
        return portal.client.post(f"/online/form?township={TOWNSHIP}", data=stream.read(),
                                  content_type=f'multipart/form-data; boundary="{boundary}"')

    fake = send(("lamp.jpg", b"GIF89a" + b"\x00" * 100))
    assert dict(_errors(fake)) == {"photos": "“lamp.jpg”不是 JPG 或 PNG 照片，请重新选择"}
    big = send(("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024)))
    assert dict(_errors(big)) == {"photos": "照片“big.jpg”超过 5 MB，请压缩后重新选择"}
    many = send(*[(f"{i}.jpg", JPEG) for i in range(4)])
    assert dict(_errors(many)) == {"photos": "最多上传 3 张照片"}
    assert portal.services.uploads == []
    ok = send(("a.jpg", JPEG), ("b.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50))
    assert ok.status_code == 302
    assert [(u[0]["grid_id"], u[2]["Content-Type"]) for u in portal.services.uploads] == [
        (GROUP, "image/jpeg"), (GROUP, "image/png")]
    case = [p for p in portal.services.posts if p[2] == "/v1/cases"][-1][3]
    assert [a["media_type"] for a in case["attachments"]] == ["image/jpeg", "image/png"]


def test_the_services_refusal_is_shown_beside_the_field(portal):
    portal.services.refuse = (422, [{"field": "reporter.phone", "reason": "must be a mobile number"}])
    answer = portal.client.post(f"/online/form?township={TOWNSHIP}", data=_body(portal))
    assert answer.status_code == 422 and dict(_errors(answer)) == {"mobile": "填写有误，请检查后重新提交"}


def test_a_qr_link_fills_the_grid_in_and_a_poster_prints_it(portal):
    page = portal.client.get(f"/online/form?grid={GROUP}").get_data(as_text=True)
    assert "清溪镇泉江村第一村民小组" in page and 'name="grid_choice"' not in page
    assert portal.client.get("/online/form?grid=00000000-0000-0000-0000-00000000dead").status_code == 404
    poster = portal.client.get(f"/grids/{GROUP}/poster").get_data(as_text=True)
    assert "<svg" in poster and f"/online/form?grid={GROUP}" in poster and "@page{size:A4" in poster
    token, nonce = _form(portal, grid=GROUP)
    answer = portal.client.post(f"/online/form?grid={GROUP}", data={
        "csrf_token": token, "nonce": nonce, "grid": GROUP, "category": "request", "content": "路灯不亮已有一周。",
        "name": "李四", "mobile": "13700001111", "consent": "y"})
    assert answer.status_code == 302
    assert portal.services.posts[-1][3]["grid_id"] == GROUP and portal.services.posts[-1][3]["topic"] is None
    assert OTHER and VILLAGE  # the grids of the township the form offers


def test_the_form_is_throttled_per_client_with_a_chinese_message(tmp_path):
    portal = Portal(tmp_path, WANGGE_PORTAL_ONLINE_LIMIT="2 per minute")
    try:
        for _ in range(2):
            assert portal.client.post(f"/online/form?township={TOWNSHIP}", data=_body(portal)).status_code == 302
        throttled = portal.client.post(f"/online/form?township={TOWNSHIP}", data=_body(portal))
        assert throttled.status_code == 429 and "操作太频繁" in throttled.get_data(as_text=True)
    finally:
        portal.close()


def test_a_missing_csrf_token_is_refused(portal):
    body = _body(portal)
    body.pop("csrf_token")
    answer = portal.client.post(f"/online/form?township={TOWNSHIP}", data=body)
    assert answer.status_code == 400 and "页面已过期" in answer.get_data(as_text=True)


def test_the_poster_links_to_the_public_address_when_one_is_set(tmp_path):
    portal = Portal(tmp_path, WANGGE_PORTAL_PUBLIC_URL="https://lianluozhan.example.gov.cn/")
    try:
        poster = portal.client.get(f"/grids/{GROUP}/poster").get_data(as_text=True)
        assert f"https://lianluozhan.example.gov.cn/online/form?grid={GROUP}" in poster
    finally:
        portal.close()
