"""The duty record (履职登记): suggestions and their replies, inspections, activities; targets; events; scope."""
from datetime import date, timedelta

from roster import domain as rules
from wangge_common import clock

from .helpers import make_deputy, make_grid, small_township


def record(svc, deputy, headers=None, **body):
    body = {"kind": "inspection", "occurred_on": str(clock.local_date(clock.now())), "title": "视察农村饮水安全工程", **body}
    return svc.client.post(f"/v1/deputies/{deputy}/duties", json=body, headers=headers or svc.headers())


def test_records_replies_and_withdrawals_are_events_and_the_year_counts_what_stands(svc):
    _, _, leaves = small_township(svc, groups=1)
    deputy = make_deputy(svc, "李红梅", home=leaves[0])
    first = record(svc, deputy, summary="随县人大常委会视察集中供水站")
    assert first.status_code == 201, first.json
    assert first.json["kind_zh"] == "视察" and first.json["recorded_by"] == "apikey:all"
    event = svc.outbox()[-1]
    assert event.type == "duty.recorded" and event.subject == deputy and event.data["kind"] == "inspection"
    assert "供水站" not in event.to_json()  # titles and summaries stay in roster
    record(svc, deputy, kind="survey", title="调研村级养老服务")
    suggestion = record(svc, deputy, kind="suggestion", title="关于硬化组级道路的建议", addressed_to="县交通运输局").json
    replied = svc.client.post(f"/v1/duties/{suggestion['id']}/reply", headers=svc.headers(),
                              json={"outcome": "adopted", "text": "已列入明年计划", "replied_on": str(clock.local_date(clock.now()))})
    assert replied.status_code == 200 and replied.json["reply"]["outcome_zh"] == "采纳办理"
    assert svc.outbox()[-1].type == "duty.replied" and svc.outbox()[-1].data["outcome"] == "adopted"
    mistake = record(svc, deputy, kind="forum", title="重复录入").json
    withdrawn = svc.client.post(f"/v1/duties/{mistake['id']}/withdraw", json={"reason": "重复登记"}, headers=svc.headers())
    assert withdrawn.status_code == 200 and withdrawn.json["withdrawn"] and withdrawn.json["withdrawn_by"] == "apikey:all"
    assert svc.outbox()[-1].type == "duty.withdrawn"
    again = svc.client.post(f"/v1/duties/{mistake['id']}/withdraw", json={"reason": "再撤"}, headers=svc.headers())
    assert again.status_code == 409
    year = svc.client.get(f"/v1/deputies/{deputy}/duties", headers=svc.headers("reader")).json
    assert year["counts"]["inspection"] == 1 and year["counts"]["survey"] == 1 and year["counts"]["forum"] == 0
    assert len(year["items"]) == 4  # the withdrawn one is listed, marked, and not counted
    targets = {t["key"]: t for t in year["targets"]}
    assert targets["inspections"]["met"] is True and targets["suggestions"]["met"] is True
    only = svc.client.get(f"/v1/deputies/{deputy}/duties?kind=suggestion", headers=svc.headers()).json
    assert [i["title"] for i in only["items"]] == ["关于硬化组级道路的建议"]


def test_bad_records_are_refused_with_the_field(svc):
    deputy = make_deputy(svc, "王建国")
    future = record(svc, deputy, occurred_on=str(clock.local_date(clock.now()) + timedelta(days=1)))
    assert future.status_code == 422 and future.json["errors"][0]["field"] == "occurred_on"
    blank = record(svc, deputy, title="   ")
    assert blank.status_code == 422 and blank.json["errors"][0]["field"] == "title"
    unknown = record(svc, deputy, kind="party")
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "kind"
    nowhere = record(svc, deputy, kind="suggestion", title="关于路灯的建议")
    assert nowhere.status_code == 422 and nowhere.json["errors"][0]["field"] == "addressed_to"
    stray = record(svc, deputy, addressed_to="县水利局")
    assert stray.status_code == 422 and stray.json["errors"][0]["field"] == "addressed_to"
    inspection = record(svc, deputy).json
    not_a_suggestion = svc.client.post(f"/v1/duties/{inspection['id']}/reply", headers=svc.headers(),
                                       json={"outcome": "adopted", "text": "好", "replied_on": str(clock.local_date(clock.now()))})
    assert not_a_suggestion.status_code == 409
    assert svc.client.get("/v1/deputies/00000000-0000-4000-8000-000000000000/duties",
                          headers=svc.headers()).status_code == 404
    svc.client.post(f"/v1/deputies/{deputy}/end", json={"reason": "辞职", "ended_on": str(clock.local_date(clock.now()))},
                    headers=svc.headers())
    assert record(svc, deputy).status_code == 409


