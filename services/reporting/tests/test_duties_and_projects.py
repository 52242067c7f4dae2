"""The duty record (履职登记) and micro livelihood projects (民生微实事) in reporting: 五个一 and the annual report
count them, withdrawn entries do not; the project figures count proposals, funding, completions and ratings; a
replay of the log gives the same tables."""
from datetime import date

from wangge_common import clock
from wangge_common.testing import event
from reporting import domain
from reporting.samples import G1, P1, T1, deliver_all, fixture_events, uid

YEAR = clock.local_date(clock.now()).year


def duty(record, kind, day=None, **extra):
    return event("duty.recorded", P1, {"record_id": uid(record), "deputy_id": P1, "kind": kind,
                                       "occurred_on": day or f"{YEAR}-03-02", "grid_id": None, **extra},
                 source="/wangge/roster")


def project_events(key, *, rated=("satisfied", "unsatisfied")):
    pid, made = uid(key), []
    made.append(event("project.proposed", pid, {
        "project_id": pid, "code": "MS7Q2KXA", "grid_id": G1, "township_id": T1, "deputy_id": P1,
        "title": "组道路灯", "budget_yuan": 48000, "case_ids": []}, source="/wangge/routing"))
    made.append(event("project.reviewed", pid, {"project_id": pid, "decision": "approved", "reason": "同意"},
                      source="/wangge/routing", sequence=2))
    made.append(event("project.funding_decided", pid, {"project_id": pid, "decision": "funded", "amount_yuan": 45000,
                                                       "reason": "拨款"}, source="/wangge/routing", sequence=3))
    made.append(event("project.completed", pid, {
        "project_id": pid, "code": "MS7Q2KXA", "grid_id": G1, "title": "组道路灯", "result": "已完成",
        "funded_yuan": 45000, "case_ids": [], "rating_links": [], "expires_at": "2030-01-01T00:00:00Z"},
        source="/wangge/routing", sequence=4))
    for i, rating in enumerate(rated):
        made.append(event("project.rated", pid, {"project_id": pid, "case_id": uid(f"c{i}"), "rating": rating},
                          source="/wangge/routing", sequence=5 + i))
    return made


def test_the_duty_record_and_completed_projects_count_in_the_five_ones(svc):
    roster, _ = fixture_events()
    deliver_all(svc, roster)
    deliver_all(svc, [duty("r1", "inspection"), duty("r2", "survey"), duty("r3", "suggestion"),
                      duty("r4", "forum"), duty("r5", "household_helped"), duty("r6", "inspection"),
                      event("duty.withdrawn", P1, {"record_id": uid("r6"), "deputy_id": P1, "reason": "重复登记"},
                            source="/wangge/roster"),
                      duty("old", "inspection", day=f"{YEAR - 1}-05-01")])
    deliver_all(svc, project_events("p1"))
    answer = svc.client.get(f"/v1/deputies/{P1}/performance?year={YEAR}", headers=svc.headers())
    assert answer.status_code == 200, answer.json
    p = answer.json
    assert p["duties"]["inspection"] == 1 and p["duties"]["survey"] == 1 and p["duties"]["forum"] == 1
    assert p["five_ones"]["inspection"] == 2  # the withdrawn entry and last year's do not count
    assert p["five_ones"]["good_suggestion"] >= 1 and p["five_ones"]["household_in_difficulty_helped"] >= 1
    assert p["projects_completed"] == 1 and p["five_ones"]["livelihood_matter_settled"] >= 1
    page = svc.client.get(f"/deputies/{P1}/annual-report?year={YEAR}").get_data(as_text=True)
    assert "视察 1 次，调研 1 次" in page and "完成 1 项" in page


def test_the_project_figures_of_a_year_and_a_township(svc):
    roster, _ = fixture_events()
    deliver_all(svc, roster)
    deliver_all(svc, project_events("p1"))
    deliver_all(svc, project_events("p2", rated=())[:1])  # proposed only
    figures = svc.client.get(f"/v1/kpis/projects?year={YEAR}", headers=svc.headers()).json
    assert figures["proposed"] == 2 and figures["funded"] == 1 and figures["completed"] == 1
    assert figures["funded_yuan"] == 45000 and figures["ratings"] == 2 and figures["satisfaction"] == 0.5
    elsewhere = svc.client.get(f"/v1/kpis/projects?year={YEAR}&township_id={uid('nowhere')}",
                               headers=svc.headers()).json
    assert elsewhere["proposed"] == 0 and elsewhere["satisfaction"] is None
    assert svc.client.get("/v1/kpis/projects", headers=svc.headers("none")).status_code == 403


def test_without_a_duty_record_the_five_ones_say_no_source():
    counts = dict.fromkeys(domain.CASE_COUNTS, 0)
    assert domain.five_ones(counts)["inspection"] is None
    assert domain.five_ones(counts, {"survey": 2}, 1) == {
        "good_suggestion": 0, "inspection": 2, "dispute_mediated": 0, "household_in_difficulty_helped": 0,
        "livelihood_matter_settled": 1}
