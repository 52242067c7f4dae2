"""Reporting: every event in a hash chain that exposes tampering, in order, with case figures beside it."""
import copy
import uuid

import pytest
from sqlalchemy import delete, select, update

from wangge_common import contracts
from wangge_common.testing import event
from reporting.models import AuditEntry

EXAMPLE = contracts.contract("case.registered", 1).schema["examples"][0]


def case_life(svc, n=3):
    ids = []
    for _ in range(n):
        data = copy.deepcopy(EXAMPLE)
        data["case_id"] = str(uuid.uuid4())
        svc.deliver(event("case.registered", data["case_id"], data, source="/wangge/intake"), "cases.v1")
        svc.deliver(event("case.triaged", data["case_id"], {
            "case_id": data["case_id"], "path": "town", "department": {"code": "town-office", "name": "镇党政综合办"},
            "work_order_id": str(uuid.uuid4()), "rule_id": 9, "reason": "r"}, source="/wangge/routing"), "cases.v1")
        ids.append(data["case_id"])
    return ids


def verify(svc):
    return svc.client.get("/v1/audit/verify", headers=svc.headers()).json


def test_a_cases_events_come_back_in_order_and_the_chain_is_valid(svc):
    ids = case_life(svc)
    events = svc.client.get(f"/v1/audit/events?subject={ids[1]}", headers=svc.headers()).json["items"]
    assert [e["event_type"] for e in events] == ["case.registered", "case.triaged"]
    assert events[1]["prev_hash"] != events[0]["prev_hash"] and events[0]["event"]["data"]["case_id"] == ids[1]
    result = verify(svc)
    assert (result["valid"], result["entries"], result["first_bad"]) == (True, 6, None)


def test_a_redelivered_event_is_stored_once(svc):
    data = copy.deepcopy(EXAMPLE)
    registered = event("case.registered", data["case_id"], data, source="/wangge/intake")
    assert svc.deliver(registered, "cases.v1") == "processed"
    assert svc.deliver(registered, "cases.v1") == "duplicate"
    assert verify(svc)["entries"] == 1


def test_events_of_unknown_types_are_kept_too(svc):
    svc.deliver(event("case.teleported", "c-1", {"anything": 1}), "cases.v1")
    assert verify(svc)["entries"] == 1


@pytest.mark.parametrize("tamper, bad_seq, reason", [
    (lambda s: s.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(payload='{"forged":true}')), 3, "content"),
    (lambda s: s.execute(delete(AuditEntry).where(AuditEntry.seq == 4)), 4, "missing"),
    (lambda s: s.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=99)), 2, "missing"),
])
def test_tampering_is_found_at_its_position(svc, tamper, bad_seq, reason):
    case_life(svc)
    with svc.runtime.db.transaction() as session:
        tamper(session)
    result = verify(svc)
    assert result["valid"] is False and result["first_bad"]["seq"] == bad_seq and reason in result["first_bad"]["reason"]


def test_swapping_two_entries_is_found(svc):
    case_life(svc)
    with svc.runtime.db.transaction() as session:
        a, b = session.scalars(select(AuditEntry).where(AuditEntry.seq.in_([2, 3])).order_by(AuditEntry.seq)).all()
        a_payload, b_payload = a.payload, b.payload
        a.payload, b.payload = b_payload, a_payload
    assert verify(svc)["first_bad"]["seq"] == 2


def test_kpis_count_cases_by_state(svc):
    case_life(svc, n=2)
    data = copy.deepcopy(EXAMPLE)
    data["case_id"] = str(uuid.uuid4())
    svc.deliver(event("case.registered", data["case_id"], data, source="/wangge/intake"), "cases.v1")
    kpis = svc.client.get("/v1/kpis", headers=svc.headers()).json
    assert (kpis["cases_total"], kpis["cases_by_state"]) == (3, {"triaged": 2, "registered": 1})


def test_the_audit_log_needs_the_audit_scope(svc):
    assert svc.client.get("/v1/audit/verify", headers=svc.headers("reader")).status_code == 403


def test_verify_sees_one_state_of_the_log_while_events_keep_arriving(svc, monkeypatch):
    import threading

    from reporting.queries import audit

    case_life(svc, 10)  # 20 entries: one stored 16-leaf node
    walk_rows, arrived = audit._log_rows, threading.Event()

    def rows_with_events_arriving_meanwhile(session, chunk=20000):
        rows = walk_rows(session, chunk)
        yield next(rows)
        # the consumer appends while verify walks: on PostgreSQL it commits (a node, a new head) before the walk
        # reads on; on SQLite it waits for verify's transaction
        writer = threading.Thread(target=lambda: (case_life(svc, 8), arrived.set()))
        writer.start()
        writer.join(10 if svc.runtime.db.dialect == "postgresql" else 0.3)
        yield from rows
        rows_with_events_arriving_meanwhile.writer = writer

    monkeypatch.setattr(audit, "_log_rows", rows_with_events_arriving_meanwhile)
    during = verify(svc)
    assert (during["valid"], during["entries"], during["first_bad"]) == (True, 20, None)
    rows_with_events_arriving_meanwhile.writer.join(10)
    assert arrived.is_set()
    after = verify(svc)
    assert (after["valid"], after["entries"]) == (True, 36)
