"""Issue 18 item 10: visits and reception sessions are checked against reality."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake_testkit import DEPUTY, DEPUTY_2, GRID, OTHER_GRID, announce_deputy, new_id, serving_deputy

DAY = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=3)).date().isoformat()


def post(svc, path, body):
    return svc.client.post(path, json=body, headers=svc.headers())


def refused(response, field):
    assert response.status_code == 422 and response.mimetype == "application/problem+json", response.json
    reasons = {e["field"]: e["reason"] for e in response.json["errors"]}
    assert field in reasons, reasons
    return reasons[field]


def visit(deputy=DEPUTY, **changes):
    return {"deputy_id": deputy, "grid_id": GRID, "visited_on": DAY, "residents_reached": 3, **changes}


def session(*deputies, **changes):
    return {"grid_id": GRID, "deputies": [{"deputy_id": d, "kind": "npc_deputy"} for d in deputies or (DEPUTY,)],
            "started_at": f"{DAY}T09:00:00+08:00", "ended_at": f"{DAY}T11:10:00+08:00", "residents_received": 6,
            **changes}


def test_a_visit_by_a_deputy_who_does_not_exist_is_refused(gsvc):
    assert "no deputy" in refused(post(gsvc, "/v1/visits", visit(new_id())), "deputy_id")
    assert not [e for e in gsvc.outbox() if e.type == "visit.recorded"]


def test_a_visit_by_a_deputy_of_another_grid_or_no_longer_serving_is_refused(gsvc):
    assert "does not serve grid" in refused(post(gsvc, "/v1/visits", visit(serving_deputy(gsvc, OTHER_GRID))),
                                            "deputy_id")
    ended = announce_deputy(gsvc, home_grid=GRID, status="ended")
    assert "not serving" in refused(post(gsvc, "/v1/visits", visit(ended)), "deputy_id")
    assert post(gsvc, "/v1/visits", visit()).status_code == 201


@pytest.mark.parametrize("kind, residents, ok", [("door_to_door", 10_000, False), ("door_to_door", 101, False),
                                                 ("door_to_door", 100, True), ("meeting", 10_000, False),
                                                 ("meeting", 1000, True), ("contact_household", 500, False)])
def test_ten_thousand_residents_in_one_visit_is_refused(gsvc, kind, residents, ok):
    response = post(gsvc, "/v1/visits", visit(kind=kind, residents_reached=residents))
    if ok:
        assert response.status_code == 201, response.json
    else:
        assert "more than one visit reaches" in refused(response, "residents_reached")


def test_a_five_day_reception_session_is_refused(gsvc):
    five_days = session(started_at=(datetime.fromisoformat(f"{DAY}T09:00:00+08:00") - timedelta(days=5)).isoformat())
    assert "at most 12 hours" in refused(post(gsvc, "/v1/reception-sessions", five_days), "ended_at")
    whole_day = session(started_at=f"{DAY}T08:00:00+08:00", ended_at=f"{DAY}T20:00:00+08:00")
    assert post(gsvc, "/v1/reception-sessions", whole_day).status_code == 201


def test_every_deputy_on_duty_must_exist_and_serve_the_grid(gsvc):
    stranger, elsewhere = new_id(), serving_deputy(gsvc, OTHER_GRID)
    response = post(gsvc, "/v1/reception-sessions", session(DEPUTY, stranger, elsewhere))
    assert "no deputy" in refused(response, "deputies.1.deputy_id")
    assert "does not serve grid" in refused(response, "deputies.2.deputy_id")
    assert "deputies.0.deputy_id" not in {e["field"] for e in response.json["errors"]}
    assert post(gsvc, "/v1/reception-sessions", session(DEPUTY, DEPUTY_2)).status_code == 201


def test_at_a_station_alone_a_deputy_on_duty_must_still_exist(gsvc):
    at_station = session(new_id(), grid_id=None, station_id=new_id())
    assert "no deputy" in refused(post(gsvc, "/v1/reception-sessions", at_station), "deputies.0.deputy_id")
    assert post(gsvc, "/v1/reception-sessions", session(serving_deputy(gsvc, OTHER_GRID), grid_id=None,
                                                         station_id=new_id())).status_code == 201
