"""A case's life produces the right messages to the right audiences on the right channels, once each."""
import re
import uuid
from datetime import timedelta

import pytest

from wangge_common import clock, contracts
from wangge_common.testing import event

from notifyfakes import D1, D2, DAYTIME, G1, case_event, registered, triaged
from notify import consumers
from notify import jobs as sender  # the scheduled sending
from notify.settings import NotifySettings


def lifecycle(case):
    work_order = str(uuid.uuid4())
    department = {"code": "town-construction", "name": "镇村镇建设办"}
    return [
        case,
        triaged(case),
        case_event(case, "case.assigned", path="town", work_orders=[
            {"work_order_id": work_order, "department": department, "role": "sole"}]),
        case_event(case, "work_order.dispatched", work_order_id=work_order, role="sole", deadline_rule="town-5d"),
        case_event(case, "case.answered", state="answered", previous_state="in_progress", on_the_spot=False,
                   department=department, summary="路灯已于今日修复。", on_time=True),
        case_event(case, "case.replied", state="resolved", previous_state="answered", deputy_id=D1, channel="phone",
                   on_time=True),
        case_event(case, "case.escalated", state="escalated", previous_state="in_progress", step="supervision",
                   trigger="overdue", work_order_id=work_order, department=department, target="镇村镇建设办"),
        case_event(case, "case.closed", state="closed", previous_state="evaluated", outcome="not_rated",
                   on_time=True, reopen_count=0, registered_at=case.data["received_at"]),
    ]


def add_mailbox(svc, **body):
    answer = svc.client.post("/v1/recipients", json=body, headers=svc.headers())
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_case_life_reaches_each_audience_on_its_channels(world):
    svc = world.svc
    dept = add_mailbox(svc, audience="department", department_code="town-construction", name="村镇建设办",
                       email="jsb@town.example.cn")
    staff = add_mailbox(svc, audience="congress_staff", name="镇人大办", email="rd@town.example.cn")
    case = registered()
    for item in lifecycle(case):
        assert svc.deliver(item, "cases.v1") == "processed"

    made = {(d["event_type"], d["audience"], d["recipient_ref"], d["channel"]) for d in world.deliveries()}
    assert made == {
        ("case.registered", "reporter", "rp_abc", "inbox"), ("case.registered", "reporter", "rp_abc", "sms"),
        ("case.registered", "deputy", D1, "inbox"), ("case.registered", "deputy", D1, "sms"),
        ("case.triaged", "reporter", "rp_abc", "inbox"),
        ("case.assigned", "reporter", "rp_abc", "inbox"), ("case.assigned", "reporter", "rp_abc", "sms"),
        ("work_order.dispatched", "department", "dept:town-construction", "inbox"),
        ("work_order.dispatched", "department", f"recipient:{dept['id']}", "email"),
        # 谁接待、谁答复: the answer goes to the first receiver, and to the resident with the deputy's reply
        ("case.answered", "deputy", D1, "inbox"), ("case.answered", "deputy", D1, "sms"),
        ("case.replied", "reporter", "rp_abc", "inbox"), ("case.replied", "reporter", "rp_abc", "sms"),
        ("case.escalated", "department", "dept:town-construction", "inbox"),
        ("case.escalated", "department", f"recipient:{dept['id']}", "email"),
        ("case.escalated", "congress_staff", "staff", "inbox"),
        ("case.escalated", "congress_staff", f"recipient:{staff['id']}", "email"),
        ("case.closed", "congress_staff", "staff", "inbox"),
        ("case.closed", "congress_staff", f"recipient:{staff['id']}", "email"),
        ("case.closed", "reporter", "rp_abc", "inbox"),
    }
    assert {d["state"] for d in world.deliveries(channel="inbox")} == {"sent"}
    assert {d["state"] for d in world.deliveries(channel="sms")} == {"pending"}

    assert world.send() == 9  # 5 SMS and 4 e-mails
    assert {d["state"] for d in world.deliveries()} == {"sent"}
    texts = {(m["to"], m["text"]) for m in world.sms()}
    assert ("13812345678", "您反映的问题（受理编号WG7K3M9Q2P）已办理答复：路灯已于今日修复。") in texts
    assert sum(m["to"] == "13900000001" for m in world.sms()) == 2
    assert all(call[1] == "Bearer wg_service_key" for call in world.contacts.config["calls"])
    mails = {(m["To"], m["Subject"]) for m in world.mailbox.messages}
    assert ("jsb@town.example.cn", "【网格通知】新工单") in mails and ("rd@town.example.cn", "【网格通知】未评价办结") in mails
    body = next(m for m in world.mailbox.messages if m["Subject"] == "【网格通知】督办通知").get_content()
    assert "已督办" in body and "WG7K3M9Q2P" in body
    assert len(world.events("notification.sent")) == 20  # 11 inbox at creation + 9 sent by the sender
    assert world.send() == 0  # nothing left to send


