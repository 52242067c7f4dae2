"""A resent event (same meaning, new event id) sends nobody a second message; a new round of the same kind does."""
import copy
import uuid

from sqlalchemy import select

from wangge_common import contracts
from wangge_common.crypto import FieldCipher
from wangge_common.testing import event

from notifyfakes import D1, case_event, registered, triaged


def resent(original):
    """The same event again under a new id, as a producer that re-emits (rather than re-publishes) sends it."""
    made = event(original.type, original.subject, copy.deepcopy(original.data), source=original.source)
    assert made.id != original.id
    return made


def keys(world, **query):
    return sorted((d["event_type"], d["recipient_ref"], d["channel"]) for d in world.deliveries(**query))


def test_a_second_registration_of_a_case_sends_nobody_a_second_registered_message(world):
    svc = world.svc
    case = registered()
    assert svc.deliver(case, "cases.v1") == "processed"
    first = keys(world)
    assert first == [("case.registered", D1, "inbox"), ("case.registered", D1, "sms"),
                     ("case.registered", "rp_abc", "inbox"), ("case.registered", "rp_abc", "sms")]
    assert svc.deliver(resent(case), "cases.v1") == "processed"
    assert keys(world) == first
    world.send()
    assert len(world.sms()) == 2  # the reporter's and the deputy's, once each
    assert len(world.events("notification.sent")) == 4  # 2 inbox + 2 SMS


def test_a_second_registration_of_a_case_calls_its_webhooks_once(world):
    svc = world.svc
    answer = svc.client.post("/v1/webhooks", json={"name": "hotline", "url": "https://hooks.example.cn/wangge",
                                                   "event_types": ["case.registered"]},
                             headers=svc.headers())
    assert answer.status_code == 201, answer.json
    case = registered()
    svc.deliver(case, "cases.v1")
    svc.deliver(resent(case), "cases.v1")
    assert len(world.deliveries(channel="webhook")) == 1


def test_resent_later_events_send_nothing_twice_but_a_new_round_does(world):
    svc = world.svc
    case = registered()
    svc.deliver(case, "cases.v1")
    order = str(uuid.uuid4())
    department = {"code": "town-construction", "name": "镇村镇建设办"}
    token = FieldCipher(svc.settings.pii_key).encrypt("tok_" + uuid.uuid4().hex)
    answered = case_event(case, "case.answered", state="answered", previous_state="in_progress", on_the_spot=False,
                          department=department, summary="路灯已于今日修复。", on_time=True)
    rating = case_event(case, "case.evaluation_requested", state="resolved", previous_state="answered", round=1,
                        token_encrypted=token, expires_at="2026-12-30T00:00:00Z")
    closed = case_event(case, "case.closed", state="closed", previous_state="evaluated", outcome="not_rated",
                        on_time=True, reopen_count=0, registered_at=case.data["received_at"])
    first_round = [
        triaged(case),
        case_event(case, "case.assigned", path="town", work_orders=[
            {"work_order_id": order, "department": department, "role": "sole"}]),
        case_event(case, "work_order.dispatched", work_order_id=order, role="sole", deadline_rule="town-5d"),
        answered, rating,
        case_event(case, "case.return_visit_due", state="resolved", previous_state="resolved", round=1,
                   due_at="2026-12-20T09:00:00Z"),
    ]
    for item in first_round:
        assert svc.deliver(item, "cases.v1") == "processed"
    before = keys(world)
    for item in first_round:
        assert svc.deliver(resent(item), "cases.v1") == "processed"
    assert keys(world) == before, "a resend of the same meaning made a second message"

    # the reporter was not satisfied: the case is redone (发回重办), answered and rated again — new messages
    reopened = case_event(case, "case.reopened", state="reopened", previous_state="evaluated", reopen_count=1,
                          work_order_id=order)
    second_round = [reopened, resent(answered),
                    case_event(case, "case.evaluation_requested", state="resolved", previous_state="answered",
                               round=2, token_encrypted=token, expires_at="2026-12-30T00:00:00Z")]
    for item in second_round:
        svc.deliver(item, "cases.v1")
    answers = world.deliveries(event_type="case.answered")
    assert len(answers) == 4  # the deputy (who replies to the resident: 首问责任), inbox and SMS, once per round
    assert {d["recipient_ref"] for d in answers} == {D1}
    assert len(world.deliveries(event_type="case.evaluation_requested")) == 4
    assert len(world.deliveries(event_type="case.reopened")) == 2
    svc.deliver(resent(reopened), "cases.v1")
    assert len(world.deliveries(event_type="case.reopened")) == 2

    svc.deliver(closed, "cases.v1")
    svc.deliver(resent(closed), "cases.v1")
    assert len(world.deliveries(event_type="case.closed")) == 2  # the reporter's inbox and the staff's


def test_a_manual_retriage_to_new_work_orders_is_told_again(world):
    svc = world.svc
    case = registered()
    svc.deliver(case, "cases.v1")
    for _ in range(2):
        svc.deliver(case_event(case, "case.assigned", path="town", work_orders=[
            {"work_order_id": str(uuid.uuid4()), "department": {"code": "x", "name": "镇综治办"}, "role": "sole"}]),
            "cases.v1")
    assert len(world.deliveries(event_type="case.assigned")) == 4


def test_reconciliation_sees_each_handled_registration_and_its_messages(world):
    svc = world.svc
    case, anonymous, unknown = registered(), registered(reporter_ref=None), str(uuid.uuid4())
    for item in (case, anonymous):
        svc.deliver(item, "cases.v1")
    answer = svc.client.post("/v1/internal/reconcile/cases", json={"case_ids": [case.subject, anonymous.subject,
                                                                                  unknown]},
                             headers=svc.headers("reader"))
    assert answer.status_code == 200, answer.json
    assert answer.json["cases"] == {
        case.subject: {"registered": 4, "messages": 4, "doubled": []},
        anonymous.subject: {"registered": 2, "messages": 2, "doubled": []},  # the deputy's only
    }


def test_reconciliation_names_a_registered_message_given_twice(world):
    """Rows from before the meaning key (or written around it) that told one recipient twice are reported."""
    from notify.models import Delivery

    svc = world.svc
    case = registered()
    svc.deliver(case, "cases.v1")
    with svc.runtime.db.transaction() as session:
        first = session.scalars(select(Delivery).where(Delivery.case_id == case.subject,
                                                       Delivery.recipient_ref == "rp_abc",
                                                       Delivery.channel == "sms")).one()
        session.add(Delivery(id=str(uuid.uuid4()), cause_event_id=str(uuid.uuid4()), meaning_key=None,
                             event_type=first.event_type, case_id=first.case_id, audience=first.audience,
                             recipient_ref="rp_abc", channel="sms", template=first.template, body=first.body,
                             state="sent", attempts=1))
    answer = svc.client.post("/v1/internal/reconcile/cases", json={"case_ids": [case.subject]},
                             headers=svc.headers("reader"))
    assert answer.json["cases"][case.subject]["doubled"] == [["case.registered", "rp_abc", "sms", 2]]
