"""Routing: a registered case is triaged against the dispatch catalogue and a work order opened, once."""
import copy
import uuid

from wangge_common import contracts
from wangge_common.testing import event

EXAMPLE = contracts.contract("case.registered", 1).schema["examples"][0]


def registered(**changes):
    data = copy.deepcopy(EXAMPLE)
    data.update(case_id=str(uuid.uuid4()), **changes)
    return event("case.registered", data["case_id"], data, source="/wangge/intake")


def first(svc, event_type):
    return next(e for e in svc.outbox() if e.type == event_type)


def test_a_road_request_goes_to_the_town_construction_office(svc):
    case = registered(category="request", topic="road")
    assert svc.deliver(case, "cases.v1") == "processed"
    orders = svc.client.get(f"/v1/work-orders?case_id={case.subject}", headers=svc.headers("reader")).json["items"]
    assert [(o["department_code"], o["state"]) for o in orders] == [("town-construction", "dispatched")]
    triaged = first(svc, "case.triaged")
    assert triaged.data["path"] == "town"
    assert triaged.data["work_order_id"] == orders[0]["id"] and triaged.data["department"]["name"] == "镇村镇建设办"
    assert triaged.causationid == case.id and triaged.correlationid == case.correlationid


def test_a_county_matter_goes_to_a_county_department(svc):
    case = registered(category="complaint", topic="food_safety")
    svc.deliver(case, "cases.v1")
    assert first(svc, "case.triaged").data["path"] == "county"
    assert first(svc, "case.triaged").data["department"]["code"] == "county-market-regulation"
    assigned = first(svc, "case.assigned")
    assert assigned.data["path"] == "county" and "township people's congress" in assigned.data["reason"]


def test_an_unlisted_topic_falls_back_to_the_category_line(svc):
    svc.deliver(registered(category="request", topic="something_new"), "cases.v1")
    assert first(svc, "case.triaged").data["department"]["code"] == "town-office"


def test_a_case_no_rule_matches_waits_in_the_manual_queue_not_nowhere(svc):
    from routing.models import DispatchRule

    with svc.runtime.db.transaction() as session:
        session.query(DispatchRule).filter(DispatchRule.category == "enquiry").delete()
    case = registered(category="enquiry", topic="weather")
    svc.deliver(case, "cases.v1")
    triaged = first(svc, "case.triaged")
    assert [e.type for e in svc.outbox()] == ["case.triaged"]
    assert triaged.data["path"] == "manual" and triaged.data["work_order_id"] is None
    assert "manual triage queue" in triaged.data["reason"]


def test_redelivery_opens_no_second_work_order(svc):
    case = registered()
    assert svc.deliver(case, "cases.v1") == "processed"
    assert svc.deliver(case, "cases.v1") == "duplicate"
    orders = svc.client.get(f"/v1/work-orders?case_id={case.subject}", headers=svc.headers("reader")).json["items"]
    assert len(orders) == 1
    assert [e.type for e in svc.outbox()] == ["case.triaged", "work_order.dispatched", "case.assigned"]


def test_work_orders_need_a_key(svc):
    assert svc.client.get("/v1/work-orders").status_code == 401