def test_redelivered_events_create_nothing_twice(world):
    svc = world.svc
    events = lifecycle(registered())
    for item in events + events:
        svc.deliver(item, "cases.v1")
    # another consumer group (a rebuilt consumer, a second deployment) sees every event again
    for item in events:
        svc.deliver(item, "cases.v1", group="other")
    world.send()
    keys = [(d["cause_event_id"], d["recipient_ref"], d["channel"]) for d in world.deliveries()]
    assert len(keys) == len(set(keys)) == 16
    assert len(world.sms()) == 5


def test_a_consumer_killed_mid_batch_neither_loses_nor_doubles(world, monkeypatch):
    svc = world.svc
    case = registered()
    events = lifecycle(case)
    original = consumers.HANDLERS["case.answered"]

    def dies(uow, event):
        original(uow, event)
        raise SystemExit("killed")  # the process dies inside the transaction: nothing of this event commits

    monkeypatch.setitem(consumers.HANDLERS, "case.answered", dies)
    with pytest.raises(SystemExit):
        for item in events:
            svc.deliver(item, "cases.v1")
    assert not world.deliveries(event_type="case.answered")
    monkeypatch.setitem(consumers.HANDLERS, "case.answered", original)
    for item in events:  # the restarted consumer re-reads the batch from the last committed offset
        svc.deliver(item, "cases.v1")
    world.send()
    assert len(world.deliveries(event_type="case.answered")) == 2  # the first receiver, inbox and SMS
    assert len(world.sms()) == 5


def test_a_sender_crash_between_send_and_mark_is_absorbed_by_the_idempotency_key(world, monkeypatch):
    svc = world.svc
    svc.deliver(registered(), "cases.v1")

    def crash(*args, **kwargs):
        raise SystemExit("killed after sending")

    monkeypatch.setattr(sender, "_record", crash)
    with pytest.raises(SystemExit):
        world.send()
    monkeypatch.undo()
    assert len(world.sms()) == 1 and world.gateway["requests"] == 1
    assert world.send() == 0  # the lease still holds: nobody else sends it meanwhile
    later = DAYTIME + timedelta(seconds=NotifySettings.from_settings(svc.runtime.settings).lease_s + 1)
    assert world.send(later) == 2  # the lease ran out: the dead sender's work is done again
    assert world.gateway["requests"] == 3  # the reporter's SMS went twice on the wire ...
    assert len(world.sms()) == 2  # ... and the gateway dropped the copy by its idempotency key
    assert {d["state"] for d in world.deliveries(channel="sms")} == {"sent"}
    assert len([e for e in world.events("notification.sent") if e.data["channel"] == "sms"]) == 2


def test_email_carries_a_message_id_made_from_the_delivery(world):
    svc = world.svc
    add_mailbox(svc, audience="congress_staff", name="镇人大办", email="rd@town.example.cn")
    case = registered()
    svc.deliver(case, "cases.v1")
    svc.deliver(case_event(case, "case.closed", state="closed", previous_state="evaluated", outcome="not_rated",
                           on_time=True, reopen_count=0, registered_at=case.data["received_at"]), "cases.v1")
    world.send()
    (mail,) = world.mailbox.messages
    (delivery,) = world.deliveries(channel="email")
    assert mail["Message-ID"] == f"<{delivery['id']}@notify.wangge>"


