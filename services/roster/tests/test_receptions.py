"""Reception schedules: rules, generation ahead, the three-day lead for changes, and the events."""
from datetime import date, timedelta

import pytest

from .helpers import make_deputy, make_grid, small_township, today_in_china


@pytest.fixture
def grid_and_team(svc):
    town, village, leaves = small_township(svc, groups=1)
    deputy = make_deputy(svc, "李红梅", home=leaves[0])
    delegate = make_deputy(svc, "张党代表", home=leaves[0], kind="party_delegate")
    return leaves[0], deputy, delegate


def schedule(svc, **body):
    return svc.client.post("/v1/reception-schedules", json=body, headers=svc.headers())


def test_a_weekly_rota_publishes_the_next_weeks_and_skips_what_is_too_close(svc, grid_and_team):
    grid, deputy, delegate = grid_and_team
    other = make_deputy(svc, "王代表", mobile="13900001111")
    response = schedule(svc, grid_id=grid, pattern="weekly", weekday=3, start_time="14:30", end_time="17:30",
                        rota=[[deputy, delegate], [other, delegate]], two_representatives=True, weeks=4)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["description"] == "每周四 14:30-17:30"
    days = [date.fromisoformat(d["day"]) for d in body["published"]]
    skipped = [date.fromisoformat(d["day"]) for d in body["skipped"]]
    today = today_in_china()
    assert all(d.weekday() == 3 for d in days + skipped)
    assert all((d - today).days >= 3 for d in days) and all((d - today).days < 4 for d in skipped)
    assert len(days) + len(skipped) in (4, 5)
    assert body["published"][0]["deputy_ids"] == [deputy, delegate]
    assert body["published"][1]["deputy_ids"] == [other, delegate]  # the rota takes turns
    events = [e for e in svc.outbox() if e.type == "reception.scheduled"]
    assert len(events) == len(days)
    assert events[0].data["deputies"][1] == {"deputy_id": delegate, "kind": "party_delegate"}
    assert events[0].data["starts_at"].endswith("T06:30:00Z")  # 14:30 in China
    again = svc.client.post(f"/v1/reception-schedules/{body['id']}/generate", json={"weeks": 4}, headers=svc.headers())
    assert again.json["published"] == []  # nothing published twice
    more = svc.client.post(f"/v1/reception-schedules/{body['id']}/generate", json={"weeks": 6}, headers=svc.headers())
    assert len(more.json["published"]) >= 1
    schedules = svc.client.get(f"/v1/reception-schedules?grid_id={grid}", headers=svc.headers("reader")).json
    assert [s["description"] for s in schedules["items"]] == ["每周四 14:30-17:30"]
    listed = svc.client.get(f"/v1/reception-days?grid_id={grid}", headers=svc.headers("reader")).json
    assert listed["total"] == len(days) + len(more.json["published"])


def test_monthly_days(svc, grid_and_team):
    grid, deputy, _ = grid_and_team
    body = schedule(svc, grid_id=grid, pattern="monthly", month_days=[25, 10], start_time="09:00",
                    end_time="11:00", rota=[[deputy]], weeks=9).json
    assert body["description"] == "每月10日、25日 09:00-11:00"
    assert {date.fromisoformat(d["day"]).day for d in body["published"]} <= {10, 25}
    assert len(body["published"]) + len(body["skipped"]) >= 3


