"""Routing's rules called directly: no app, no database (the state machine, triage, deadlines and working days,
the escalation ladder, the first receiver). The same rules are also exercised over HTTP in the other files."""
from datetime import date, datetime, timedelta, timezone

import pytest

from routing import domain
from routing.domain import DeadlineRule, Policy, Rule
from wangge_common.clock import CHINA
from wangge_common.errors import Conflict

UTC = timezone.utc


# ---- the state machines -----------------------------------------------------------------------------------------

def test_a_case_moves_through_the_closed_loop():
    state = "triaged"
    for action, expected in (("assign", "assigned"), ("sign", "signed"), ("start", "in_progress"),
                             ("answer", "answered"), ("reply", "resolved"), ("rate", "evaluated"),
                             ("close", "closed")):
        state = domain.next_state(state, action)
        assert state == expected


def test_an_illegal_move_names_what_is_allowed_now():
    with pytest.raises(domain.IllegalTransition) as refused:
        domain.next_state("closed", "sign")
    assert refused.value.status == 409
    assert "cannot sign a case that is closed; allowed now: nothing through this API" in str(refused.value)
    with pytest.raises(domain.IllegalTransition) as refused:
        domain.next_state("answered", "sign")
    assert "POST /v1/cases/{id}/replies" in str(refused.value)


def test_every_open_state_can_be_withdrawn_and_a_closed_one_cannot():
    for state in ("registered", "triaged", "assigned", "signed", "in_progress", "answered", "resolved", "evaluated",
                  "returned", "reopened", "escalated"):
        assert domain.next_state(state, "withdraw") == "withdrawn"
    with pytest.raises(domain.IllegalTransition):
        domain.next_state("withdrawn", "withdraw")


def test_a_work_order_cannot_be_answered_before_it_is_signed():
    assert domain.next_order_state("dispatched", "sign") == "signed"
    assert domain.next_order_state("signed", "answer") == "answered"
    with pytest.raises(Conflict) as refused:
        domain.next_order_state("dispatched", "answer")
    assert "allowed now: POST /v1/work-orders/{id}/return; POST /v1/work-orders/{id}/sign" in str(refused.value)


# ---- triage against the dispatch catalogue ------------------------------------------------------------------------

CATALOGUE = [Rule(1, "request", None, "town", "town-office", "镇党政办", 100),
             Rule(2, "request", "road", "town", "town-construction", "镇村镇建设办", 50),
             Rule(3, "request", "road", "county", "county-transport", "县交通运输局", 10),
             Rule(4, "complaint", "food_safety", "county", "county-market", "县市场监督管理局", 100)]


def test_an_exact_topic_beats_a_category_wide_line_and_priority_orders_the_rest():
    found = domain.triage("request", "road", CATALOGUE)
    assert (found.path, found.rule.id) == ("county", 3)
    assert "through the township people's congress (镇人大)" in found.reason
    assert domain.triage("request", "water", CATALOGUE).rule.id == 1


def test_triage_never_sends_a_case_back_to_a_department_that_returned_it():
    assert domain.triage("request", "road", CATALOGUE, ["county-transport"]).rule.id == 2
    none_left = domain.triage("complaint", "food_safety", CATALOGUE, ["county-market"])
    assert (none_left.path, none_left.rule) == ("manual", None)
    assert "every matching department returned it" in none_left.reason


def test_no_line_means_the_manual_queue():
    found = domain.triage("suggestion", None, CATALOGUE)
    assert (found.path, found.rule) == ("manual", None)
    assert found.reason == "no dispatch rule for suggestion/-: manual triage queue"


# ---- deadlines and working days ------------------------------------------------------------------------------------

def test_the_most_specific_deadline_rule_wins_and_special_groups_come_first():
    rules = [DeadlineRule(1, None, None, None, 15, "working_days"),
             DeadlineRule(2, "request", None, None, 10, "working_days"),
             DeadlineRule(3, "request", "road", None, 5, "working_days"),
             DeadlineRule(4, None, None, "urgent", 2, "days"),
             DeadlineRule(5, None, None, None, 3, "working_days", priority="high")]
    assert domain.pick_deadline("request", "road", "normal", rules).id == 3
    assert domain.pick_deadline("request", "water", "normal", rules).id == 2
    assert domain.pick_deadline("enquiry", None, "urgent", rules).id == 4
    assert domain.pick_deadline("request", "road", "urgent", rules, "high").id == 5
    assert domain.pick_deadline("enquiry", None, "normal", []) is domain.DEFAULT_DEADLINE
    assert domain.DEFAULT_DEADLINE.name == "*/*/*: 15 working days"
    assert rules[4].name == "*/*/* priority high: 3 working days"


def test_an_order_without_a_recorded_deadline_gets_the_default():
    assert domain.recorded_deadline(None, None) == DeadlineRule(None, None, None, None, 15, "working_days")
    assert domain.recorded_deadline(4, "hours").amount == 4


def test_working_days_skip_weekends_and_holidays_and_count_a_weekend_workday():
    calendar = {date(2026, 10, 1): "holiday", date(2026, 10, 2): "holiday", date(2026, 10, 10): "workday"}
    assert domain.is_working_day(date(2026, 9, 30), calendar)         # a Wednesday
    assert not domain.is_working_day(date(2026, 10, 1), calendar)     # 国庆节
    assert not domain.is_working_day(date(2026, 10, 3), calendar)     # a Saturday
    assert domain.is_working_day(date(2026, 10, 10), calendar)        # a Saturday worked (调休)