def test_a_reporter_without_a_phone_is_given_up_with_the_reason(world):
    world.svc.deliver(registered("rp_nophone"), "cases.v1")
    world.send()
    (sms,) = world.deliveries(channel="sms", audience="reporter")
    assert sms["state"] == "gave_up" and "no mobile phone" in sms["last_error"]
    (gave_up,) = world.events("notification.gave_up")
    assert gave_up.data["notification_id"] == sms["id"] and gave_up.data["attempts"] == 1


def test_a_gateway_outage_is_retried_with_backoff_then_given_up(world):
    world.svc.deliver(registered(received_by={"kind": "call_taker", "id": "ct-1"}), "cases.v1")
    world.gateway["fail_left"] = 100
    assert world.send() == 0
    (sms,) = world.deliveries(channel="sms")
    assert sms["state"] == "failed" and sms["attempts"] == 1 and "503" in sms["last_error"]
    assert world.send(DAYTIME + timedelta(seconds=5)) == 0  # not due yet: backoff 10 s
    world.send(DAYTIME + timedelta(seconds=11))
    assert world.deliveries(channel="sms")[0]["attempts"] == 2
    world.send(DAYTIME + timedelta(seconds=31))  # second backoff: 20 s
    (sms,) = world.deliveries(channel="sms")
    assert sms["state"] == "gave_up" and sms["attempts"] == 3
    assert [e.data["attempts"] for e in world.events("notification.failed")] == [1, 2]
    assert len(world.events("notification.gave_up")) == 1


def test_an_event_that_overtakes_the_registration_is_applied_when_it_comes(world):
    svc = world.svc
    case = registered()
    assert svc.deliver(triaged(case), "cases.v1") == "processed"
    assert world.deliveries() == []
    svc.deliver(case, "cases.v1")
    inbox = svc.client.get(f"/v1/notifications?case_id={case.subject}", headers=svc.headers()).json["items"]
    assert [n["template"] for n in inbox] == ["case.registered/reporter", "case.registered/deputy",
                                              "case.triaged/reporter"]
    assert svc.client.get(f"/v1/deliveries?cause_event_id={case.id}", headers=svc.headers()).json["total"] == 4


def test_held_events_apply_in_the_order_they_happened_not_as_they_arrived(world):
    """The reply passes on the answer: arriving first, both before the registration, it still counts after it."""
    svc = world.svc
    case = registered()
    department = {"code": "town-construction", "name": "镇村镇建设办"}
    answered = case_event(case, "case.answered", state="answered", previous_state="in_progress", on_the_spot=False,
                          department=department, summary="路灯已于今日修复。", on_time=True)
    replied = case_event(case, "case.replied", state="resolved", previous_state="answered", deputy_id=D1,
                         channel="phone", on_time=True)
    assert replied.time > answered.time
    assert svc.deliver(replied, "cases.v1") == svc.deliver(answered, "cases.v1") == "processed"
    assert world.deliveries() == []
    svc.deliver(case, "cases.v1")
    to_reporter = [d["template"] for d in world.deliveries(audience="reporter", channel="inbox")]
    assert sorted(to_reporter) == ["case.answered/reporter", "case.registered/reporter"]


def _grid_with_two_deputies(svc):
    svc.deliver(case_event_roster("assignment.published", grid_id=G1, plan_id=str(uuid.uuid4()), deputies=[
        {"deputy_id": D1, "kind": "npc_deputy", "level": "township"},
        {"deputy_id": D2, "kind": "npc_deputy", "level": "county"}]), "roster.v1")
    svc.deliver(case_event_roster("grid.created", grid_id=G1, code="SS-01", name="韶山村网格", level=3,
                                  parent_id=None, kind="rural_village", households=300, population=1000,
                                  difficulty=2, leader=None), "roster.v1")


