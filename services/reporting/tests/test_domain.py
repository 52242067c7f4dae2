"""Reporting's rules as pure functions, tested directly: no database, no Flask, milliseconds each."""
from datetime import date

from reporting import domain
from reporting.samples import REGISTERED


def case(**changes):
    return dict(domain.new_case(dict(REGISTERED, case_id="c1", received_at="2026-03-02T00:00:00Z")), **changes)


DEPT = {"code": "d1", "name": "镇村镇建设办"}


# --- a case's figures, event by event ---------------------------------------------------------------------------
def test_registration_names_a_receiving_deputy_only():
    assert case()["received_by_deputy_id"] is None
    by_deputy = domain.new_case(dict(REGISTERED, received_by={"kind": "deputy", "id": "p1"}))
    assert by_deputy["received_by_deputy_id"] == "p1" and by_deputy["period"] == REGISTERED["received_at"][:7]


def test_triage_and_assignment_name_the_department():
    triaged = domain.apply_case_event(case(), "case.triaged", {"department": DEPT}, "t")
    assert (triaged["state"], triaged["department"], triaged["department_name"]) == ("triaged", "d1", "镇村镇建设办")
    orders = [{"role": "assist", "department": {"code": "d2", "name": "镇民政办"}},
              {"role": "lead", "department": DEPT}]
    assigned = domain.apply_case_event(case(), "case.assigned", {"state": "assigned", "work_orders": orders}, "t")
    assert (assigned["state"], assigned["department"]) == ("assigned", "d1")


def test_an_answer_on_the_spot_counts_for_no_department():
    answered = domain.apply_case_event(case(department="d1", department_name="x"), "case.answered",
                                       {"on_the_spot": True, "on_time": True}, "t")
    assert answered["answered"] and answered["department"] is None and answered["answered_on_time"] is True


def test_a_reply_counts_only_after_the_answer_and_names_the_deputy():
    interim = domain.apply_case_event(case(), "case.replied", {"on_time": True, "deputy_id": "p1"}, "t")
    assert not interim["replied"] and interim["deputy_id"] == "p1"
    passed_on = domain.apply_case_event(case(answered=True), "case.replied", {"on_time": False}, "t")
    assert passed_on["replied"] and passed_on["replied_on_time"] is False


def test_a_reopening_asks_for_a_new_answer_and_reply():
    done = case(answered=True, replied=True, closed=True, outcome="satisfied", handling_s=10)
    reopened = domain.apply_case_event(done, "case.reopened", {"reopen_count": 1}, "t")
    assert (reopened["reopen_count"], reopened["closed"], reopened["answered"], reopened["replied"]) == (1, False,
                                                                                                         False, False)
    assert done["closed"]  # the input is left alone


def test_closing_sets_the_outcome_rating_and_handling_time():
    closed = domain.apply_case_event(case(), "case.closed", {"outcome": "basically_satisfied", "on_time": True,
                                                             "reopen_count": 0}, "2026-03-03T00:00:00Z")
    assert (closed["closed"], closed["rating"], closed["handling_s"]) == (True, "basically_satisfied", 86400)
    withdrawn = domain.apply_case_event(case(), "case.closed", {"outcome": "withdrawn", "reopen_count": 0},
                                        "2026-03-02T01:00:00Z")
    assert withdrawn["withdrawn"] and not withdrawn["closed"]


def test_intakes_describing_events_do_not_move_the_state():
    moved = domain.apply_case_event(case(state="assigned"), "case.supplemented", {"state": "registered"}, "t")
    assert moved["state"] == "assigned"


def test_a_mediation_with_agreement_counts():
    mediation = {"mediation": {"outcome": "partial"}}
    assert domain.apply_case_event(case(), "work_order.answered", mediation, "t")["mediated"]
    assert not domain.apply_case_event(case(), "work_order.answered", {"mediation": None}, "t")["mediated"]


# --- deputy performance, duty by duty --------------------------------------------------------------------------
def visit(day, households=(), reached=0, registered=0, kind="door_to_door"):
    return {"visited_on": day, "household_ids": list(households), "residents_reached": reached,
            "cases_registered": registered, "kind": kind}


def test_visits_are_judged_week_by_week():
    visits = [visit("2026-01-01"), visit("2026-01-06"), visit("2026-01-13")]
    figures = domain.visit_figures(visits, 2026, date(2026, 1, 18))
    # 1 Jan 2026 is a Thursday: ISO weeks 1, 2 and 3 by the 18th, each with a visit
    assert figures == {"visits": 3, "weeks": 3, "weeks_with_visit": 3, "visits_per_week": 1.0, "visits_meet": True}
    assert not domain.visit_figures(visits, 2026, date(2026, 1, 25))["visits_meet"]
    assert domain.visit_figures([], 2027, date(2026, 12, 31))["visits_per_week"] is None  # the year has not begun


def test_households_are_counted_once_a_month():
    visits = [visit("2026-01-05", [f"h{i}" for i in range(6)]), visit("2026-01-20", [f"h{i}" for i in range(4, 10)]),
              visit("2026-02-02", ["h1"])]
    figures = domain.households_by_month(visits, 2026, date(2026, 2, 10))
    assert figures["households_by_month"] == [{"month": "2026-01", "households": 10, "meets": True},
                                              {"month": "2026-02", "households": 1, "meets": False}]
    assert not figures["households_meet"]


