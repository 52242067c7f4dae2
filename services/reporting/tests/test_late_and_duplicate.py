"""Late and duplicate events: redelivery changes nothing; an event before its case is kept, listed, then applied."""
from reporting.samples import Case, deliver_all, grid, uid

G = uid("g-late")


def figures(svc):
    return svc.client.get("/v1/kpis", headers=svc.headers()).json["figures"]


def test_redelivering_a_whole_case_changes_no_figure(svc):
    deliver_all(svc, [grid(G, "L-01", "晚到村", 2)])
    case = Case("dup", G).assigned("d1").answered("d1").replied(uid("p")).evaluated("satisfied").closed("satisfied", 5)
    deliver_all(svc, case.events)
    before = figures(svc)
    for e in case.events:
        assert svc.deliver(e, "cases.v1") == "duplicate"
    assert figures(svc) == before
    assert svc.client.get("/v1/audit/verify", headers=svc.headers()).json["entries"] == len(case.events) + 1


def test_events_before_their_case_wait_and_are_applied_when_it_arrives(svc):
    case = Case("late", G).assigned("d1").answered("d1").replied(uid("p")).evaluated("unsatisfied").closed(
        "unsatisfied", 30)
    registered, later = case.events[0], case.events[1:]
    deliver_all(svc, later[::-1])  # every later event first, and in reverse order
    pending = svc.client.get("/v1/kpis/pending", headers=svc.headers()).json
    assert len(pending) == len(later) and {p["case_id"] for p in pending} == {case.id}
    assert figures(svc)["cases"] == 0
    deliver_all(svc, [registered])
    assert svc.client.get("/v1/kpis/pending", headers=svc.headers()).json == []
    f = figures(svc)
    assert (f["cases"], f["closed"], f["unsatisfied"], f["replied"]) == (1, 1, 1, 1)
    assert f["avg_handling_hours"] == 30.0
    # every event is in the log once, in arrival order
    log = svc.client.get(f"/v1/audit/events?subject={case.id}", headers=svc.headers()).json
    assert [e["event_id"] for e in log] == [e.id for e in later[::-1]] + [registered.id]


def test_a_second_registration_of_the_same_case_does_not_reset_it(svc):
    case = Case("twice", G).assigned("d1").answered("d1")
    deliver_all(svc, case.events)
    again = Case("twice", G)
    deliver_all(svc, again.events)  # same case id, a new event id
    assert figures(svc)["answered"] == 1