def test_a_deputy_records_for_the_deputies_of_their_grids_only(svc):
    _, _, leaves = small_township(svc, groups=2)
    mine = make_deputy(svc, "李红梅", home=leaves[0])
    other = make_deputy(svc, "王建国", home=leaves[1])
    token = svc.person("p-deputy", scopes=("roster:read", "duty:record"), grids=[leaves[0]])
    assert record(svc, mine, headers=token).status_code == 201
    assert svc.outbox()[-1].actor == "person:p-deputy"
    assert record(svc, other, headers=token).status_code == 403
    assert svc.client.get(f"/v1/deputies/{other}/duties", headers=token).status_code == 403
    reader = svc.person("p-reader", scopes=("roster:read",), grids=[leaves[0]])
    assert record(svc, mine, headers=reader).status_code == 403  # reading the roster is not recording duties


def test_targets_follow_the_calendar():
    year = 2026
    mid = date(year, 5, 10)
    none = {t.key: t for t in rules.duty_targets(year, [], mid)}
    assert none["suggestions"].met is None and none["inspections"].met is None
    assert none["themed_activities"].met is False  # the first quarter ended without one
    assert none["forums"].met is None  # the first half-year is still running
    full = [("themed_activity", date(year, m, 1)) for m in (2, 5, 8, 11)] + [("forum", date(year, 3, 1)),
                                                                          ("forum", date(year, 9, 1))]
    done = {t.key: t for t in rules.duty_targets(year, full + [("survey", mid), ("inspection", mid)],
                                                   date(year + 1, 1, 2))}
    assert done["themed_activities"].met is True and done["themed_activities"].done == "1、1、1、1"
    assert done["forums"].met is True and done["inspections"].met is True and done["suggestions"].met is False
    assert rules.duty_problems("forum", date(1999, 1, 1), mid, addressed_to=None)[0][0] == "occurred_on"


def test_a_deputy_records_meetings_with_their_own_contact_households_only(svc):
    _, _, leaves = small_township(svc, groups=2)
    mine = make_deputy(svc, "李红梅", home=leaves[0])
    other = make_deputy(svc, "王建国", home=leaves[1])
    links = {d: svc.client.post(f"/v1/deputies/{d}/contact-households", headers=svc.headers(),
                                json={"kind": "wealth_leader", "household": "户" + d[:4]}).json["id"] for d in (mine, other)}
    token = svc.person("p-deputy", scopes=("roster:read", "duty:record"), grids=[leaves[0]])
    day = str(clock.local_date(clock.now()))
    met = svc.client.post(f"/v1/contact-households/{links[mine]}/meetings", json={"met_on": day}, headers=token)
    assert met.status_code == 201 and svc.outbox()[-1].actor == "person:p-deputy"
    assert svc.client.post(f"/v1/contact-households/{links[other]}/meetings", json={"met_on": day},
                           headers=token).status_code == 403
    listed = svc.client.get(f"/v1/contact-households/{links[mine]}/meetings", headers=token)
    assert listed.status_code == 200 and [m["met_on"] for m in listed.json] == [day]
    assert svc.client.get(f"/v1/contact-households/{links[other]}/meetings", headers=token).status_code == 403
    assert svc.client.get(f"/v1/deputies/{other}/contact-households", headers=token).status_code == 403
    assert svc.client.get(f"/v1/deputies/{mine}/contact-households", headers=token).status_code == 200


def test_township_staff_change_the_reception_schedules_of_their_township_only(svc):
    town, _, leaves = small_township(svc, groups=1)
    deputy = make_deputy(svc, "李红梅", home=leaves[0])
    elsewhere = make_grid(svc, "T9", 1)
    far = make_grid(svc, "T9-01", 2, elsewhere)
    body = {"pattern": "monthly", "month_days": [10], "start_time": "09:00", "end_time": "11:00",
            "rota": [[deputy]], "weeks": 8}
    staff = svc.person("p-staff", scopes=("roster:read", "roster:admin"), grids=[town, *leaves])
    refused = svc.client.post("/v1/reception-schedules", json={**body, "grid_id": far}, headers=staff)
    assert refused.status_code == 403
    made = svc.client.post("/v1/reception-schedules", json={**body, "grid_id": far}, headers=svc.headers())
    assert made.status_code == 201, made.json
    rule = made.json["id"]
    assert svc.client.patch(f"/v1/reception-schedules/{rule}", json={"place": "别处"}, headers=staff).status_code == 403
    assert svc.client.post(f"/v1/reception-schedules/{rule}/generate", json={"weeks": 4},
                           headers=staff).status_code == 403


