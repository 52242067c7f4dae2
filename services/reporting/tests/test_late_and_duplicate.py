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
    pending = svc.client.get("/v1/kpis/pending", headers=svc.headers()).json["items"]
    assert len(pending) == len(later) and {p["case_id"] for p in pending} == {case.id}
    assert figures(svc)["cases"] == 0
    deliver_all(svc, [registered])
    assert svc.client.get("/v1/kpis/pending", headers=svc.headers()).json["items"] == []
    f = figures(svc)
    assert (f["cases"], f["closed"], f["unsatisfied"], f["replied"]) == (1, 1, 1, 1)
    assert f["avg_handling_hours"] == 30.0
    # every event is in the log once, in arrival order
    log = svc.client.get(f"/v1/audit/events?subject={case.id}", headers=svc.headers()).json["items"]
    assert [e["event_id"] for e in log] == [e.id for e in later[::-1]] + [registered.id]


def test_a_second_registration_of_the_same_case_does_not_reset_it(svc):
    case = Case("twice", G).assigned("d1").answered("d1")
    deliver_all(svc, case.events)
    again = Case("twice", G)
    deliver_all(svc, again.events)  # same case id, a new event id
    assert figures(svc)["answered"] == 1


def test_intakes_link_and_supplement_events_never_move_a_case_back(svc):
    # case.related_linked is keyed by the link, so it can arrive after routing's events for the case; its state
    # (and a supplement's) is intake's view when it was written: the arrival order must not change the figures
    from wangge_common.testing import event

    deliver_all(svc, [grid(G, "L-01", "晚到村", 2)])
    by_state = {}
    for name, order in (("link-last", "registered assigned linked supplemented"),
                        ("link-first", "linked registered supplemented assigned")):
        case = Case(name, G).assigned("d1")
        link_id = uid(f"link-{name}")
        linked = event("case.related_linked", link_id, {
            "case_id": case.id, "state": "registered", "previous_state": None, "link_id": link_id,
            "related_case_id": uid("other"), "basis": "similar_content", "reason": "near-identical content"},
            source="/wangge/intake")
        supplemented = event("case.supplemented", case.id, {
            "case_id": case.id, "state": "registered", "previous_state": "registered", "reason": "补充材料",
            "content_added": "补充：路灯在村口东侧。", "attachments": []}, source="/wangge/intake")
        events = {"registered": case.events[0], "assigned": case.events[-1], "linked": linked,
                  "supplemented": supplemented}
        deliver_all(svc, [events[k] for k in order.split()])
        by_state[name] = svc.client.get("/v1/kpis", headers=svc.headers()).json["cases_by_state"]
    assert by_state["link-last"] == {"assigned": 1}
    assert by_state["link-first"] == {"assigned": 2}


def test_events_published_again_after_a_broker_forgot_reach_the_audit_log_once(svc):
    """A relay re-publishes its retained outbox to a broker that lost it: every event comes again at new offsets,
    through the consumer loop (in batches), between events the log has not seen; each is kept once."""
    from collections import namedtuple

    from wangge_common.consumer import ConsumerRunner

    Record = namedtuple("Record", "topic partition offset key value headers timestamp")
    deliver_all(svc, [grid(G, "L-01", "晚到村", 2)])
    first = Case("again-1", G).assigned("d1").answered("d1").events
    second = Case("again-2", G).assigned("d1").events
    runner = ConsumerRunner(svc.runtime, producer_factory=lambda: None, batch_size=50)

    def records(events, start):
        return [Record("cases.v1", 0, start + i, e.subject.encode(), e.to_json().encode(), [], 0)
                for i, e in enumerate(events)]

    assert [o for _, o in runner.handle_records(records(first, 0))] == ["processed"] * len(first)
    before = figures(svc)
    # the new broker's topic: the first case again (re-published), then the second case, seen for the first time
    outcomes = [o for _, o in runner.handle_records(records(first + second, 0))]
    assert outcomes == ["duplicate"] * len(first) + ["processed"] * len(second)
    log = svc.client.get("/v1/audit/events?page_size=1000", headers=svc.headers()).json["items"]
    ids = [entry["event_id"] for entry in log]
    assert len(ids) == len(set(ids)) == 1 + len(first) + len(second)
    assert svc.client.get("/v1/audit/verify", headers=svc.headers()).json["valid"] is True
    assert figures(svc)["cases"] == before["cases"] + 1
