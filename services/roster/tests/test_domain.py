"""Roster's rules as pure functions (domain.py): no database, no app, the time an argument."""
from datetime import date
from types import SimpleNamespace as Row

import pytest

from wangge_common.errors import Invalid

from roster import domain


def rule(pattern="monthly", month_days=(), weekday=None, start_time="09:00", end_time="11:00"):
    return Row(pattern=pattern, month_days=list(month_days), weekday=weekday, start_time=start_time,
               end_time=end_time)


# --- the grid tree -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level, parent_level, fine", [(1, None, True), (1, 1, False), (2, None, False), (2, 1, True),
                                                       (3, 2, True), (3, 1, False)])
def test_a_grid_sits_one_level_below_its_parent_and_a_township_has_none(level, parent_level, fine):
    assert (domain.check_grid_placement(level, parent_level) is None) is fine


def test_a_bottom_grid_outside_the_household_range_is_flagged_not_refused():
    assert domain.household_flags("urban_community", 3, 520) == ["households_outside_range:300-500"]
    assert domain.household_flags("rural_village", 3, 250) == []
    assert domain.household_flags("rural_village", 2, 5000) == []  # only bottom-level grids
    assert domain.household_flags("old_estate", 3, 50) == []  # no range for special zones
    assert domain.household_flags("rural_village", 3, 0) == []  # not counted yet


def test_a_full_place_name_does_not_repeat_what_the_child_already_says():
    assert domain.place_name(["韶山乡", "泉江村", "泉江村第一村民小组"]) == "韶山乡泉江村第一村民小组"
    assert domain.place_name(["韶山乡", "韶山村", "翠竹小区"]) == "韶山乡韶山村翠竹小区"


# --- a deputy's personal data and public contact ---------------------------------------------------------------
def test_a_mobile_and_an_id_number_are_shown_masked():
    assert domain.mask_mobile("13812345678") == "138****5678"
    assert domain.mask_mobile("123") == "****"
    assert domain.mask_id_number("430321199001011234") == "4303**********1234"


def test_an_id_number_needs_its_check_digit():
    assert domain.id_number_problem("11010519491231002X") is None
    assert "check digit" in domain.id_number_problem("110105194912310021")
    assert "18-character" in domain.id_number_problem("1101051949")


def test_the_notice_prints_a_deputys_own_number_only_when_they_agreed_and_never_the_mobile():
    assert domain.public_phone("0731-55681234", "office") == "0731-55681234"
    assert domain.public_phone("0731-55681234", "station") is None
    assert domain.public_phone(None, "office") is None


def test_a_deputys_fields_must_agree():
    assert domain.deputy_fields_problem("office", None, None, None)[0] == "office_phone"
    assert domain.deputy_fields_problem("office", "0731-55681234", date(2026, 12, 1), date(2031, 11, 30)) is None
    assert domain.deputy_fields_problem("station", None, date(2026, 12, 1), date(2026, 1, 1))[0] == "term_end"


def test_the_notice_period_runs_the_given_days_from_publication():
    assert domain.notice_period(date(2026, 12, 1), 7) == {"from": "2026-12-01", "to": "2026-12-08"}


# --- reception schedules (接待日) -------------------------------------------------------------------------------
def test_a_reception_lasts_at_least_two_hours():
    domain.check_hours("09:00", "11:00")
    with pytest.raises(Invalid) as refused:
        domain.check_hours("09:00", "10:59")
    assert refused.value.errors[0]["field"] == "end_time"


def test_a_pattern_needs_its_weekday_or_its_days_of_the_month():
    assert domain.schedule_pattern_problem("weekly", None, [])[0] == "weekday"
    assert domain.schedule_pattern_problem("monthly", None, [])[0] == "month_days"
    assert domain.schedule_pattern_problem("weekly", 3, []) is None
    assert domain.schedule_pattern_problem("monthly", None, [10, 25]) is None


