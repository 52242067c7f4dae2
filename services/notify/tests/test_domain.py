"""Notify's rules called directly (notify/domain.py): no database, no app, no clock read."""
from datetime import datetime, time, timedelta, timezone

import pytest

from notify import domain
from notify.domain import QuietHours
from wangge_common import clock


def china(*args) -> datetime:
    return datetime(*args, tzinfo=clock.CHINA)


# --- quiet hours ------------------------------------------------------------------------------------------------
def test_quiet_hours_read_like_21_to_08_and_off_means_none():
    assert QuietHours.parse("21:00-08:00") == QuietHours(time(21, 0), time(8, 0))
    assert QuietHours.parse(" 22:30 - 07:15 ") == QuietHours(time(22, 30), time(7, 15))
    assert QuietHours.parse("") is None and QuietHours.parse("OFF") is None
    with pytest.raises(ValueError, match="21:00-08:00"):
        QuietHours.parse("late evening")


def test_quiet_hours_wrap_midnight_in_china_time():
    quiet = QuietHours.parse("21:00-08:00")
    assert quiet.contains(china(2026, 12, 6, 21, 0)) and quiet.contains(china(2026, 12, 7, 7, 59))
    assert not quiet.contains(china(2026, 12, 6, 20, 59)) and not quiet.contains(china(2026, 12, 7, 8, 0))
    # 14:00 UTC is 22:00 in China: quiet, whatever zone the moment is given in
    assert quiet.contains(datetime(2026, 12, 6, 14, 0, tzinfo=timezone.utc))


def test_quiet_hours_within_one_day():
    quiet = QuietHours.parse("12:00-14:00")
    assert quiet.contains(china(2026, 12, 6, 13, 0)) and not quiet.contains(china(2026, 12, 6, 14, 0))


def test_the_end_of_quiet_hours_is_the_next_morning_in_utc():
    quiet = QuietHours.parse("21:00-08:00")
    assert quiet.next_end(china(2026, 12, 6, 23, 0)) == china(2026, 12, 7, 8, 0)
    assert quiet.next_end(china(2026, 12, 7, 6, 0)) == china(2026, 12, 7, 8, 0)
    assert quiet.next_end(china(2026, 12, 7, 6, 0)).tzinfo == timezone.utc


# --- the daily SMS cap ------------------------------------------------------------------------------------------
def test_a_day_is_the_china_calendar_day():
    start, end = domain.local_day_bounds(datetime(2026, 12, 5, 17, 0, tzinfo=timezone.utc))  # 01:00 on the 6th
    assert (start, end) == (china(2026, 12, 6, 0, 0), china(2026, 12, 7, 0, 0))
    assert end - start == timedelta(days=1)


def test_a_capped_message_waits_for_the_next_morning():
    evening = china(2026, 12, 6, 19, 0)
    assert domain.next_day_morning(evening, QuietHours.parse("21:00-07:30")) == china(2026, 12, 7, 7, 30)
    assert domain.next_day_morning(evening, None) == china(2026, 12, 7, 8, 0)


def test_retries_back_off_doubling_up_to_a_cap():
    assert [domain.backoff(n, 30).total_seconds() for n in (0, 1, 2, 3)] == [30, 30, 60, 120]
    assert domain.backoff(30, 30) == timedelta(hours=1)


def test_one_resident_is_one_contact_key_however_the_number_is_written():
    key = domain.contact_key("secret", "13812345678")
    assert domain.contact_key("secret", "+86 138-1234-5678") == key
    assert domain.contact_key("secret", "13700000000") != key and domain.contact_key("other", "13812345678") != key
    assert "13812345678" not in key and len(key) == 40


# --- templates --------------------------------------------------------------------------------------------------
def test_every_built_in_template_renders_its_sample_values():
    for key, default in domain.DEFAULTS.items():
        domain.check_template(key, default.body)
        assert domain.render(default.body, default.variables), key


def test_a_doubled_full_stop_keeps_one():
    assert domain.render("原因：{{ reason }}。", {"reason": "逾期未办结。"}) == "原因：逾期未办结。"


@pytest.mark.parametrize("body, problem", [
    ("{{ tracking_code ", "syntax error"),
    ("{{ phone }}", "this template may use"),
    ("{{ tracking_code.__class__.__mro__ }}", "not allowed"),
    ("{{ tracking_code + 1 }}", "fails on these values"),
])
def test_a_broken_template_is_a_template_error(body, problem):
    with pytest.raises(domain.TemplateError, match=problem):
        domain.render(body, {"tracking_code": "WG7K3M9Q2P"})


def test_a_template_is_checked_against_its_key_and_its_sample():
    with pytest.raises(domain.TemplateError, match="no template key"):
        domain.check_template("case.nothing/reporter", "x")
    with pytest.raises(domain.TemplateError, match="cannot be empty"):
        domain.check_template("case.registered/reporter", "  ")
    with pytest.raises(domain.TemplateError, match="renders an empty message"):
        domain.check_template("case.registered/reporter", "{% if false %}x{% endif %}")


def test_words_for_people():
    assert domain.excerpt("  村口\n路灯坏了 ") == "村口 路灯坏了"
    assert domain.excerpt("长" * 50, limit=10) == "长" * 10 + "…"
    assert domain.local_time(datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)) == "2026年11月22日 17:00"
    assert domain.escalation_reason("overdue", "job note") == "工单超过办理期限仍未办结"
    assert domain.escalation_reason("manual", "代表要求督办") == "代表要求督办"


# --- webhooks ---------------------------------------------------------------------------------------------------
def test_signatures_verify_only_the_same_body_and_secret():
    header = domain.sign("s3cret", b'{"a":1}')
    assert header.startswith("sha256=") and domain.verify("s3cret", b'{"a":1}', header)
    assert not domain.verify("s3cret", b'{"a":2}', header) and not domain.verify("other", b'{"a":1}', header)
    assert not domain.verify("s3cret", b'{"a":1}', None)


def test_subscription_patterns():
    assert domain.matches(["case.*"], "case.answered") and domain.matches(["*"], "grid.created")
    assert domain.matches(["work_order.overdue"], "work_order.overdue")
    assert not domain.matches(["case.*"], "work_order.overdue") and not domain.matches([], "case.answered")


# --- what a message means ---------------------------------------------------------------------------------------
def test_a_resend_means_the_same_and_news_means_something_new():
    case = {"case_id": "c1"}
    assert domain.meaning_key("case.registered", case) == "case.registered:c1"
    assert domain.meaning_key("case.answered", case, reopen_count=1) == "case.answered:c1:1"
    assert domain.meaning_key("case.answered", case) != domain.meaning_key("case.answered", case, reopen_count=1)
    assigned = {"case_id": "c1", "work_orders": [{"work_order_id": "w2"}, {"work_order_id": "w1"}]}
    assert domain.meaning_key("case.assigned", assigned) == "case.assigned:c1:w1:w2"


def test_kinds_without_a_meaning_and_long_keys():
    assert domain.meaning_key("case.signed", {"case_id": "c1"}) is None
    assert domain.meaning_key("case.registered", {}) is None
    many = {"case_id": "c1", "work_orders": [{"work_order_id": f"w{i:04d}"} for i in range(100)]}
    key = domain.meaning_key("case.assigned", many)
    assert len(key) <= domain.MEANING_KEY_LENGTH and key == domain.meaning_key("case.assigned", many)