def test_new_case_and_answer_go_to_the_first_receiver_only_not_every_deputy_of_the_grid(world):
    """首问责任 (issue 17, item 5): routing names the first receiver in case.triaged; the new-case message waits for
    it, and the answer to pass on goes to that deputy alone."""
    svc = world.svc
    _grid_with_two_deputies(svc)
    case = registered(received_by={"kind": "call_taker", "id": "ct-1"}, urgency="urgent")
    svc.deliver(case, "cases.v1")
    assert world.deliveries(audience="deputy") == []  # who the first receiver is, routing says
    svc.deliver(case_event(case, "case.triaged", path="town", department={"code": "town-construction",
                "name": "镇村镇建设办"}, work_order_id=str(uuid.uuid4()), rule_id=1, first_receiver_deputy_id=D1),
                "cases.v1")
    deputies = world.deliveries(audience="deputy")
    assert {(d["recipient_ref"], d["channel"]) for d in deputies} == {(D1, "inbox"), (D1, "sms")}
    assert all(d["body"].startswith("韶山村网格新收【紧急】民情一件") for d in deputies)
    svc.deliver(case_event(case, "case.answered", state="answered", previous_state="in_progress", on_the_spot=False,
                           department={"code": "town-construction", "name": "镇村镇建设办"},
                           summary="路灯已修复。", on_time=True), "cases.v1")
    answered = world.deliveries(audience="deputy", event_type="case.answered")
    assert {d["recipient_ref"] for d in answered} == {D1}
    world.send()
    assert {m["to"] for m in world.sms()} == {"13812345678", "13900000001"}  # never D2's phone


def test_a_triage_from_before_routing_named_the_first_receiver_tells_the_grids_deputies(world):
    svc = world.svc
    _grid_with_two_deputies(svc)
    case = registered(received_by={"kind": "call_taker", "id": "ct-1"})
    svc.deliver(case, "cases.v1")
    svc.deliver(triaged(case), "cases.v1")  # no first_receiver_deputy_id
    assert {d["recipient_ref"] for d in world.deliveries(audience="deputy")} == {D1, D2}


def test_deliveries_api_filters_and_guards(world):
    svc = world.svc
    svc.deliver(registered(), "cases.v1")
    assert {d["channel"] for d in world.deliveries(channel="sms")} == {"sms"}
    assert world.deliveries(state="sent", channel="sms") == []
    one = world.deliveries(channel="sms")[0]
    got = svc.client.get(f"/v1/deliveries/{one['id']}", headers=svc.headers())
    assert got.status_code == 200 and got.json["attempts"] == 0
    assert svc.client.get(f"/v1/deliveries/{uuid.uuid4()}", headers=svc.headers()).status_code == 404
    bad = svc.client.get("/v1/deliveries?state=lost", headers=svc.headers())
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "state"
    assert bad.mimetype == "application/problem+json"
    assert svc.client.get("/v1/deliveries", headers=svc.headers("reader")).status_code == 403
    assert svc.client.get("/v1/deliveries").status_code == 401


def case_event_roster(event_type, **data):
    made = event(event_type, data.get("grid_id") or data.get("reception_id"), data, source="/wangge/roster")
    contracts.validate(made)
    return made


def test_a_late_sender_does_not_record_a_delivery_twice(world):
    svc = world.svc
    svc.deliver(registered(received_by={"kind": "call_taker", "id": "ct-1"}), "cases.v1")
    (sms,) = world.deliveries(channel="sms")
    config = NotifySettings.from_settings(svc.runtime.settings)
    sender._record(svc.runtime, config, sms["id"], DAYTIME, None)  # the sender that took over after the lease
    sender._record(svc.runtime, config, sms["id"], DAYTIME, None)  # the first one, waking up late
    (sms,) = world.deliveries(channel="sms")
    assert sms["state"] == "sent" and sms["attempts"] == 1
    assert len([e for e in world.events("notification.sent") if e.data["channel"] == "sms"]) == 1