def test_monthly_and_weekly_rules_give_their_days():
    first, last = date(2026, 2, 1), date(2026, 3, 31)
    assert domain.rule_days(rule(month_days=[10, 30]), first, last) == [date(2026, 2, 10), date(2026, 3, 10),
                                                                          date(2026, 3, 30)]
    thursdays = domain.rule_days(rule("weekly", weekday=3), date(2026, 12, 1), date(2026, 12, 14))
    assert thursdays == [date(2026, 12, 3), date(2026, 12, 10)]


def test_a_day_the_month_does_not_have_is_said_skipped():
    missing = domain.missing_days(rule(month_days=[10, 30]), date(2026, 2, 1), date(2026, 3, 31))
    assert [(m["month"], m["day"]) for m in missing] == [("2026-02", None)]
    assert domain.missing_days(rule("weekly", weekday=3), date(2026, 2, 1), date(2026, 3, 31)) == []


def test_a_rule_reads_in_chinese_as_the_notice_prints_it():
    assert domain.describe(rule(month_days=[10, 25])) == "每月10日、25日 09:00-11:00"
    assert domain.describe(rule("weekly", weekday=3, start_time="14:30", end_time="17:30")) == "每周四 14:30-17:30"


def test_a_duty_team_needs_a_serving_npc_deputy_and_for_two_representatives_a_party_delegate():
    npc = Row(name="李红梅", status="serving", kind="npc_deputy")
    party = Row(name="王建国", status="serving", kind="party_delegate")
    ended = Row(name="张平", status="ended", kind="npc_deputy")
    assert domain.duty_team_problems(["a", "b"], {"a": npc, "b": party}, True) == []
    assert domain.duty_team_problems(["a"], {"a": npc}, False) == []
    problems = domain.duty_team_problems(["a", "x"], {"a": npc}, True)
    assert problems == ["no deputy x", "the 两代表 scheme needs a party-congress delegate (党代表) on duty too"]
    problems = domain.duty_team_problems(["c", "b"], {"c": ended, "b": party}, False)
    assert problems == ["张平 is ended, not serving"]
    assert domain.duty_team_problems(["b"], {"b": party}, False) == [
        "at least one people's-congress deputy (人大代表) must be on duty"]


# --- contact households (双联系) -------------------------------------------------------------------------------
def test_a_deputy_with_three_kinds_each_met_twice_is_not_short():
    links = [("l1", "wealth_leader"), ("l2", "household_in_difficulty"), ("l3", "respected_figure")]
    assert domain.contact_shortfall(links, {"l1": 2, "l2": 3, "l3": 2}) is None


def test_a_deputy_short_of_links_kinds_or_meetings_is_named_with_each_gap():
    links = [("l1", "wealth_leader"), ("l2", "wealth_leader")]
    short = domain.contact_shortfall(links, {"l1": 2, "l2": 1})
    assert short == {"links": 2, "kinds_missing": ["household_in_difficulty", "respected_figure"], "meetings": 3,
                     "households_met_fewer_than_twice": [{"link_id": "l2", "kind": "wealth_leader", "meetings": 1}]}
    assert domain.contact_shortfall([], {})["links"] == 0


# --- "1+4+N" liaison stations ----------------------------------------------------------------------------------
def test_the_station_network_names_every_gap():
    towns = [Row(id="t1", code="SS-01", name="清溪镇"), Row(id="t2", code="SS-02", name="银田镇")]
    stations = [Row(id="s1", tier="township", township_id="t1", name="清溪镇人大代表联络站"),
                Row(id="s2", tier="township", township_id=None, name="无主站"),
                Row(id="s3", tier="area", township_id=None, name="如意社区代表联络点")]
    findings = domain.station_network_findings(stations, towns, {"s1": ["t1"]})
    assert [f["rule"] for f in findings] == ["no_main_station", "township_without_station",
                                              "station_without_township", "area_station_without_grid"]
    assert findings[1]["grid_code"] == "SS-02"
    whole = stations[:1] + [Row(id="m", tier="main", township_id=None, name="总站"),
                            Row(id="s4", tier="township", township_id="t2", name="银田镇人大代表联络站")]
    assert domain.station_network_findings(whole, towns, {}) == []
