"""Issue 18 item 11: a schedule that cannot produce a day says so; the same schedule twice is a 409; two
meetings with one contact household on one day count once."""
from datetime import date, timedelta

import pytest

from roster.commands import receptions
from .helpers import make_deputy, small_township, today_in_china


@pytest.fixture
def grid_and_deputy(svc):
    _, _, leaves = small_township(svc, groups=1)
    return leaves[0], make_deputy(svc, "李红梅", home=leaves[0])


def monthly(grid, deputy, days, weeks=4):
    return {"grid_id": grid, "station_id": None, "place": None, "pattern": "monthly", "month_days": days,
            "weekday": None, "start_time": "09:00", "end_time": "11:00", "rota": [[deputy]],
            "two_representatives": False, "weeks": weeks}


def test_the_30th_in_february_is_said_in_skipped(svc, grid_and_deputy):
    grid, deputy = grid_and_deputy
    with svc.runtime.unit_of_work(actor="test") as uow:  # published on 2027-01-20, for the next 11 weeks
        rule, created, skipped = receptions.create_rule(uow, monthly(grid, deputy, [30], weeks=11),
                                                        today=date(2027, 1, 20))
    assert [d.day for d in created] == [date(2027, 1, 30), date(2027, 3, 30)]
    [february] = skipped
    assert february["day"] is None and february["month"] == "2027-02"
    assert "has no day 30" in february["reason"] and "28th" in february["reason"]


def test_a_schedule_that_cannot_produce_a_day_says_so_through_the_api(svc, grid_and_deputy):
    grid, deputy = grid_and_deputy
    body = {k: v for k, v in monthly(grid, deputy, [31], weeks=52).items() if v is not None and k != "place"}
    response = svc.client.post("/v1/reception-schedules", json=body, headers=svc.headers())
    assert response.status_code == 201, response.json
    months = {s["month"] for s in response.json["skipped"] if s.get("month")}
    assert len(months) >= 4  # February, April, June, September, November: no 31st
    assert all(date.fromisoformat(d["day"]).day == 31 for d in response.json["published"])


def test_an_identical_schedule_twice_is_a_409_naming_the_first(svc, grid_and_deputy):
    grid, deputy = grid_and_deputy
    other = make_deputy(svc, "王代表", home=grid, mobile="13900001111")
    body = {"grid_id": grid, "pattern": "weekly", "weekday": 2, "start_time": "14:30", "end_time": "17:30",
            "rota": [[deputy]], "weeks": 2}
    first = svc.client.post("/v1/reception-schedules", json=body, headers=svc.headers())
    assert first.status_code == 201
    before = len(svc.outbox())
    again = svc.client.post("/v1/reception-schedules", json={**body, "rota": [[other]]}, headers=svc.headers())
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert again.json["existing_schedule_id"] == first.json["id"] and "每周三 14:30-17:30" in again.json["detail"]
    assert len(svc.outbox()) == before
    later = svc.client.post("/v1/reception-schedules", json={**body, "start_time": "08:30", "end_time": "11:00"},
                            headers=svc.headers())
    assert later.status_code == 201  # other hours: another schedule


def test_two_meetings_with_a_household_on_one_day_count_once(svc, grid_and_deputy):
    _, deputy = grid_and_deputy
    year_start = date(today_in_china().year, 1, 1)
    link = svc.client.post(f"/v1/deputies/{deputy}/contact-households",
                           json={"kind": "wealth_leader", "household": "王秀英户", "linked_on": str(year_start)},
                           headers=svc.headers()).json["id"]
    for _ in range(2):
        recorded = svc.client.post(f"/v1/contact-households/{link}/meetings",
                                   json={"met_on": str(today_in_china()), "summary": "走访"}, headers=svc.headers())
        assert recorded.status_code == 201
    listed = svc.client.get(f"/v1/deputies/{deputy}/contact-households", headers=svc.headers()).json
    assert [l["meetings_this_year"] for l in listed] == [1]
    report = svc.client.get("/v1/contact-households/report", headers=svc.headers("reader")).json
    [me] = [d for d in report["deputies"] if d["name"] == "李红梅"]
    assert me["households_met_fewer_than_twice"][0]["meetings"] == 1
