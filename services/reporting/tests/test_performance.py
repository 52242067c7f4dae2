"""Deputy performance against the duties' numbers, and the excellent-grid ranking with its formula shown."""
from datetime import date

import pytest

from wangge_common.testing import event
from reporting import domain
from reporting.samples import G1, G3, P1, P2, T1, T2, deliver_all, fixture_events, grid, uid

JAN = ["2026-01-01", "2026-01-08", "2026-01-15", "2026-01-22", "2026-01-29"]


def visits(days=JAN):
    rows = [{"visited_on": d, "household_ids": [f"h{i}-{j}" for j in range(3)], "residents_reached": 10,
             "cases_registered": 1, "kind": "door_to_door"} for i, d in enumerate(days)]
    rows += [{"visited_on": d, "household_ids": ["c1", "c2", "c3"], "residents_reached": 0, "cases_registered": 0,
              "kind": "contact_household"} for d in ("2026-01-08", "2026-01-22")]
    return rows


LINKS = [{"link_id": f"l{i}", "kind": kind, "linked_on": "2025-06-01", "ended_on": None}
         for i, kind in enumerate(domain.CONTACT_KINDS)]
MEETINGS = [{"link_id": f"l{i}", "met_on": day} for i in range(3) for day in ("2026-01-08", "2026-01-22")]


SESSIONS = [
    {"started_at": "2026-01-10T01:00:00Z", "ended_at": "2026-01-10T03:10:00Z", "residents_received": 6,
     "case_ids": ["x1", "x2"]},
    {"started_at": "2026-01-25T01:00:00Z", "ended_at": "2026-01-25T03:00:00Z", "residents_received": 4,
     "case_ids": ["x3"]},
]
CASES = [{"replied": True, "mediated": True, "category": "request", "special": True, "closed": True,
          "outcome": "satisfied"},
         {"replied": False, "mediated": False, "category": "suggestion", "special": False, "closed": False,
          "outcome": None}]


def test_a_january_that_meets_every_number():
    p = domain.deputy_performance(year=2026, as_of=date(2026, 1, 31), visits=visits(), sessions=SESSIONS,
                                  cases=CASES, grid_population=1000, links=LINKS, meetings=MEETINGS)
    assert (p["visits"], p["weeks"], p["weeks_with_visit"], p["visits_per_week"]) == (7, 5, 5, 1.4)
    assert (p["contact_households"], p["contact_meetings"], p["contact_meetings_min"]) == (3, 6, 2)
    assert p["visits_meet"] and p["households_meet"] and p["reach_meet"] and p["contact_meet"]
    assert p["households_by_month"] == [{"month": "2026-01", "households": 18, "meets": True}]
    assert p["reach_by_quarter"] == [{"quarter": 1, "residents_reached": 50, "share": 0.05, "meets": True}]
    assert (p["reception_days"], p["reception_hours"], p["residents_received"]) == (2, 4.17, 10)
    assert (p["cases_received"], p["cases_answered"], p["disputes_mediated"]) == (8, 1, 1)
    assert p["five_ones"] == {"good_suggestion": 1, "inspection": None, "dispute_mediated": 1,
                              "household_in_difficulty_helped": 1, "livelihood_matter_settled": 1}
    assert p["five_ones_done"] == 4


def test_a_missed_week_and_too_few_households_are_shown():
    p = domain.deputy_performance(year=2026, as_of=date(2026, 1, 31), visits=visits(JAN[:2] + JAN[3:]),
                                  sessions=[], cases=[], grid_population=2000)
    assert not p["visits_meet"] and p["weeks_with_visit"] == 4
    assert p["reach_by_quarter"][0]["share"] == 0.02 and not p["reach_meet"]
    assert p["reception_days"] == 0 and p["five_ones"]["inspection"] is None


@pytest.mark.parametrize("links, meetings, expected", [
    (LINKS, MEETINGS, (3, 2, True)),
    (LINKS, MEETINGS[:-1], (3, 1, False)),  # one household met only once
    (LINKS[:2], MEETINGS[:4], (2, 2, False)),  # two households are not enough
    ([dict(link, kind="wealth_leader") for link in LINKS], MEETINGS, (3, 2, False)),  # no household in difficulty
    (LINKS[:2] + [dict(LINKS[2], ended_on="2025-12-31")], MEETINGS, (2, 2, False)),  # ended before the year
    (LINKS[:2] + [dict(LINKS[2], ended_on="2026-01-15")], MEETINGS, (3, 2, True)),  # ended during it: counts
    (LINKS, MEETINGS[:4] + [{"link_id": "l2", "met_on": d} for d in ("2025-12-30", "2026-02-03")], (3, 0, False)),
    # two meetings with one household on one day count once (issue 18 item 11)
    (LINKS, MEETINGS[:4] + [{"link_id": "l2", "met_on": "2026-01-08"}] * 2, (3, 1, False)),
])
def test_contact_households_against_the_rule(links, meetings, expected):
    """双联系: at least 3 households, one of each kind, each met at least twice in the year (to the day judged)."""
    c = domain.contact_households(year=2026, end=date(2026, 1, 31), links=links, meetings=meetings)
    assert (c["contact_households"], c["contact_meetings_min"], c["contact_meet"]) == expected


