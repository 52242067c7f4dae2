"""Contact households (双联系): links of each kind, meetings, and the report of deputies short of the rule."""
from datetime import date, timedelta

from .helpers import make_deputy, small_township

KINDS = ("wealth_leader", "household_in_difficulty", "respected_figure")


def link(svc, deputy, kind, household="王秀英户", **extra):
    return svc.client.post(f"/v1/deputies/{deputy}/contact-households", json={"kind": kind, "household": household,
                                                                               **extra}, headers=svc.headers())


def test_links_and_meetings_emit_events_and_the_report_lists_who_falls_short(svc):
    town, village, leaves = small_township(svc, groups=1)
    keen = make_deputy(svc, "李红梅", home=leaves[0])
    slack = make_deputy(svc, "王建国", home=leaves[0])
    year_start = date(date.today().year, 1, 1)
    links = [link(svc, keen, kind, f"户{i}", linked_on=str(year_start)).json["id"] for i, kind in enumerate(KINDS)]
    assert svc.outbox()[-1].type == "contact_household.linked" and "户2" not in svc.outbox()[-1].to_json()
    for link_id in links:
        for _ in range(2):
            response = svc.client.post(f"/v1/contact-households/{link_id}/meetings",
                                       json={"met_on": str(date.today()), "summary": "走访了解生产情况"},
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
                            json={"reason": "户主迁出本村", "ended_on": str(date.today())}, headers=svc.headers())
    assert ended.status_code == 200 and svc.outbox()[-1].type == "contact_household.unlinked"
    report = svc.client.get("/v1/contact-households/report", headers=svc.headers()).json
    assert {d["name"] for d in report["deputies"]} == {"王建国", "李红梅"}


def test_bad_links_and_meetings_are_refused(svc):
    deputy = make_deputy(svc, "李红梅")
    bad_kind = link(svc, deputy, "neighbour")
    assert bad_kind.status_code == 422 and bad_kind.json["errors"][0]["field"] == "kind"
    future = link(svc, deputy, "wealth_leader", linked_on=str(date.today() + timedelta(days=2)))
    assert future.status_code == 422 and future.json["errors"][0]["field"] == "linked_on"
    link_id = link(svc, deputy, "wealth_leader").json["id"]
    before = svc.client.post(f"/v1/contact-households/{link_id}/meetings",
                             json={"met_on": str(date.today() - timedelta(days=30))}, headers=svc.headers())
    assert before.status_code == 422 and "while the contact lasted" in before.json["errors"][0]["reason"]
    svc.client.post(f"/v1/deputies/{deputy}/end", json={"reason": "辞职", "ended_on": str(date.today())},
                    headers=svc.headers())
    assert link(svc, deputy, "respected_figure").status_code == 409
