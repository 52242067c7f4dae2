"""A completed micro livelihood project (民生微实事): on the grid's board, a message with a rating link to the
reporter of each case it answers, and the rating page that forwards the choice to routing."""
import uuid

from flask import Flask, jsonify, request

from notifyfakes import G1, registered
from test_board_and_rating import grid_created, use_routing
from wangge_common.testing import event, live_server

PID = str(uuid.UUID(int=77))


def completed(svc, cases, tokens):
    data = {"project_id": PID, "code": "MS7Q2KXA", "grid_id": G1, "title": "第一村民小组路灯安装",
            "result": "安装路灯 12 盏，已通电", "funded_yuan": 45000, "case_ids": [c.subject for c in cases],
            "rating_links": [{"case_id": c.subject, "token_encrypted": svc.runtime.state.cipher.encrypt(t)}
                             for c, t in zip(cases, tokens)], "expires_at": "2026-12-20T08:00:00Z"}
    return event("project.completed", PID, data, source="/wangge/routing")


def test_the_result_goes_on_the_board_and_to_each_reporter_with_their_link(world):
    svc = world.svc
    grid_created(svc)
    told, anonymous, unknown = registered("rp_one"), registered(None), registered("rp_three")
    svc.deliver(told, "cases.v1")
    svc.deliver(anonymous, "cases.v1")
    tokens = ["tok_" + uuid.uuid4().hex for _ in range(3)]
    done = completed(svc, [told, anonymous, unknown], tokens)
    assert svc.deliver(done, "cases.v1") == "processed"
    (inbox,) = world.deliveries(event_type="project.completed", channel="inbox")
    assert inbox["recipient_ref"] == "rp_one" and "第一村民小组路灯安装" in inbox["body"]
    assert f"/rate-project/{tokens[0]}" in inbox["body"] and "2026年12月20日前有效" in inbox["body"]
    assert len(world.deliveries(event_type="project.completed", channel="sms")) == 1
    assert svc.deliver(done, "cases.v1") == "duplicate"  # a redelivery tells nobody twice
    board = svc.client.get(f"/v1/board/grids/{G1}").json
    assert board["projects"][0]["code"] == "MS7Q2KXA" and board["projects"][0]["funded_yuan"] == 45000
    page = svc.client.get(f"/board/grids/{G1}").get_data(as_text=True)
    assert "民生微实事完成情况" in page and "安装路灯 12 盏，已通电" in page


def fake_routing(link):
    app = Flask("fake_routing")
    app.config["ratings"] = []

    @app.get("/v1/project-ratings/<token>")
    def show(token):
        return (jsonify(link), 200) if token == "tok_open_0000" else (jsonify(title="Not Found"), 404)

    @app.post("/v1/project-ratings/<token>")
    def rate(token):
        if app.config["ratings"]:
            return jsonify(title="Conflict"), 409
        app.config["ratings"].append((token, request.get_json()))
        return jsonify({**link, "status": "used"}), 200

    return app


def test_the_rating_page_shows_the_project_and_forwards_the_choice(svc):
    link = {"status": "open", "rating": None, "project": {
        "title": "第一村民小组路灯安装", "code": "MS7Q2KXA", "grid_name": "韶山村", "description": "安装太阳能路灯",
        "result": "安装路灯 12 盏，已通电", "funded_yuan": 45000}}
    routing = fake_routing(link)
    with live_server(routing) as url:
        use_routing(svc, url)
        page = svc.client.get("/rate-project/tok_open_0000")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "安装路灯 12 盏，已通电" in html and "基本满意" in html
        bad = svc.client.post("/rate-project/tok_open_0000", data={"rating": "great"})
        assert bad.status_code == 422 and "请选择" in bad.get_data(as_text=True)
        done = svc.client.post("/rate-project/tok_open_0000", data={"rating": "satisfied"})
        assert done.status_code == 200 and "评价已提交：满意" in done.get_data(as_text=True)
        assert routing.config["ratings"] == [("tok_open_0000", {"rating": "satisfied"})]
        again = svc.client.post("/rate-project/tok_open_0000", data={"rating": "satisfied"})
        assert again.status_code == 409 and "已经评价过" in again.get_data(as_text=True)
        assert svc.client.get("/rate-project/tok_unknown_00").status_code == 404
        assert svc.client.get("/rate-project/x").status_code == 404
    use_routing(svc, "http://127.0.0.1:9")
    assert svc.client.get("/rate-project/tok_open_0000").status_code == 503