def test_a_surprising_answer_from_a_contact_source_is_a_failed_attempt(world, monkeypatch):
    world.svc.deliver(registered(received_by={"kind": "call_taker", "id": "ct-1"}), "cases.v1")

    def garbage(*args, **kwargs):
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    monkeypatch.setattr(sender.channels, "fetch_contact", garbage)
    assert world.send() == 0
    (sms,) = world.deliveries(channel="sms")
    assert sms["state"] == "failed" and sms["last_error"].startswith("ValueError: Expecting value")


def test_events_that_overtake_the_registration_wait_for_it(world):
    # intake keys case.related_linked by the link's id, so it can arrive on another partition before the case
    svc, case = world.svc, registered()
    link_id = str(uuid.uuid4())
    linked = event("case.related_linked", link_id, {
        "case_id": case.subject, "state": "registered", "previous_state": None, "link_id": link_id,
        "related_case_id": str(uuid.uuid4()), "basis": "similar_content",
        "reason": "an open case of the same grid has near-identical content"}, source="/wangge/intake")
    for early in (linked, triaged(case)):
        assert svc.deliver(early, "cases.v1") == "processed"
    assert world.deliveries() == []
    assert svc.deliver(case, "cases.v1") == "processed"
    made = {(d["event_type"], d["audience"], d["channel"]) for d in world.deliveries()}
    assert {("case.registered", "reporter", "sms"), ("case.triaged", "reporter", "inbox")} <= made
    assert not any(d["event_type"] == "case.related_linked" for d in world.deliveries())


def test_the_first_receiving_deputy_is_asked_to_visit_when_the_resident_did_not_rate(world):
    svc = world.svc
    case = registered()
    svc.deliver(case, "cases.v1")
    due = DAYTIME + timedelta(days=3)
    svc.deliver(case_event(case, "case.return_visit_due", state="resolved", previous_state="resolved", round=1,
                           due_at=due.isoformat()), "cases.v1")
    visits = world.deliveries(event_type="case.return_visit_due")
    assert {(d["audience"], d["recipient_ref"], d["channel"]) for d in visits} == {
        ("deputy", D1, "inbox"), ("deputy", D1, "sms")}
    local = due.astimezone(clock.CHINA)
    assert f"请于{local.year}年{local.month}月{local.day}日 10:00前回访" in visits[0]["body"]
    world.send()
    assert [m["to"] for m in world.sms() if "回访" in m["text"]] == ["13900000001"]


def _texts(world, event_type):
    return {(d["audience"], d["recipient_ref"], d["channel"]): d["body"] for d in world.deliveries()
            if d["event_type"] == event_type}


def test_returns_extensions_overdue_and_closing_reach_the_people_who_act_on_them(world):
    """Templates the loop lacked: 退单 to the township staff, 延期 to staff and department, 逾期 to the department
    and the staff (not only the deputy), 办结 to the resident."""
    svc = world.svc
    case = registered()
    svc.deliver(case, "cases.v1")
    returned = case_event(case, "work_order.returned", state="returned", previous_state="signed",
                          reason="不属于本单位职责。")
    requested = case_event(case, "work_order.extension_requested", state="signed", previous_state="signed",
                           reason="需等待配件", requested_due_at="2026-11-29T09:00:00Z")
    decided = case_event(case, "work_order.extension_decided", state="signed", previous_state="signed",
                         reason="同意", approved=True, due_at="2026-11-29T09:00:00Z")
    unsigned = case_event(case, "work_order.signing_overdue", state="dispatched", previous_state="dispatched",
                          reason="not signed within the signing limit", sign_due_at="2026-11-20T09:00:00Z",
                          due_at="2026-11-30T09:00:00Z")
    assert svc.deliver(unsigned, "cases.v1") == "processed"
    unsigned_texts = _texts(world, "work_order.signing_overdue")
    assert {key[0] for key in unsigned_texts} == {"department", "congress_staff"}
    assert all("签收时限（2026年11月20日 17:00）" in text for text in unsigned_texts.values())
    overdue = case_event(case, "work_order.overdue", state="signed", previous_state="signed",
                         reason="deadline 2026-11-22T09:00:00+00:00 passed", due_at="2026-11-22T09:00:00Z")
    for item in (returned, requested, decided, overdue):
        assert svc.deliver(item, "cases.v1") == "processed"
    assert _texts(world, "work_order.returned") == {
        ("congress_staff", "staff", "inbox"): "民情（受理编号WG7K3M9Q2P）被镇村镇建设办退回，退回理由：不属于本单位职责。请重新分办。"}
    assert "延至2026年11月29日 17:00" in _texts(world, "work_order.extension_requested")[("congress_staff", "staff", "inbox")]
    decided_text = _texts(world, "work_order.extension_decided")[("department", "dept:town-construction", "inbox")]
    assert "已批准" in decided_text and "2026年11月29日 17:00" in decided_text
    overdue_texts = _texts(world, "work_order.overdue")
    assert {key[0] for key in overdue_texts} == {"deputy", "department", "congress_staff"}
    assert all("deadline" not in text and "2026年11月22日 17:00" in text for text in overdue_texts.values())


