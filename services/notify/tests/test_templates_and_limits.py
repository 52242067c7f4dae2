"""Versioned sandboxed templates; quiet hours and the daily SMS cap for residents."""
from datetime import datetime, timedelta, timezone

import pytest

from notifyfakes import DAYTIME, registered
from notify import domain

KEY = "case.registered/reporter"
NIGHT = DAYTIME + timedelta(hours=13)  # 23:00 in Beijing
MORNING = DAYTIME + timedelta(hours=22)  # 08:00 in Beijing, the next day


def put(svc, body, key=KEY, who="all"):
    return svc.client.put(f"/v1/templates/{key}", json={"body": body, "reason": "措辞调整"}, headers=svc.headers(who))


def test_a_new_template_version_is_used_for_the_next_message(world):
    svc = world.svc
    saved = put(svc, "【网格】已受理，编号{{ tracking_code }}，请留意后续通知。")
    assert saved.status_code == 201 and saved.json["version"] == 1
    assert [v["version"] for v in saved.json["versions"]] == [0, 1]
    svc.deliver(registered(), "cases.v1")
    (inbox,) = world.deliveries(channel="inbox", audience="reporter")
    assert inbox["body"] == "【网格】已受理，编号WG7K3M9Q2P，请留意后续通知。" and inbox["template_version"] == 1
    assert put(svc, "第二版：{{ tracking_code }}").json["version"] == 2
    listed = svc.client.get("/v1/templates", headers=svc.headers("all")).json
    assert {t["key"] for t in listed} == set(domain.DEFAULTS)
    shown = svc.client.get(f"/v1/templates/{KEY}", headers=svc.headers()).json
    assert shown["version"] == 2 and shown["variables"] == {"tracking_code": "WG7K3M9Q2P"}


@pytest.mark.parametrize("body, reason", [
    ("您好{{ reporter_name }}，编号{{ tracking_code }}", "'reporter_name' is undefined"),
    ("编号{{ tracking_code }", "syntax error"),
    ("{{ tracking_code.__class__.__mro__ }}", "not allowed"),
    ("{{ ''.__class__.__subclasses__() }}", "not allowed"),
])
def test_a_template_using_what_the_event_lacks_is_refused_at_save_time(world, body, reason):
    answer = put(world.svc, body)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    (error,) = answer.json["errors"]
    assert error["field"] == "body" and reason in error["reason"]
    assert world.svc.client.get(f"/v1/templates/{KEY}", headers=world.svc.headers()).json["version"] == 0


def test_templates_are_admin_only_and_keys_are_known(world):
    assert put(world.svc, "{{ tracking_code }}", who="reader").status_code == 403
    assert put(world.svc, "{{ tracking_code }}", key="case.lost/reporter").status_code == 404
    empty = world.svc.client.put(f"/v1/templates/{KEY}", json={}, headers=world.svc.headers())
    assert empty.status_code == 422 and empty.json["errors"][0]["field"] == "body"


def test_a_resident_sms_at_night_waits_for_the_morning(world):
    svc = world.svc
    svc.deliver(registered(), "cases.v1")
    assert world.send(NIGHT) == 1  # the deputy's SMS goes: quiet hours protect residents
    (held,) = world.deliveries(channel="sms", audience="reporter")
    assert held["state"] == "pending" and held["held_reason"] == "quiet_hours"
    assert datetime.fromisoformat(held["next_attempt_at"]) == MORNING
    assert world.send(NIGHT + timedelta(hours=4)) == 0  # 03:00: still held
    assert world.send(MORNING) == 1
    (sent,) = world.deliveries(channel="sms", audience="reporter")
    assert sent["state"] == "sent" and sent["held_reason"] is None and sent["attempts"] == 1


def test_an_urgent_case_is_told_at_night(world):
    world.svc.deliver(registered(urgency="urgent"), "cases.v1")
    assert world.send(NIGHT) == 2
    assert {m["to"] for m in world.sms()} == {"13812345678", "13900000001"}


def test_the_daily_cap_holds_the_rest_until_tomorrow(world):
    svc = world.svc
    for _ in range(7):
        svc.deliver(registered(), "cases.v1")
    world.send(DAYTIME)
    resident = world.deliveries(channel="sms", audience="reporter")
    assert sorted(d["state"] for d in resident) == ["pending"] * 2 + ["sent"] * 5
    assert {d["held_reason"] for d in resident if d["state"] == "pending"} == {"daily_cap"}
    world.send(MORNING)
    assert {d["state"] for d in world.deliveries(channel="sms", audience="reporter")} == {"sent"}


def test_quiet_hours_arithmetic():
    quiet = domain.QuietHours.parse("21:00-08:00")
    assert quiet.contains(NIGHT) and not quiet.contains(DAYTIME)
    assert quiet.next_end(NIGHT) == MORNING
    assert domain.QuietHours.parse("off") is None
    with pytest.raises(ValueError):
        domain.QuietHours.parse("late")
    assert domain.next_day_morning(DAYTIME, quiet) == MORNING
    assert domain.backoff(1, 30) == timedelta(seconds=30) and domain.backoff(20, 30) == timedelta(hours=1)