def test_township_staff_keep_the_schedules_of_the_stations_serving_their_township(svc):
    """A community's 联络点 (tier area) names no township, but serves the township's grids: its schedules are the
    township's to change; a station serving another township's grids is not."""
    town, village, leaves = small_township(svc, groups=1)
    deputy = make_deputy(svc, "李红梅", home=leaves[0])
    far = make_grid(svc, "T9-01", 2, make_grid(svc, "T9", 1))
    station = {"tier": "area", "address": "社区服务中心", "opening_hours": "周一至周五 8:30-17:30"}
    ours, theirs = (svc.client.post("/v1/stations", headers=svc.headers(),
                                    json={**station, "name": name, "grid_ids": [grid]}).json["id"]
                    for name, grid in (("本社区联络点", village), ("外乡联络点", far)))
    body = {"pattern": "monthly", "month_days": [10], "start_time": "09:00", "end_time": "11:00",
            "rota": [[deputy]], "weeks": 8}
    staff = svc.person("p-staff", scopes=("roster:read", "roster:admin"), grids=[town, village, *leaves])
    made = svc.client.post("/v1/reception-schedules", json={**body, "station_id": ours}, headers=staff)
    assert made.status_code == 201, made.json
    assert svc.client.patch(f"/v1/reception-schedules/{made.json['id']}", json={"place": "社区二楼"},
                            headers=staff).status_code == 200
    assert svc.client.post("/v1/reception-schedules", json={**body, "station_id": theirs},
                           headers=staff).status_code == 403


def test_a_token_that_names_its_deputy_records_for_that_deputy_alone(svc):
    _, _, leaves = small_township(svc, groups=1)
    me = make_deputy(svc, "李红梅", home=leaves[0])
    colleague = make_deputy(svc, "王建国", home=leaves[0])  # same grid
    token = svc.person("p-me", scopes=("roster:read", "duty:record"), grids=[leaves[0]], deputy=me)
    assert record(svc, me, headers=token).status_code == 201
    assert record(svc, colleague, headers=token).status_code == 403
    assert svc.client.get(f"/v1/deputies/{colleague}/duties", headers=token).status_code == 403
    link = svc.client.post(f"/v1/deputies/{colleague}/contact-households", headers=svc.headers(),
                           json={"kind": "wealth_leader", "household": "赵家"}).json["id"]
    assert svc.client.post(f"/v1/contact-households/{link}/meetings", headers=token,
                           json={"met_on": str(clock.local_date(clock.now()))}).status_code == 403
    staff = svc.person("p-staff", scopes=("roster:read", "roster:admin"), grids=[leaves[0]])
    assert record(svc, colleague, headers=staff).status_code == 201  # township staff record for any of theirs


def test_the_township_lists_its_deputies_suggestions_waiting_for_a_reply(svc):
    town, _, leaves = small_township(svc, groups=1)
    deputy = make_deputy(svc, "李红梅", home=leaves[0])
    far_town = make_grid(svc, "T9", 1)
    far = make_deputy(svc, "王建国", home=make_grid(svc, "T9-01", 2, far_town))
    waiting = record(svc, deputy, kind="suggestion", title="关于路灯的建议", addressed_to="县住建局").json
    answered = record(svc, deputy, kind="suggestion", title="关于水渠的建议", addressed_to="县水利局").json
    svc.client.post(f"/v1/duties/{answered['id']}/reply", headers=svc.headers(),
                    json={"outcome": "adopted", "text": "已安排", "replied_on": str(clock.local_date(clock.now()))})
    record(svc, far, kind="suggestion", title="外乡的建议", addressed_to="县交通局")
    record(svc, deputy)  # an inspection
    listed = svc.client.get(f"/v1/duties?kind=suggestion&replied=false&township_id={town}", headers=svc.headers()).json
    assert [(i["id"], i["deputy_name"]) for i in listed["items"]] == [(waiting["id"], "李红梅")]
    staff = svc.person("p-staff", scopes=("roster:read", "roster:admin"), grids=[town, *leaves])
    mine = svc.client.get("/v1/duties?kind=suggestion", headers=staff).json
    assert {i["title"] for i in mine["items"]} == {"关于路灯的建议", "关于水渠的建议"}