def test_escalation_messages_are_chinese_and_never_doubled_stops(world):
    svc = world.svc
    case = registered()
    svc.deliver(case, "cases.v1")
    escalated = case_event(case, "case.escalated", state="escalated", previous_state="returned",
                           reason="returned 3 times (limit 3)", step="supervision", trigger="returned_repeatedly",
                           work_order_id=str(uuid.uuid4()), department={"code": "town-construction",
                                                                       "name": "镇村镇建设办"}, target="镇人大主席团")
    reminder = case_event(case, "case.escalated", state="signed", previous_state="signed",
                          reason="work order overdue by 1 d 0 h: reminder", step="reminder", trigger="overdue",
                          work_order_id=str(uuid.uuid4()), department={"code": "town-construction",
                                                                      "name": "镇村镇建设办"}, target="镇村镇建设办")
    manual = case_event(case, "case.escalated", state="escalated", previous_state="signed",
                        reason="群众多次来电反映。", step="supervision", trigger="manual", work_order_id=None,
                        department=None, target="镇人大主席团")
    for item in (escalated, reminder, manual):
        assert svc.deliver(item, "cases.v1") == "processed"
    texts = [d["body"] for d in world.deliveries() if d["event_type"] == "case.escalated"]
    assert texts and all(not re.search(r"[A-Za-z]{3,}", t.replace("WG7K3M9Q2P", "")) for t in texts), texts
    assert all("。。" not in t for t in texts)
    assert any("已催办" in t for t in texts) and any("群众多次来电反映。" in t for t in texts)


def test_an_answer_not_passed_on_in_time_reaches_the_resident_directly(world):
    """The fallback of 谁接待、谁答复: when the first receiver has not replied in time, the resident is told the
    answer directly and the deputy is flagged."""
    svc = world.svc
    case = registered()
    svc.deliver(case, "cases.v1")
    svc.deliver(case_event(case, "case.answered", state="answered", previous_state="in_progress", on_the_spot=False,
                           department={"code": "town-construction", "name": "镇村镇建设办"}, summary="路灯已修复。",
                           on_time=True), "cases.v1")
    assert world.deliveries(event_type="case.answered", audience="reporter") == []  # not yet: the deputy tells
    svc.deliver(case_event(case, "case.replied", state="answered", previous_state="answered", deputy_id=D1,
                           channel="phone", on_time=True), "cases.v1")  # an interim reply sends the resident nothing
    assert world.deliveries(audience="reporter", event_type="case.replied") == []
    svc.deliver(case_event(case, "case.reply_overdue", state="answered", previous_state="answered", deputy_id=D1,
                           due_at="2026-11-22T09:00:00Z"), "cases.v1")
    direct = world.deliveries(event_type="case.reply_overdue", audience="reporter")
    assert {d["channel"] for d in direct} == {"inbox", "sms"} and "路灯已修复。" in direct[0]["body"]
    assert {d["channel"] for d in world.deliveries(event_type="case.reply_overdue", audience="deputy")} == {"inbox", "sms"}
