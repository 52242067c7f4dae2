"""Personal data: encrypted at rest, masked in answers, never in an event or a log line; the contact endpoint."""
import logging

import pytest

from sqlalchemy import text

from intake_testkit import GRID, ID_NUMBER, PHONE, case_body, new_id

HOUSEHOLD_PHONE = "13700001111"
SECRETS = (PHONE, ID_NUMBER, HOUSEHOLD_PHONE, "王秀英", "wang@example.cn")


def test_no_phone_or_id_number_in_any_event_log_line_or_answer(gsvc, caplog):
    caplog.set_level(logging.DEBUG)
    answers = []

    def call(method, path, **kw):
        response = getattr(gsvc.client, method)(path, headers=gsvc.headers(**kw.pop("headers", {})), **kw)
        answers.append(response.get_data(as_text=True))
        return response

    reporter = {"name": "王秀英", "phone": PHONE, "id_number": ID_NUMBER, "email": "wang@example.cn"}
    home = call("post", "/v1/households", json={"grid_id": GRID, "address": "韶山村12号",
                                                 "contact": {"name": "王秀英", "phone": HOUSEHOLD_PHONE}}).json
    case = call("post", "/v1/cases", json=case_body(reporter=reporter, household_id=home["id"]),
                headers={"Idempotency-Key": "k1"}).json
    call("post", "/v1/cases", json=case_body(reporter=reporter), headers={"Idempotency-Key": "k1"})  # 422
    call("post", "/v1/cases", json=case_body(reporter={**reporter, "id_number": ID_NUMBER + "9"}))  # 422
    call("post", "/v1/cases", json=case_body(reporter=reporter, grid_id=new_id()))  # unknown grid
    call("post", "/v1/cases/bulk", json={"cases": [case_body(reporter=reporter), {"reporter": reporter}]})
    call("post", "/open311/v2/requests.json", data={"service_code": "request", "description": "路灯坏了很多天了",
                                                    "address_string": "韶山村12号", "phone": PHONE,
                                                    "first_name": "秀英", "last_name": "王"})
    call("post", f"/v1/cases/{case['id']}/supplements", json={"reason": "补充", "content_added": "已经坏了一周"})
    call("post", "/v1/visits", json={"deputy_id": "d0000000-0000-4000-8000-000000000007", "grid_id": GRID, "visited_on": "2026-11-20",
                                     "household_ids": [home["id"]], "residents_reached": 2})
    call("get", f"/v1/cases/{case['id']}")
    call("get", f"/v1/households/{home['id']}")
    call("get", "/v1/cases")
    call("get", "/open311/v2/requests.json")
    call("get", f"/v1/track/{case['tracking_code']}")
    call("get", f"/track/{case['tracking_code']}")
    call("post", f"/v1/cases/{case['id']}/withdrawal", json={"reason": "已解决", "requested_by": "reporter"})

    events = gsvc.outbox()
    assert {e.type for e in events} >= {"case.registered", "case.supplemented", "case.withdrawn", "visit.recorded"}
    table = gsvc.runtime.tables.outbox
    with gsvc.runtime.db.sessions() as session:
        stored_outbox = " ".join(r.payload + r.headers for r in session.execute(table.select()))
        stored_cases = " ".join(str(tuple(r)) for r in session.execute(text("SELECT * FROM cases")))
        stored_households = " ".join(str(tuple(r)) for r in session.execute(text("SELECT * FROM households")))
    logged = "\n".join(gsvc_record_text(r) for r in caplog.records)
    for secret in SECRETS:
        assert secret not in stored_outbox, secret
        assert secret not in logged, secret
        assert secret not in stored_cases and secret not in stored_households, secret
        for answer in answers:
            assert secret not in answer, (secret, answer[:200])
    assert len(caplog.records) > 0  # the scan saw the log, not an empty list


def gsvc_record_text(record: logging.LogRecord) -> str:
    return f"{record.getMessage()} {record.__dict__} {record.exc_text or ''}"


def test_the_contact_endpoint_gives_contact_details_in_clear_to_contacts_read_only(gsvc):
    reporter = {"name": "王秀英", "phone": PHONE, "email": "wang@example.cn"}
    gsvc.client.post("/v1/cases", json=case_body(reporter=reporter), headers=gsvc.headers())
    ref = gsvc.outbox()[-1].data["reporter_ref"]
    response = gsvc.client.get(f"/v1/internal/reporters/{ref}/contact", headers=gsvc.headers())
    assert response.status_code == 200
    assert response.json == {"name": "王秀英", "phone": PHONE, "email": "wang@example.cn"}
    assert gsvc.client.get(f"/v1/internal/reporters/{ref}/contact", headers=gsvc.headers("reader")).status_code == 403
    assert gsvc.client.get(f"/v1/internal/reporters/{ref}/contact").status_code == 401
    missing = gsvc.client.get("/v1/internal/reporters/rp_nobody/contact", headers=gsvc.headers())
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_an_email_only_reporter_is_reachable_and_has_no_phone(gsvc):
    response = gsvc.client.post("/v1/cases", json=case_body(reporter={"email": "li@example.cn"}),
                                headers=gsvc.headers())
    assert response.status_code == 201 and response.json["reporter"]["phone"] is None
    ref = response.json["reporter"]["reporter_ref"]
    contact = gsvc.client.get(f"/v1/internal/reporters/{ref}/contact", headers=gsvc.headers()).json
    assert contact == {"name": None, "phone": None, "email": "li@example.cn"}


