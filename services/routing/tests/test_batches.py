"""Routing's handlers under the consumer's batches: many records in one transaction behave as one by one."""
import copy
import uuid

from wangge_common import contracts
from wangge_common.consumer import Delivery, EventProcessor
from wangge_common.testing import event

EXAMPLE = contracts.contract("case.registered", 1).schema["examples"][0]
GRID = "6f1c2d4e-0000-4000-8000-000000000001"
COUNTY, TOWNSHIP = "d0000000-0000-4000-8000-000000000001", "d0000000-0000-4000-8000-000000000002"


def registered(**changes):
    data = copy.deepcopy(EXAMPLE)
    data.update(case_id=str(uuid.uuid4()), grid_id=GRID, received_by={"kind": "call_taker", "id": "ct-04"},
                **changes)
    return event("case.registered", data["case_id"], data, source="/wangge/intake")


def roster(event_type, data):
    return event(event_type, GRID, data, source="/wangge/roster")


def batch(svc, *events):
    items = [(e, Delivery("cases.v1" if e.type.startswith("case.") else "roster.v1", 0, i, e.subject, None), None)
             for i, e in enumerate(events)]
    return EventProcessor(svc.runtime, "test").process_batch(items)


def test_a_roster_change_inside_a_batch_reaches_the_cases_after_it(svc):
    svc.deliver(roster("assignment.published", {"grid_id": GRID, "plan_id": COUNTY, "deputies": [
        {"deputy_id": COUNTY, "kind": "npc_deputy", "level": "county"}]}), "roster.v1")
    before, after, last = registered(), registered(), registered()
    outcomes = batch(svc, before, roster("assignment.published", {"grid_id": GRID, "plan_id": COUNTY, "deputies": [
        {"deputy_id": COUNTY, "kind": "npc_deputy", "level": "county"},
        {"deputy_id": TOWNSHIP, "kind": "npc_deputy", "level": "township"}]}), after,
        roster("assignment.ended", {"grid_id": GRID, "deputy_id": TOWNSHIP, "reason": "换届"}), last)
    assert outcomes == ["processed"] * 5
    receivers = [svc.case(e.subject)["first_receiver_deputy_id"] for e in (before, after, last)]
    assert receivers == [COUNTY, TOWNSHIP, COUNTY]  # the grid's deputies as they stood at each case


def test_each_case_of_a_batch_has_its_own_history_in_order_and_its_own_causation(svc):
    cases = [registered(category="request", topic="road") for _ in range(3)]
    assert batch(svc, *cases) == ["processed"] * 3
    for case in cases:
        history = svc.case(case.subject)["history"]
        assert [h["event_type"] for h in history] == ["case.triaged", "work_order.dispatched", "case.assigned"]
        assert [(h["previous_state"], h["state"]) for h in history] == [
            ("registered", "triaged"), (None, "dispatched"), ("triaged", "assigned")]
        emitted = svc.events(case.subject)
        assert {e.causationid for e in emitted} == {case.id}
        assert [h["event_id"] for h in history] == [e.id for e in emitted]


def test_a_case_registered_twice_in_one_batch_is_triaged_once(svc):
    first = registered()
    again = event("case.registered", first.subject, first.data, source="/wangge/intake")  # another event id
    assert batch(svc, first, again) == ["processed", "processed"]  # the second sees the first's case
    assert len(svc.case(first.subject)["work_orders"]) == 1
    assert [e.type for e in svc.events(first.subject)] == ["case.triaged", "work_order.dispatched", "case.assigned"]
