"""Versioned sandboxed templates; quiet hours and the daily SMS cap for residents."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from notifyfakes import D1, DAYTIME, case_event, configure, registered
from notify import domain
from notify.models import Delivery

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
    ("编号{{ tracking_code + 1 }}", "fails on these values: TypeError"),  # was a 500
    ("{% if tracking_code == 'x' %}{{ tracking_code }}{% endif %}", "renders an empty message"),
])
def test_a_template_using_what_the_event_lacks_is_refused_at_save_time(world, body, reason):
    answer = put(world.svc, body)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    (error,) = answer.json["errors"]
    assert error["field"] == "body" and reason in error["reason"]
    assert world.svc.client.get(f"/v1/templates/{KEY}", headers=world.svc.headers()).json["version"] == 0


def test_a_saved_template_failing_on_a_real_event_falls_back_to_the_built_in_text(world):
    svc = world.svc
    key = "case.answered/reporter"
    assert put(svc, "答复摘要：{{ summary[5] }}……", key=key).status_code == 201  # the sample summary is long enough
    case = registered()
    svc.deliver(case, "cases.v1")
    answered = case_event(case, "case.answered", state="answered", previous_state="in_progress", on_the_spot=True,
                          department=None, summary="已修复", on_time=True)
    assert svc.deliver(answered, "cases.v1") == "processed"
    replied = case_event(case, "case.replied", state="resolved", previous_state="answered", deputy_id=D1,
                         channel="on_the_spot", on_time=True)
    assert svc.deliver(replied, "cases.v1") == "processed"  # not a failed (then dead-lettered) event
    (inbox,) = world.deliveries(event_type="case.replied", channel="inbox", audience="reporter")
    assert inbox["template_version"] == 0 and inbox["body"] == "您反映的问题（受理编号WG7K3M9Q2P）已办理答复：已修复"
    assert len(world.deliveries(event_type="case.replied")) == 2  # the reporter, inbox and SMS


def test_a_saved_template_rendering_nothing_for_an_event_sends_the_built_in_text(world):
    svc = world.svc
    key = "case.registered/deputy"
    assert put(svc, "{% if not urgent %}新收民情{{ tracking_code }}{% endif %}", key=key).status_code == 201
    svc.deliver(registered(urgency="urgent"), "cases.v1")
    (inbox,) = world.deliveries(channel="inbox", audience="deputy")
    assert inbox["template_version"] == 0 and inbox["body"].startswith("本网格新收【紧急】民情一件")


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


def test_the_daily_cap_counts_a_resident_across_their_cases(world):
    svc = world.svc
    for ref in ("rp_abc",) * 3 + ("rp_abc2",) * 3 + ("rp_other",):
        svc.deliver(registered(ref, received_by={"kind": "call_taker", "id": "ct-1"}), "cases.v1")
    assert world.send(DAYTIME) == 6  # five to the resident with two cases, one to the other resident
    resident = world.deliveries(channel="sms", audience="reporter")
    assert sorted((d["recipient_ref"], d["state"]) for d in resident if d["state"] == "pending") == [
        ("rp_abc2", "pending")]
    assert sum(m["to"] == "13700000000" for m in world.sms()) == 1
    with svc.runtime.db.sessions() as session:  # the number itself is not kept, only its keyed hash
        keys = dict(session.execute(select(Delivery.recipient_ref, Delivery.contact_key).where(
            Delivery.channel == "sms", Delivery.audience == "reporter", Delivery.state == "sent")).all())
    assert keys["rp_abc"] == keys["rp_abc2"] != keys["rp_other"] and "13812345678" not in keys["rp_abc"]
    world.send(MORNING)
    assert {d["state"] for d in world.deliveries(channel="sms", audience="reporter")} == {"sent"}


def test_without_a_pii_key_a_resident_sms_fails_with_the_reason(world):
    svc = world.svc
    svc.deliver(registered(), "cases.v1")
    configure(svc, pii_key=None)
    assert world.send(DAYTIME) == 1  # the deputy's SMS needs no cap, so no key
    (sms,) = world.deliveries(channel="sms", audience="reporter")
    assert sms["state"] == "failed" and "WANGGE_PII_KEY is not set" in sms["last_error"]


def test_quiet_hours_arithmetic():
    quiet = domain.QuietHours.parse("21:00-08:00")
    assert quiet.contains(NIGHT) and not quiet.contains(DAYTIME)
    assert quiet.next_end(NIGHT) == MORNING
    assert domain.QuietHours.parse("off") is None
    with pytest.raises(ValueError):
        domain.QuietHours.parse("late")
    assert domain.next_day_morning(DAYTIME, quiet) == MORNING
    assert domain.backoff(1, 30) == timedelta(seconds=30) and domain.backoff(20, 30) == timedelta(hours=1)