def test_working_days_are_counted_on_the_china_calendar():
    rule = DeadlineRule(None, None, None, None, 2, "working_days")
    # Friday 2026-12-04 20:00 UTC is Saturday 04:00 in China: the two working days are Monday and Tuesday
    due = domain.due_at(datetime(2026, 12, 4, 20, 0, tzinfo=UTC), rule, {})
    assert due.astimezone(CHINA) == datetime(2026, 12, 8, 4, 0, tzinfo=CHINA)
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)
    # the same rule across a holiday: Wednesday the 30th, then 1-2 October off, the weekend, then Monday the 5th
    start = datetime(2026, 9, 29, 9, 0, tzinfo=CHINA)
    holidays = {date(2026, 10, 1): "holiday", date(2026, 10, 2): "holiday"}
    assert domain.due_at(start, rule, holidays).astimezone(CHINA) == datetime(2026, 10, 5, 9, 0, tzinfo=CHINA)


def test_hours_and_days_are_counted_on_the_clock():
    start = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # a Saturday: calendar days and hours do not care
    assert domain.due_at(start, DeadlineRule(None, None, None, None, 2, "hours"), {}) == start + timedelta(hours=2)
    assert domain.due_at(start, DeadlineRule(None, None, None, None, 3, "days"), {}) == start + timedelta(days=3)


def test_the_due_soon_warning_comes_a_lead_before_but_never_before_three_quarters_of_the_time():
    start = datetime(2026, 12, 1, tzinfo=UTC)
    assert domain.due_soon_at(start, start + timedelta(days=10), timedelta(hours=24)) == start + timedelta(days=9)
    assert domain.due_soon_at(start, start + timedelta(hours=8), timedelta(hours=24)) == start + timedelta(hours=6)


# ---- the escalation ladder and the scheduler's next look -----------------------------------------------------------

def test_the_ladder_falls_due_after_the_deadline_by_the_policy():
    due = datetime(2026, 12, 1, tzinfo=UTC)
    policy = Policy()
    assert [policy.ladder_at(due, step) - due for step in (1, 2, 3)] == [timedelta(hours=24), timedelta(hours=72),
                                                                        timedelta(hours=168)]


def test_the_next_check_walks_due_soon_overdue_then_each_ladder_step():
    due, soon, policy = datetime(2026, 12, 10, tzinfo=UTC), datetime(2026, 12, 9, tzinfo=UTC), Policy()
    check = lambda **kw: domain.next_check(due, soon, policy=policy, **kw)  # noqa: E731
    assert check(due_soon_marked=False, overdue_marked=False, step=0) == soon
    assert check(due_soon_marked=True, overdue_marked=False, step=0) == due
    assert check(due_soon_marked=True, overdue_marked=True, step=0) == policy.ladder_at(due, 1)
    assert check(due_soon_marked=True, overdue_marked=True, step=3) is None
    # a signing or forwarding limit still to watch comes first when it is earlier
    sign_due = datetime(2026, 12, 2, tzinfo=UTC)
    assert check(due_soon_marked=False, overdue_marked=False, step=0, sign_due=sign_due) == sign_due
    assert check(due_soon_marked=True, overdue_marked=True, step=3, sign_due=sign_due) == sign_due


def test_supervision_only_moves_up_and_each_step_has_its_body():
    assert domain.supervision_after(None, "reminder") is None
    assert domain.supervision_after(None, "supervision") == "township"
    assert domain.supervision_after("township", "escalation") == "county"
    assert domain.supervision_after("county", "supervision") == "county"
    assert domain.ladder_target("reminder", "镇村镇建设办", "town") == "镇村镇建设办"
    assert domain.ladder_target("supervision", "镇村镇建设办", "town") == "镇人大主席团"
    assert domain.ladder_target("escalation", "县交通运输局", "county") == "县人大常委会"
    assert domain.ladder_target("escalation", "镇村镇建设办", "town") == "县人民政府"


# ---- who acts --------------------------------------------------------------------------------------------------

DEPUTY = "d0000000-0000-4000-8000-000000000007"
GRID = [("a0000000-0000-4000-8000-000000000001", "county"), (DEPUTY, "township"),
        ("b0000000-0000-4000-8000-000000000002", "township")]


def test_the_first_receiver_is_the_deputy_who_received_the_matter():
    assert domain.first_receiver({"kind": "deputy", "id": DEPUTY.upper()}, GRID) == DEPUTY
    assert domain.first_receiver({"kind": "deputy", "id": "not-a-uuid"}, GRID) is None


def test_else_the_grids_township_deputy_else_any_deputy_of_the_grid_else_none():
    taken_by_staff = {"kind": "call_taker", "id": "staff-1"}
    assert domain.first_receiver(taken_by_staff, GRID) == DEPUTY
    assert domain.first_receiver(taken_by_staff, GRID[:1]) == GRID[0][0]
    assert domain.first_receiver(taken_by_staff, []) is None


def test_priority_for_events_that_did_not_carry_it():
    assert domain.derive_priority("urgent", ["低保"]) == "urgent"
    assert domain.derive_priority("normal", ["低保"]) == "high"
    assert domain.derive_priority("normal", []) == "normal"


class _Order:
    def __init__(self, **values):
        self.__dict__.update(values)


def test_a_county_order_awaits_the_township_congress_until_forwarded():
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    assert domain.awaiting_forward(_Order(forward_due_at=moment, forwarded_at=None, state="dispatched"))
    assert not domain.awaiting_forward(_Order(forward_due_at=moment, forwarded_at=moment, state="dispatched"))
    assert not domain.awaiting_forward(_Order(forward_due_at=None, forwarded_at=None, state="dispatched"))
    assert not domain.awaiting_forward(_Order(forward_due_at=moment, forwarded_at=None, state="cancelled"))
