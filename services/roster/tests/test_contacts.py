"""Contact households (双联系): links of each kind, meetings, and the report of deputies short of the rule."""
from datetime import date, timedelta

from .helpers import make_deputy, small_township, today_in_china

KINDS = ("wealth_leader", "household_in_difficulty", "respected_figure")


def link(svc, deputy, kind, household="王秀英户", **extra):
    return svc.client.post(f"/v1/deputies/{deputy}/contact-households", json={"kind": kind, "household": household,
                                                                               **extra}, headers=svc.headers())


def test_links_and_meetings_emit_events_and_the_report_lists_who_falls_short(svc):
    town, village, leaves = small_township(svc, groups=1)
    keen = make_deputy(svc, "李红梅", home=leaves[0])
    slack = make_deputy(svc, "王建国", home=leaves[0])
    year_start = date(today_in_china().year, 1, 1)
    links = [link(svc, keen, kind, f"户{i}", linked_on=str(year_start)).json["id"] for i, kind in enumerate(KINDS)]
    assert svc.outbox()[-1].type == "contact_household.linked" and "户2" not in svc.outbox()[-1].to_json()
    for link_id in links:
        for met_on in (year_start, today_in_china()):  # two days (two meetings on one day count once)
            response = svc.client.post(f"/v1/contact-households/{link_id}/meetings",
                                       json={"met_on": str(met_on), "summary": "走访了解生产情况"},
                                       headers=svc.headers())
            assert response.status_code == 201
    assert svc.outbox()[-1].type == "contact_meeting.recorded"
    link(svc, slack, "wealth_leader")
    link(svc, slack, "wealth_leader", "另一户")
    report = svc.client.get("/v1/contact-households/report", headers=svc.headers("reader")).json
    assert report["deputies_checked"] == 2 and report["deputies_short"] == 1
    short = report["deputies"][0]
    assert short["name"] == "王建国" and short["links"] == 2
    assert short["kinds_missing"] == ["household_in_difficulty", "respected_figure"]
    assert len(short["households_met_fewer_than_twice"]) == 2
    listed = svc.client.get(f"/v1/deputies/{keen}/contact-households", headers=svc.headers()).json
    assert [l["meetings_this_year"] for l in listed] == [2, 2, 2] and listed[0]["kind_zh"] == "致富带头人"
    # Ending a link puts the keen deputy below three.
    ended = svc.client.post(f"/v1/contact-households/{links[0]}/end",
                            json={"reason": "户主迁出本村", "ended_on": str(today_in_china())}, headers=svc.headers())
    assert ended.status_code == 200 and svc.outbox()[-1].type == "contact_household.unlinked"
    report = svc.client.get("/v1/contact-households/report", headers=svc.headers()).json
    assert {d["name"] for d in report["deputies"]} == {"王建国", "李红梅"}


def test_bad_links_and_meetings_are_refused(svc):
    deputy = make_deputy(svc, "李红梅")
    bad_kind = link(svc, deputy, "neighbour")
    assert bad_kind.status_code == 422 and bad_kind.json["errors"][0]["field"] == "kind"
    future = link(svc, deputy, "wealth_leader", linked_on=str(today_in_china() + timedelta(days=2)))
    assert future.status_code == 422 and future.json["errors"][0]["field"] == "linked_on"
    link_id = link(svc, deputy, "wealth_leader").json["id"]
    before = svc.client.post(f"/v1/contact-households/{link_id}/meetings",
                             json={"met_on": str(today_in_china() - timedelta(days=30))}, headers=svc.headers())
    assert before.status_code == 422 and "while the contact lasted" in before.json["errors"][0]["reason"]
    svc.client.post(f"/v1/deputies/{deputy}/end", json={"reason": "辞职", "ended_on": str(today_in_china())},
                    headers=svc.headers())
    assert link(svc, deputy, "respected_figure").status_code == 409


def test_a_household_is_linked_once_and_a_past_year_counts_the_links_then_in_force(svc):
    deputy = make_deputy(svc, "李红梅")
    today = today_in_china()
    last_year = today.year - 1
    links = [link(svc, deputy, kind, f"户{i}", linked_on=str(date(last_year, 1, 5))).json["id"]
             for i, kind in enumerate(KINDS)]
    twice = link(svc, deputy, "respected_figure", "户0")
    assert twice.status_code == 409 and "three different households" in twice.json["detail"]
    for link_id in links:
        for day in (date(last_year, 3, 1), date(last_year, 9, 1)):
            svc.client.post(f"/v1/contact-households/{link_id}/meetings", json={"met_on": str(day)},
                            headers=svc.headers())
    svc.client.post(f"/v1/contact-households/{links[0]}/end", json={"reason": "户主迁出本村", "ended_on": str(today)},
                    headers=svc.headers())
    # Last year the deputy kept all three and met each twice; this year one link is gone and nobody was met.
    past = svc.client.get(f"/v1/contact-households/report?year={last_year}", headers=svc.headers()).json
    assert past["deputies_short"] == 0 and past["as_of"] == f"{last_year}-12-31"
    now = svc.client.get("/v1/contact-households/report", headers=svc.headers()).json
    assert now["deputies_short"] == 1 and now["deputies"][0]["links"] == 2
    assert now["deputies"][0]["kinds_missing"] == ["wealth_leader"]
    relinked = link(svc, deputy, "wealth_leader", "户0")  # the household came back: a new link is fine
    assert relinked.status_code == 201