def test_the_performance_api_and_the_ranking(svc):
    roster, cases = fixture_events()
    deliver_all(svc, roster)
    for case in cases.values():
        deliver_all(svc, case.events)
    deliver_all(svc, [
        event("assignment.published", G1, {"grid_id": G1, "plan_id": uid("plan"), "deputies": [
            {"deputy_id": P1, "kind": "npc_deputy", "level": "township"}]}, source="/wangge/roster"),
        event("visit.recorded", uid("v1"), {"visit_id": uid("v1"), "deputy_id": P1, "grid_id": G1,
                                           "visited_on": "2026-11-03", "household_ids": [uid("h1"), uid("h2")],
                                           "residents_reached": 5, "cases_registered": 1, "kind": "door_to_door"}),
        event("reception_session.recorded", uid("s1"), {
            "session_id": uid("s1"), "reception_id": None, "grid_id": G1, "station_id": None,
            "deputies": [{"deputy_id": P1, "kind": "npc_deputy"}], "started_at": "2026-11-10T01:00:00Z",
            "ended_at": "2026-11-10T03:00:00Z", "residents_received": 6, "case_ids": [cases["a"].id]}),
    ])
    for i, kind in enumerate(domain.CONTACT_KINDS):
        link = uid(f"link{i}")
        deliver_all(svc, [event("contact_household.linked", P1, {
            "link_id": link, "deputy_id": P1, "kind": kind, "grid_id": G1, "linked_on": "2026-02-01"},
            source="/wangge/roster")] + [event("contact_meeting.recorded", P1, {
                "meeting_id": uid(f"m{i}{day}"), "link_id": link, "deputy_id": P1, "met_on": f"2026-{day}"},
                source="/wangge/roster") for day in ("03-01", "09-01")])
    p = svc.client.get(f"/v1/deputies/{P1}/performance?year=2026", headers=svc.headers()).json
    assert (p["contact_households"], p["contact_meetings"], p["contact_meet"]) == (3, 6, True)
    deliver_all(svc, [event("contact_household.unlinked", P1, {"link_id": uid("link0"), "deputy_id": P1,
                                                               "ended_on": "2025-12-01", "reason": "迁出"},
                            source="/wangge/roster")])
    p = svc.client.get(f"/v1/deputies/{P1}/performance?year=2026", headers=svc.headers()).json
    assert (p["contact_households"], p["contact_kinds"]["wealth_leader"], p["contact_meet"]) == (2, 0, False)
    assert (p["name"], p["visits"], p["reception_days"], p["reception_hours"]) == ("李红梅", 1, 1, 2.0)
    assert (p["cases_received"], p["cases_answered"], p["grid_population"]) == (2, 2, 1000)
    assert [g["name"] for g in p["grids"]] == ["韶山村"]
    assert svc.client.get(f"/v1/deputies/{uid('nobody')}/performance", headers=svc.headers()).status_code == 404
    everyone = svc.client.get("/v1/deputies/performance?year=2026", headers=svc.headers()).json
    assert {d["name"] for d in everyone} == {"李红梅", "王建国"}
    deliver_all(svc, [event("deputy.ended", P1, {"deputy_id": P1, "ended_on": "2026-11-30", "reason": "任期届满"},
                            source="/wangge/roster"),
                      event("deputy.removed", uid("p2"), {"deputy_id": uid("p2"), "reason": "entered by mistake"},
                            source="/wangge/roster")])
    everyone = svc.client.get("/v1/deputies/performance?year=2026", headers=svc.headers()).json
    assert [(d["name"], d["status"]) for d in everyone] == [("李红梅", "ended")]

    ranking = svc.client.get("/v1/grids/excellent?year=2026&min_cases=1", headers=svc.headers()).json
    scores = {g["name"]: (g["score"], g["rank"], g["excellent"]) for g in ranking["grids"]}
    # 韶山村: .35×1 + .35×1 + .2×.5 − .1×.5 = .75; 永义村: .35×.5 + .2×1 = .375; 清溪村: 0
    # 0.35 × closure + 0.35 × satisfaction + 0.2 × on time + 0.1 × (1 − reopen): never below zero
    assert scores == {"韶山村": (0.85, 1, True), "永义村": (0.475, 2, False), "清溪村": (0.1, 3, False)}
    assert all(0 <= g["score"] <= 1 for g in ranking["grids"])
    assert ranking["excellent"] == [G1] and "满意率 × 35" in ranking["formula_zh"] and "0 至 100 分" in ranking["formula_zh"]
    strict = svc.client.get("/v1/grids/excellent?year=2026&min_cases=2", headers=svc.headers()).json
    assert strict["grids_ranked"] == 2 and strict["grids"][-1]["rank"] is None


