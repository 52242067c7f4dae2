"""Intake: registering cases from every channel, idempotency, and personal data kept out of events."""
import json
import uuid

import pytest
from sqlalchemy import select

from wangge_common.testing import event
from intake.models import Case
from intake_testkit import serving_deputy

GRID = str(uuid.uuid4())
PHONE, ID_NUMBER = "13912345678", "430382199001091234"


@pytest.fixture
def svc(svc):
    outcome = svc.deliver(event("grid.created", GRID, {
        "grid_id": GRID, "code": "SS-01-01-01", "name": "韶山村第一村民小组", "level": 3, "parent_id": None,
        "kind": "rural_village", "households": 250, "population": 800, "difficulty": 2, "leader": "毛建国"},
        source="/wangge/roster"), "roster.v1")
    assert outcome == "processed"
    return svc


def case_body(**changes):
    body = {"channel": "hotline", "grid_id": GRID, "category": "request", "topic": "road",
            "content": "村口路灯坏了三天，晚上出行不便。", "reporter": {"name": "王秀英", "phone": PHONE, "id_number": ID_NUMBER},
            "received_by": {"kind": "call_taker", "id": "ct-04"}}
    body.update(changes)
    return body


def post(svc, body, **headers):
    return svc.client.post("/v1/cases", json=body, headers=svc.headers(**headers))


@pytest.mark.parametrize("channel, receiver", [
    ("hotline", "call_taker"), ("station", "deputy"), ("online", "resident"), ("visit", "deputy"),
    ("meeting", "deputy"), ("integration", "system"),
])
def test_every_channel_registers_a_case_and_announces_it(svc, channel, receiver):
    extra = {"external_ref": {"system": "zongzhi", "id": "ZZ-1"}} if channel == "integration" else {}
    receiver_id = serving_deputy(svc, GRID) if receiver == "deputy" else "r-1"
    response = post(svc, case_body(channel=channel, received_by={"kind": receiver, "id": receiver_id}, **extra))
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"/v1/cases/{response.json['id']}"
    assert response.json["tracking_code"].startswith("WG") and response.json["reporter_phone_masked"] == "139****5678"
    registered = svc.outbox()[-1]
    assert registered.type == "case.registered" and registered.subject == response.json["id"]
    assert registered.data["received_by"] == {"kind": receiver, "id": receiver_id}


def test_no_phone_name_or_id_number_in_the_event_and_all_encrypted_at_rest(svc):
    case_id = post(svc, case_body()).json["id"]
    wire = svc.outbox()[-1].to_json()
    for secret in (PHONE, ID_NUMBER, "王秀英"):
        assert secret not in wire
    with svc.runtime.db.sessions() as session:
        case = session.scalar(select(Case).where(Case.id == case_id))
        stored = json.dumps([case.reporter_name_enc, case.reporter_phone_enc, case.reporter_id_number_enc])
    assert PHONE not in stored and ID_NUMBER not in stored and "王秀英" not in stored
    # encrypted under the reporter's own data key (kept wrapped by the service's key), not the service's key
    from intake.commands.personal import cipher_of
    cipher = svc.app.extensions["wangge_runtime"].state.cipher
    with svc.runtime.db.sessions() as session:
        assert cipher_of(session, case.data_key_id, cipher).decrypt(case.reporter_phone_enc) == PHONE


def test_an_anonymous_report_has_no_reporter_ref(svc):
    response = post(svc, case_body(reporter=None))
    assert response.status_code == 201 and response.json["anonymous"] is True
    assert svc.outbox()[-1].data["reporter_ref"] is None


@pytest.mark.parametrize("change, field", [
    ({"grid_id": str(uuid.uuid4())}, "grid_id"),
    ({"channel": "fax"}, "channel"),
    ({"category": "gossip"}, "category"),
    ({"content": "短"}, "content"),
    ({"reporter": {"phone": "12345"}}, "reporter.phone"),
    ({"reporter": {"phone": PHONE, "id_number": "123"}}, "reporter.id_number"),
    ({"received_by": {"kind": "deputy", "id": "d-1"}}, "received_by.kind"),
    ({"channel": "integration", "received_by": {"kind": "system", "id": "zz"}}, "external_ref"),
    ({"special_groups": ["disabled", "disabled"]}, "special_groups"),
    ({"urgency": "whenever"}, "urgency"),
])
def test_bad_fields_are_refused_field_by_field_and_nothing_is_stored(svc, change, field):
    response = post(svc, case_body(**change))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]], response.json
    assert svc.outbox() == []


def test_the_same_idempotency_key_and_body_gives_the_same_answer_once(svc):
    first = post(svc, case_body(), **{"Idempotency-Key": "call-2026-0001"})
    again = post(svc, case_body(), **{"Idempotency-Key": "call-2026-0001"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert len(svc.outbox()) == 1


def test_the_same_idempotency_key_with_another_body_is_refused(svc):
    post(svc, case_body(), **{"Idempotency-Key": "k-1"})
    response = post(svc, case_body(content="另一件事情：垃圾没人清运。"), **{"Idempotency-Key": "k-1"})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "Idempotency-Key"
    assert len(svc.outbox()) == 1


def test_an_external_case_cannot_be_registered_twice(svc):
    body = case_body(channel="integration", received_by={"kind": "system", "id": "zz"},
                     external_ref={"system": "zongzhi", "id": "ZZ-9"})
    assert post(svc, body).status_code == 201
    assert post(svc, body).status_code == 409


def test_oversized_body_is_refused(svc):
    response = svc.client.post("/v1/cases", data=b"{" + b" " * (1024 * 1024) + b"}", headers=svc.headers(),
                               content_type="application/json")
    assert response.status_code == 413


def test_a_registered_case_can_be_read_back_without_personal_data(svc):
    case_id = post(svc, case_body()).json["id"]
    response = svc.client.get(f"/v1/cases/{case_id}", headers=svc.headers("reader"))
    assert response.status_code == 200 and PHONE not in response.get_data(as_text=True)


def test_writing_needs_the_cases_write_scope(svc):
    assert svc.client.post("/v1/cases", json=case_body(), headers=svc.headers("reader")).status_code == 403


def test_a_grid_known_to_one_intake_database_is_not_assumed_by_another(svc, tmp_path):
    from wangge_common.testing import ServiceHarness
    from intake.app import create_app
    from intake.service import SPEC

    assert post(svc, case_body()).status_code == 201  # this database knows GRID, and remembers it
    (tmp_path / "other").mkdir()
    other = ServiceHarness(SPEC, create_app, tmp_path / "other")
    try:
        response = other.client.post("/v1/cases", json=case_body(), headers=other.headers())
        assert response.status_code == 422 and response.json["errors"][0]["field"] == "grid_id"
    finally:
        other.close()


def test_events_carry_the_callers_trace_or_a_trace_of_their_own(svc):
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert post(svc, case_body(), traceparent=traceparent).status_code == 201
    assert post(svc, case_body(content="另一件事情：垃圾没人清运。")).status_code == 201
    assert post(svc, case_body(content="第三件事情：井盖丢了很危险。")).status_code == 201
    traced, own, other = (e.traceparent.split("-") for e in svc.outbox())
    assert traced[1] == "0af7651916cd43dd8448eb211c80319c"  # the caller's trace goes on downstream
    assert len(own[1]) == 32 and int(own[1], 16) and own[1] != other[1]  # one trace per request otherwise