@pytest.mark.parametrize("change, field, reason", [
    ({"end_time": "15:30"}, "end_time", "at least 2 hours"),
    ({"rota": [["DELEGATE"]]}, "rota.0", "at least one people's-congress deputy"),
    ({"rota": [["DEPUTY"]], "two_representatives": True}, "rota.0", "party-congress delegate"),
    ({"pattern": "weekly", "weekday": None}, "weekday", "needs a weekday"),
    ({"grid_id": None}, "grid_id", "exactly one"),
    ({"start_time": "25:00"}, "start_time", "HH:MM"),
])
def test_bad_schedules_are_refused_with_the_field_and_reason(svc, grid_and_team, change, field, reason):
    grid, deputy, delegate = grid_and_team
    body = {"grid_id": grid, "pattern": "weekly", "weekday": 3, "start_time": "14:30", "end_time": "17:30",
            "rota": [[deputy, delegate]], **change}
    body["rota"] = [[{"DEPUTY": deputy, "DELEGATE": delegate}.get(d, d) for d in team] for team in body["rota"]]
    response = schedule(svc, **body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert any(e["field"] == field and reason in e["reason"] for e in response.json["errors"]), response.json
    assert not [e for e in svc.outbox() if e.type == "reception.scheduled"]


def test_changes_less_than_three_days_ahead_are_refused_and_others_emit_reception_changed(svc, grid_and_team):
    from roster.commands import receptions

    grid, deputy, delegate = grid_and_team
    body = schedule(svc, grid_id=grid, pattern="weekly", weekday=today_in_china().weekday(), start_time="09:00",
                    end_time="11:00", rota=[[deputy]], weeks=3).json
    first = body["published"][0]
    day = date.fromisoformat(first["day"])
    moved = svc.client.patch(f"/v1/reception-days/{first['id']}",
                             json={"start_time": "14:00", "end_time": "16:30", "reason": "上午召开村民大会"},
                             headers=svc.headers())
    assert moved.status_code == 200 and moved.json["status"] == "changed"
    changed = svc.outbox()[-1]
    assert changed.type == "reception.changed" and changed.data["reason"] == "上午召开村民大会"
    assert changed.data["starts_at"].endswith("T06:00:00Z") and changed.sequence == 2
    tomorrow = str(today_in_china() + timedelta(days=1))
    too_near = svc.client.patch(f"/v1/reception-days/{first['id']}", json={"day": tomorrow, "reason": "提前"},
                                headers=svc.headers())
    assert too_near.status_code == 409 and "at least 3 days before" in too_near.json["detail"]
    second = body["published"][1]["day"]
    clash = svc.client.patch(f"/v1/reception-days/{first['id']}", json={"day": second, "reason": "合并"},
                             headers=svc.headers())
    assert clash.status_code == 409 and "already has a reception" in clash.json["detail"]
    # Seen from two days before the day, the same change is too late.
    with svc.runtime.unit_of_work(actor="test") as uow:
        with pytest.raises(Exception) as late:
            receptions.change_day(uow, first["id"], {"reason": "x"}, today=day - timedelta(days=2))
    assert "2 days away" in str(late.value)
    cancelled = svc.client.patch(f"/v1/reception-days/{first['id']}", json={"cancel": True, "reason": "暴雨预警"},
                                 headers=svc.headers())
    assert cancelled.json["status"] == "cancelled" and svc.outbox()[-1].data["status"] == "cancelled"
    assert svc.client.patch(f"/v1/reception-days/{first['id']}", json={"reason": "恢复"},
                            headers=svc.headers()).status_code == 409


def test_a_deputy_whose_term_ends_leaves_the_coming_reception_days(svc, grid_and_team):
    grid, deputy, delegate = grid_and_team
    other = make_deputy(svc, "王代表", mobile="13900001111")
    body = schedule(svc, grid_id=grid, pattern="weekly", weekday=3, start_time="14:30", end_time="17:30",
                    rota=[[deputy, other], [deputy]], weeks=4).json
    svc.client.post(f"/v1/deputies/{deputy}/end", json={"reason": "辞职", "ended_on": str(today_in_china())},
                    headers=svc.headers())
    changes = [e for e in svc.outbox() if e.type == "reception.changed"]
    assert len(changes) == len(body["published"])
    by_day = {e.subject: e.data for e in changes}
    first, second = body["published"][0]["id"], body["published"][1]["id"]
    assert by_day[first]["status"] == "changed" and by_day[first]["deputies"] == [{"deputy_id": other,
                                                                                    "kind": "npc_deputy"}]
    assert by_day[second]["status"] == "cancelled" and "接待日取消" in by_day[second]["reason"]
    assert svc.outbox()[-1].type == "deputy.ended"


def test_a_day_less_than_three_days_away_cannot_be_changed_through_the_api(svc, grid_and_team):
    from roster.commands import receptions

    grid, deputy, _ = grid_and_team
    today = today_in_china()
    tomorrow = today + timedelta(days=1)
    # A schedule published four days ago, for a weekly day that is now tomorrow.
    data = {"grid_id": grid, "station_id": None, "place": None, "pattern": "weekly", "month_days": [],
            "weekday": tomorrow.weekday(), "start_time": "09:00", "end_time": "11:00", "rota": [[deputy]],
            "two_representatives": False, "weeks": 1}
    with svc.runtime.unit_of_work(actor="test") as uow:
        rule, created, _ = receptions.create_rule(uow, data, today=today - timedelta(days=4))
        near = next(day.id for day in created if day.day == tomorrow)
    before = len(svc.outbox())
    for change in ({"start_time": "14:00", "end_time": "16:00"}, {"cancel": True}, {"deputy_ids": [deputy]}):
        refused = svc.client.patch(f"/v1/reception-days/{near}", json={**change, "reason": "临时调整"},
                                   headers=svc.headers())
        assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
        assert f"({tomorrow.isoformat()}) is 1 days away" in refused.json["detail"]
        assert "at least 3 days before the day" in refused.json["detail"]
    assert len(svc.outbox()) == before
    assert svc.client.get(f"/v1/reception-days/{near}", headers=svc.headers()).json["status"] == "scheduled"


def test_after_a_term_ends_the_schedule_says_which_days_it_cannot_hold_until_the_rota_is_changed(svc, grid_and_team):
    grid, deputy, delegate = grid_and_team
    other = make_deputy(svc, "王代表", mobile="13900001111")
    rule = schedule(svc, grid_id=grid, pattern="weekly", weekday=3, start_time="14:30", end_time="17:30",
                    rota=[[deputy, other], [deputy]], weeks=2).json
    svc.client.post(f"/v1/deputies/{deputy}/end", json={"reason": "辞职", "ended_on": str(today_in_china())},
                    headers=svc.headers())
    more = svc.client.post(f"/v1/reception-schedules/{rule['id']}/generate", json={"weeks": 8}, headers=svc.headers())
    assert more.status_code == 200
    assert more.json["published"] and all(d["deputy_ids"] == [other] for d in more.json["published"])
    unheld = [s for s in more.json["skipped"] if "duty team" in s["reason"]]
    assert unheld and all("duty team 2 has no one to hold it" in s["reason"]
                          and "people's-congress deputy" in s["reason"] for s in unheld)
    refused = svc.client.patch(f"/v1/reception-schedules/{rule['id']}", json={"rota": [[deputy]]},
                               headers=svc.headers())
    assert refused.status_code == 422 and "not serving" in refused.json["errors"][0]["reason"]
    short = svc.client.patch(f"/v1/reception-schedules/{rule['id']}", json={"end_time": "15:30"}, headers=svc.headers())
    assert short.status_code == 422 and short.json["errors"][0]["field"] == "end_time"
    changed = svc.client.patch(f"/v1/reception-schedules/{rule['id']}", json={"rota": [[other]], "end_time": "16:30"},
                               headers=svc.headers())
    assert changed.status_code == 200 and changed.json["rota"] == [[other]]
    assert changed.json["description"] == "每周四 14:30-16:30"
    def days():
        listed = svc.client.get(f"/v1/reception-days?grid_id={grid}", headers=svc.headers()).json["items"]
        return {d["id"]: d for d in listed}

    before = days()
    filled = svc.client.post(f"/v1/reception-schedules/{rule['id']}/generate", json={"weeks": 10},
                             headers=svc.headers()).json
    assert filled["published"] and not [s for s in filled["skipped"] if "duty team" in s["reason"]]
    assert all(d["deputy_ids"] == [other] and d["ends_at"].endswith("08:30:00+00:00") for d in filled["published"])
    after = days()
    assert all(after[i] == day for i, day in before.items())  # published days are untouched by the rule change


def test_a_deputy_on_a_reception_rota_cannot_be_deleted(svc, grid_and_team):
    grid, deputy, delegate = grid_and_team
    spare = make_deputy(svc, "未值班代表", mobile="13900002222")
    assert schedule(svc, grid_id=grid, pattern="weekly", weekday=3, start_time="14:30", end_time="17:30",
                    rota=[[deputy, delegate]], two_representatives=True, weeks=2).status_code == 201
    for on_duty in (deputy, delegate):
        refused = svc.client.delete(f"/v1/deputies/{on_duty}", headers=svc.headers())
        assert refused.status_code == 409 and "reception history" in refused.json["detail"]
    assert svc.client.delete(f"/v1/deputies/{spare}", headers=svc.headers()).status_code == 204


def test_schedules_and_days_held_under_a_township_include_its_stations_and_a_deputy_finds_their_days(svc):
    """A township office lists everything held in its township (at its grids and at the stations serving them); a
    deputy lists the days they are on duty, wherever they are held."""
    town, village, leaves = small_township(svc, groups=1)
    deputy = make_deputy(svc, "李红梅", home=leaves[0])
    other_town = make_grid(svc, "T9", 1)
    station, elsewhere = (svc.client.post("/v1/stations", headers=svc.headers(), json={
        "name": name, "tier": "township", "address": "镇政府一楼", "opening_hours": "周一至周五 8:30-17:30",
        "grid_ids": [grid]}).json for name, grid in (("清溪镇人大代表联络站", town), ("别镇联络站", other_town)))
    station, elsewhere = station["id"], elsewhere["id"]
    at_station = schedule(svc, station_id=station, pattern="weekly", weekday=2, start_time="09:00",
                          end_time="11:00", rota=[[deputy]], weeks=3).json
    at_grid = schedule(svc, grid_id=leaves[0], pattern="weekly", weekday=4, start_time="14:00",
                       end_time="16:00", rota=[[deputy]], weeks=3).json
    schedule(svc, station_id=elsewhere, pattern="weekly", weekday=1, start_time="09:00", end_time="11:00",
             rota=[[make_deputy(svc, "王代表", mobile="13900001111", home=other_town)]], weeks=3)
    reader = svc.headers("reader")
    held = svc.client.get(f"/v1/reception-schedules?under={town}", headers=reader).json
    assert {s["id"] for s in held["items"]} == {at_station["id"], at_grid["id"]}
    days = svc.client.get(f"/v1/reception-days?under={town}&page_size=100", headers=reader).json["items"]
    assert {d["rule_id"] for d in days} == {at_station["id"], at_grid["id"]}
    assert svc.client.get(f"/v1/reception-days?under={village}", headers=reader).json["total"] == \
        len(at_grid["published"])  # the village's subtree holds the group grid, not the township's station
    mine = svc.client.get(f"/v1/reception-days?deputy_id={deputy}&page_size=100", headers=reader).json["items"]
    assert len(mine) == len(at_station["published"]) + len(at_grid["published"]) and \
        all(deputy in d["deputy_ids"] for d in mine)
    bad = svc.client.get("/v1/reception-days?deputy_id=nope", headers=reader)
    assert bad.status_code == 422