def test_reach_is_a_share_of_the_grids_population_per_quarter():
    visits = [visit("2026-02-01", reached=30), visit("2026-03-01", reached=20), visit("2026-04-01", reached=10)]
    figures = domain.reach_by_quarter(visits, 2026, date(2026, 4, 30), 1000)
    assert [(q["quarter"], q["residents_reached"], q["share"], q["meets"]) for q in figures["reach_by_quarter"]] == [
        (1, 50, 0.05, True), (2, 10, 0.01, False)]
    unknown = domain.reach_by_quarter(visits, 2026, date(2026, 4, 30), None)
    assert unknown["reach_by_quarter"][0]["meets"] is None and not unknown["reach_meet"]


def test_receptions_count_days_hours_and_residents():
    sessions = [{"started_at": "2026-01-05T01:00:00Z", "ended_at": "2026-01-05T03:30:00Z", "residents_received": 4},
                {"started_at": "2026-01-05T06:00:00Z", "ended_at": "2026-01-05T07:00:00Z", "residents_received": 2}]
    assert domain.reception_figures(sessions) == {"reception_days": 1, "reception_hours": 3.5,
                                                  "residents_received": 6}


def test_cases_received_counts_each_case_once():
    sessions = [{"case_ids": ["a", "b"]}]
    registered = [{"case_id": "b", "channel": "station"}, {"case_id": "c", "channel": "visit"}]
    # a, b, c, plus the one visit registration not already among them (two registered on visits, one known)
    assert domain.cases_received(sessions, registered, [visit("2026-01-01", registered=2)]) == 4


CASES = [{"replied": True, "mediated": True, "category": "request", "special": True, "closed": True,
          "outcome": "satisfied"},
         {"replied": True, "mediated": False, "category": "suggestion", "special": False, "closed": True,
          "outcome": "unsatisfied"},
         {"replied": False, "mediated": False, "category": "suggestion", "special": True, "closed": False,
          "outcome": None}]


def test_case_counts_and_what_they_decide():
    counts = domain.count_cases(CASES)
    assert counts == {"answered": 2, "mediated": 1, "suggestions": 2, "special_answered": 1, "settled": 1}
    assert domain.case_figures(counts) == {"cases_answered": 2, "disputes_mediated": 1}
    assert domain.five_ones(counts) == {"good_suggestion": 2, "inspection": None, "dispute_mediated": 1,
                                        "household_in_difficulty_helped": 1, "livelihood_matter_settled": 1}
    assert domain.count_cases([]) == dict.fromkeys(domain.CASE_COUNTS, 0)


def test_rows_or_counts_give_the_same_year():
    common = dict(year=2026, as_of=date(2026, 3, 1), visits=[], sessions=[], grid_population=None)
    assert domain.deputy_performance(cases=CASES, **common) == \
        domain.deputy_performance(case_counts=domain.count_cases(CASES), **common)


def test_a_cases_counts_belong_to_the_replying_deputy_and_the_year_of_registration():
    assert domain.deputy_year(case(deputy_id="p1")) == ("p1", "2026")
    assert domain.deputy_year(case()) is None


def test_meetings_are_counted_once_a_day_within_the_year():
    meetings = [{"link_id": "l1", "met_on": "2026-01-08"}, {"link_id": "l1", "met_on": "2026-01-08"},
                {"link_id": "l1", "met_on": "2025-12-30"}, {"link_id": "other", "met_on": "2026-01-09"},
                {"link_id": "l1", "met_on": "2026-02-01"}]
    assert domain.meetings_per_link(["l1", "l2"], meetings, "2026-01-01", "2026-12-31") == {"l1": 2, "l2": 0}
    assert domain.meetings_per_link(["l1"], meetings, "2026-01-01", "2026-01-31") == {"l1": 1}


# --- KPIs and the ranking ----------------------------------------------------------------------------------------
def test_a_kpi_row_from_counters():
    counts = dict.fromkeys(domain.COUNTERS, 0)
    counts.update(cases=4, closed=2, on_time_closed=1, answered=2, replied=2, satisfied=1, unsatisfied=1,
                  handling_sum=7200, handling_count=2)
    row = domain.kpi_row(counts, 1)
    assert (row["closure_rate"], row["on_time_closure_rate"], row["satisfaction_rate"], row["answer_rate"]) == (
        0.5, 0.5, 0.5, 1.0)
    assert (row["avg_handling_hours"], row["p90_handling_hours"]) == (1.0, 1.0)
    assert row["meets"]["closure_rate"] is False and row["meets"]["reopen_rate"] is None
    assert domain.rate(1, 0) is None


def test_the_ranking_names_the_top_tenth():
    def grid(code, closure, cases):
        kpis = {"closure_rate": closure, "satisfaction_rate": 1.0, "on_time_closure_rate": 1.0, "reopen_rate": None,
                "cases": cases}
        return {"grid_id": code, "code": code, "name": code, "kpis": kpis}

    ranked = domain.rank_grids([grid("G2", 0.5, 10), grid("G1", 1.0, 10), grid("G3", 1.0, 1)], min_cases=5)
    assert [(r["code"], r["rank"], r["excellent"]) for r in ranked] == [("G1", 1, True), ("G2", 2, False),
                                                                        ("G3", None, False)]
    assert ranked[0]["score"] == 1.0