def test_a_phone_or_id_number_written_into_the_content_is_masked_everywhere_and_kept_encrypted(gsvc):
    content = f"请联系我{PHONE}，或者我儿子0731-55681234，身份证{ID_NUMBER}，路灯坏了。"
    case = gsvc.client.post("/v1/cases", json=case_body(content=content), headers=gsvc.headers()).json
    assert case["content"] == "请联系我139****5678，或者我儿子073****1234，身份证430382********1234，路灯坏了。"
    supplement = gsvc.client.post(f"/v1/cases/{case['id']}/supplements", headers=gsvc.headers(),
                                  json={"reason": "补充", "content_added": f"新号码{PHONE}"})
    assert supplement.json["content_added"] == "新号码139****5678"
    wire = " ".join(e.to_json() for e in gsvc.outbox())
    assert PHONE not in wire and ID_NUMBER not in wire and "55681234" not in wire
    with gsvc.runtime.db.sessions() as session:
        stored = session.execute(text("SELECT content, content_original_enc FROM cases")).one()
    assert PHONE not in stored.content and PHONE not in stored.content_original_enc
    # the original is encrypted under the case's data key, readable by staff holding cases:read_personal
    original = gsvc.client.get(f"/v1/cases/{case['id']}/personal", headers=gsvc.headers()).json
    assert original["content"] == content


def test_ordinary_numbers_are_left_alone():
    from intake.domain import redact

    assert redact("3号楼2单元，共18户，2026年11月20日") == "3号楼2单元，共18户，2026年11月20日"
    assert redact("订单12345678901234567890") == "订单12345678901234567890"


@pytest.mark.parametrize("path, body", [
    ("/v1/visits", {"deputy_id": "d0000000-0000-4000-8000-000000000007", "grid_id": GRID, "visited_on": "2026-11-20",
                    "residents_reached": 1, "notes": f"王大爷电话{PHONE}"}),
    ("/v1/households", {"grid_id": GRID, "address": "韶山村12号", "notes": f"身份证{ID_NUMBER}"}),
])
def test_notes_holding_a_phone_or_id_number_are_refused(gsvc, path, body):
    response = gsvc.client.post(path, json=body, headers=gsvc.headers())
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "notes"
    assert PHONE not in response.get_data(as_text=True)


class _Sent:
    is_done, exception = True, None

    def failed(self):
        return False


class RecordingProducer:
    """Stands in for Kafka: keeps what the relay sends, bytes as they would go on the wire."""

    config = {"delivery_timeout_ms": 1000}

    def __init__(self):
        self.sent = []

    def send(self, topic, key=None, value=None, headers=None):
        self.sent.append((topic, key, value, headers))
        return _Sent()

    def flush(self, timeout=None):
        pass

    def close(self, timeout=None):
        pass


def test_no_phone_or_id_number_reaches_the_relay_the_consumer_or_their_logs(gsvc, caplog, monkeypatch):
    """The events' way out (outbox relay → broker) and back in (intake's own consumer of cases.v1), and a failed
    write whose error carries the statement's parameters: nothing there holds a phone or ID number in clear."""
    from sqlalchemy.exc import IntegrityError
    from wangge_common.envelope import Event
    from wangge_common.relay import OutboxRelay

    from intake import commands
    from intake_testkit import lifecycle

    caplog.set_level(logging.DEBUG)
    reporter = {"name": "王秀英", "phone": PHONE, "id_number": ID_NUMBER, "email": "wang@example.cn"}
    content = f"我的电话{PHONE}，身份证{ID_NUMBER}，路灯坏了。"
    first = gsvc.client.post("/v1/cases", json=case_body(reporter=reporter, content=content), headers=gsvc.headers())
    again = gsvc.client.post("/v1/cases", json=case_body(reporter=reporter, content=content), headers=gsvc.headers())
    assert first.status_code == again.status_code == 201  # the second is linked to the first as related
    gsvc.client.post(f"/v1/cases/{first.json['id']}/supplements", headers=gsvc.headers(),
                     json={"reason": "补充", "content_added": f"另一个号码{HOUSEHOLD_PHONE}"})

    def failing_write(uow, plan):  # a database failure: its message lists the INSERT's parameters
        raise IntegrityError("INSERT INTO cases ...", vars(plan.case), Exception("disk I/O error"))

    monkeypatch.setattr(commands, "write_registration", failing_write)
    gsvc.app.config["PROPAGATE_EXCEPTIONS"] = False  # answered 500 and logged, as in production
    failed = gsvc.client.post("/v1/cases", json=case_body(reporter=reporter, content=content), headers=gsvc.headers())
    assert failed.status_code == 500
    monkeypatch.undo()

    producer = RecordingProducer()
    relay = OutboxRelay(gsvc.runtime, producer_factory=lambda: producer)
    assert relay.publish_batch() == len(gsvc.outbox()) >= 4
    assert {e.type for e in gsvc.outbox()} >= {"case.registered", "case.related_linked", "case.supplemented"}
    for topic, key, value, headers in producer.sent:  # intake consumes cases.v1, its own events included
        assert gsvc.deliver(Event.from_json(value), topic) in ("processed", "ignored")
    gsvc.deliver(lifecycle(first.json["id"], "case.assigned"), "cases.v1")

    wire = " ".join(f"{t} {k!r} {v.decode()} {h!r}" for t, k, v, h in producer.sent)
    logged = "\n".join(gsvc_record_text(r) for r in caplog.records)
    assert "disk I/O error" in logged  # the failure was logged, with its parameters: the scan reads them
    for secret in (*SECRETS, "55681234"):
        assert secret not in wire, secret
        assert secret not in logged, secret