def test_a_matter_closed_unsatisfied_is_not_a_livelihood_matter_settled():
    unsatisfied = [dict(CASES[0], outcome="unsatisfied")]
    p = domain.deputy_performance(year=2026, as_of=date(2026, 1, 31), visits=[], sessions=[], cases=unsatisfied,
                                  grid_population=None)
    assert p["five_ones"]["livelihood_matter_settled"] == 0 and p["cases_answered"] == 1


def test_what_a_deputy_registered_counts_as_received_once():
    own = [{"case_id": "x1", "channel": "station", "registered_at": "2026-01-10T01:10:00Z"},  # also in a session
           {"case_id": "y1", "channel": "hotline", "registered_at": "2026-01-12T01:00:00Z"},
           {"case_id": "v1", "channel": "visit", "registered_at": "2026-01-08T02:00:00Z"},
           {"case_id": "old", "channel": "station", "registered_at": "2025-12-30T02:00:00Z"}]  # another year
    p = domain.deputy_performance(year=2026, as_of=date(2026, 1, 31), visits=visits(), sessions=SESSIONS,
                                  cases=[], grid_population=1000, registered=own)
    # sessions x1 x2 x3, own y1 v1 (x1 once), visits registered 5 of which v1 is already counted
    assert p["cases_received"] == 5 + 4
    nothing = domain.deputy_performance(year=2026, as_of=date(2026, 1, 31), visits=[], sessions=[], cases=[],
                                        grid_population=None, registered=own[1:2])
    assert nothing["cases_received"] == 1


def test_a_deputys_own_registration_and_an_on_the_spot_answer_count_where_they_belong(svc):
    from reporting.samples import Case

    roster, _ = fixture_events()
    deliver_all(svc, roster)
    case = Case("spot", G1, channel="station").assigned("d1")
    case.events[0].data["received_by"] = {"kind": "deputy", "id": P1}
    case._step("case.answered", "answered", 2, on_the_spot=True, department=None, summary="已现场解答。", on_time=True)
    case.replied(P1)
    deliver_all(svc, case.events)
    p = svc.client.get(f"/v1/deputies/{P1}/performance?year=2026", headers=svc.headers()).json
    assert p["cases_received"] == 1 and p["cases_answered"] == 1
    departments = svc.client.get("/v1/kpis/slices?dimension=department", headers=svc.headers()).json
    rows = departments["items"] if isinstance(departments, dict) else departments
    assert rows and "d1" not in {row["key"] for row in rows}  # the cancelled order's department did not handle it


def test_the_performance_of_one_townships_deputies(svc):
    """?township= lists the deputies assigned to a grid of that township (a village or a group under one), with the
    same figures as the county's list; an unknown township lists nobody."""
    roster, cases = fixture_events()
    group = uid("g1-group")
    deliver_all(svc, roster + [grid(group, "T1-01-01", "韶山村一组", 3, G1)])
    for case in cases.values():
        deliver_all(svc, case.events)
    deliver_all(svc, [
        event("assignment.published", group, {"grid_id": group, "plan_id": uid("plan"), "deputies": [
            {"deputy_id": P1, "kind": "npc_deputy", "level": "township"}]}, source="/wangge/roster"),
        event("assignment.published", G3, {"grid_id": G3, "plan_id": uid("plan"), "deputies": [
            {"deputy_id": P2, "kind": "npc_deputy", "level": "township"}]}, source="/wangge/roster")])

    def names(query):
        answer = svc.client.get(f"/v1/deputies/performance?year=2026{query}", headers=svc.headers())
        assert answer.status_code == 200
        return answer.json

    county = {d["deputy_id"]: d for d in names("")}
    assert [d["name"] for d in names(f"&township={T1}")] == ["李红梅"]
    assert [d["name"] for d in names(f"&township={T2}")] == ["王建国"]
    assert names(f"&township={uid('nowhere')}") == []
    assert names(f"&township={T1}")[0] == county[P1] and names(f"&township={T2}")[0] == county[P2]
    assert (county[P1]["cases_answered"], county[P2]["cases_answered"]) == (2, 1)
    assert svc.client.get("/v1/deputies/performance?township=", headers=svc.headers()).status_code == 422


def test_case_counts_in_sql_are_the_domain_counts(svc):
    """The database's per-deputy counts (queries.performance) agree with domain.count_cases over the same rows."""
    from sqlalchemy import select

    from reporting.models import CaseFact
    from reporting.queries import performance

    roster, cases = fixture_events()
    deliver_all(svc, roster)
    for case in cases.values():
        deliver_all(svc, case.events)
    with svc.runtime.db.snapshot() as session:
        counted = performance._case_counts(session, None, "2026")
        rows = [dict(r._mapping) for r in session.execute(select(*CaseFact.__table__.columns))]
    for deputy in (P1, P2):
        assert counted[deputy] == domain.count_cases([r for r in rows if r["deputy_id"] == deputy])
