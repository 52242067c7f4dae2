"""Intake's rules called directly: no app, no database, no clock (the time is an argument)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from intake import domain

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)


# --- registration --------------------------------------------------------------------------------------
@pytest.mark.parametrize("channel, kind", [("hotline", "call_taker"), ("station", "deputy"), ("online", "resident"),
                                           ("online", "system"), ("visit", "deputy"), ("meeting", "deputy")])
def test_each_channel_is_taken_in_by_its_own_receivers(channel, kind):
    assert domain.channel_problems(channel, kind, None) == []


def test_a_channel_taken_in_by_the_wrong_receiver_names_who_takes_it():
    assert domain.channel_problems("hotline", "deputy", None) == [
        ("received_by.kind", "the hotline channel is taken in by call_taker, not deputy")]


def test_an_integration_case_needs_the_external_systems_id():
    assert domain.channel_problems("integration", "system", None)[0][0] == "external_ref"
    assert domain.channel_problems("integration", "system", {"system": "12345", "id": "A-1"}) == []


@pytest.mark.parametrize("urgency, groups, expected", [
    ("normal", [], "normal"), ("normal", ["disabled"], "high"), ("urgent", [], "urgent"),
    ("urgent", ["left_behind_child"], "urgent")])
def test_priority_urgent_first_and_a_special_group_raises_a_normal_matter(urgency, groups, expected):
    assert domain.priority(urgency, groups) == expected


def test_tracking_codes_are_wg_and_eight_symbols_read_out_safely():
    codes = {domain.new_tracking_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 10 and c.startswith("WG") and set(c[2:]) <= set(domain.TRACKING_ALPHABET) for c in codes)
    assert not set("01OIL") & set(domain.TRACKING_ALPHABET)


def test_a_matter_is_not_received_in_the_future_beyond_clock_skew():
    assert domain.not_in_future("received_at", NOW + domain.CLOCK_SKEW, NOW, "x") == []
    assert domain.not_in_future("received_at", NOW + domain.CLOCK_SKEW + timedelta(seconds=1), NOW, "taken in") == [
        ("received_at", "is in the future: taken in")]
    assert domain.not_in_future("visited_on", date(2026, 12, 7), date(2026, 12, 6), "visited")  # a date: no skew


def test_a_matter_before_2000_is_a_typo():
    assert domain.not_before_2000("received_at", datetime(1999, 12, 31, tzinfo=timezone.utc))
    assert domain.not_before_2000("received_at", domain.EARLIEST_RECEIVED) == []


def test_the_request_fingerprint_ignores_key_order_only():
    assert domain.request_fingerprint({"a": 1, "b": "二"}) == domain.request_fingerprint({"b": "二", "a": 1})
    assert domain.request_fingerprint({"a": 1}) != domain.request_fingerprint({"a": 2})


# --- duplicates (相关件) ----------------------------------------------------------------------------------
def test_the_content_key_ignores_spaces_punctuation_and_case():
    assert domain.content_key("村口 路灯坏了！") == domain.content_key("村口路灯坏了") != domain.content_key("村口路灯好了")
    assert domain.content_key("Lamp broken") == domain.content_key("lampbroken")


def test_near_identical_reports_differ_by_a_character_or_two_not_by_the_matter():
    assert domain.near_identical("村口路灯坏了三天，晚上出行不便。", "村口路灯坏了三天晚上出行很不便")
    assert not domain.near_identical("村口路灯坏了三天，晚上出行不便。", "垃圾没人清运，气味很大。")
    check = domain.near_identical_to("村口路灯坏了三天")
    assert check(domain.content_profile("村口路灯坏了三天！")) and check("村口路灯坏了三天")
    assert domain.near_identical("", "")


# --- tracking ----------------------------------------------------------------------------------------------
def at(hour: int) -> datetime:
    return NOW.replace(hour=hour)


def test_the_timeline_shows_the_steps_reached_then_those_ahead():
    steps = domain.tracking_timeline([("registered", at(1)), ("assigned", at(2))])
    assert [(s["step"], s["reached_at"], s["current"]) for s in steps] == [
        ("received", at(1), False), ("assigned", at(2), True), ("answered", None, False),
        ("evaluated", None, False), ("closed", None, False)]
    assert steps[0]["label"] == "已受理"


def test_a_state_that_leaves_the_case_where_it_was_adds_no_step():
    steps = domain.tracking_timeline([("registered", at(1)), ("assigned", at(2)), ("signed", at(3))])
    assert [s["step"] for s in steps if s["reached_at"]] == ["received", "assigned"]


def test_a_returned_and_answered_again_case_shows_each_step_it_went_through():
    steps = domain.tracking_timeline([("registered", at(1)), ("assigned", at(2)), ("answered", at(3)),
                                      ("reopened", at(4)), ("answered", at(5)), ("closed", at(6))])
    assert [s["step"] for s in steps] == ["received", "assigned", "answered", "reopened", "answered", "closed"]
    assert steps[-1]["current"]


def test_no_entries_no_timeline():
    assert domain.tracking_timeline([]) == []


def test_an_unknown_state_counts_as_received():
    assert domain.step_of("something_new") == "received"


# --- visits and reception days ------------------------------------------------------------------------------
def test_a_door_to_door_visit_reaches_at_most_a_hundred_residents():
    assert domain.visit_problems("door_to_door", 100) == []
    assert domain.visit_problems("door_to_door", 101)[0][0] == "residents_reached"
    assert domain.visit_problems("meeting", 1000) == []


def test_a_reception_session_ends_after_it_starts_within_the_day_and_has_each_deputy_once():
    one, two = {"deputy_id": "d-1"}, {"deputy_id": "d-2"}
    assert domain.reception_problems(at(1), at(3), [one, two], NOW) == []
    assert domain.reception_problems(at(3), at(1), [one], NOW) == [("ended_at", "must be after started_at")]
    assert "13 hours" in domain.reception_problems(at(0) - timedelta(hours=13), at(0), [one], NOW)[0][1]
    assert ("deputies", "lists a deputy twice") in domain.reception_problems(at(1), at(3), [one, one], NOW)
    late = domain.reception_problems(NOW + timedelta(hours=1), NOW + timedelta(hours=2), [one], NOW)
    assert {field for field, _ in late} == {"started_at", "ended_at"}
    assert domain.reception_minutes(at(1), at(3)) == 120


# --- personal data -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("phone, digits", [("138 0013 8000", "13800138000"), ("+86 13800138000", "13800138000"),
                                           ("0086-138-0013-8000", "13800138000"), ("0731-5555666", "07315555666"),
                                           (None, None), ("", None)])
def test_a_phone_is_hashed_as_its_digits_without_the_country_prefix(phone, digits):
    assert domain.phone_digits(phone) == digits


def test_redaction_masks_phones_id_numbers_and_the_names_given():
    text = domain.redact("王秀英的电话13800138000，身份证430382199001011234", ["王秀英"])
    assert "13800138000" not in text and "430382199001011234" not in text and "王秀英" not in text
    assert domain.has_phone_or_id("电话13800138000") and not domain.has_phone_or_id("路灯坏了")


def test_a_households_address_shows_only_its_start():
    assert domain.mask_address("韶山村第一村民小组12号") == "韶山村第一村…"
    assert domain.mask_address("韶山村") == "韶山村"
    assert domain.address_key("韶山村 第一组, 12号") == domain.address_key("韶山村第一组12号")


def test_a_photo_is_known_by_its_first_bytes():
    assert domain.photo_media_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert domain.photo_media_type(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert domain.photo_media_type(b"GIF89a") is None


# --- placing a located matter ----------------------------------------------------------------------------------
def test_a_located_matter_goes_to_the_finest_grid_whose_centre_is_near():
    village, group, far = ("v", 2, 27.910, 112.520), ("g", 3, 27.915, 112.525), ("f", 3, 28.5, 113.0)
    assert domain.nearest_grid((27.911, 112.521), [village, group, far]) == "g"  # finer level first
    assert domain.nearest_grid((27.911, 112.521), [village, far]) == "v"
    assert domain.nearest_grid((30.0, 120.0), [village, group]) is None


def test_distance_is_great_circle_kilometres():
    assert domain.distance_km((0.0, 0.0), (0.0, 1.0)) == pytest.approx(111.195, abs=0.01)
    assert domain.distance_km((27.9, 112.5), (27.9, 112.5)) == 0
