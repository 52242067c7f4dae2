"""Intake's part in reconciliation: the ids of a period's cases, and its outbox re-published on request."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from intake_testkit import GRID, announce_grid, case_body


@pytest.fixture
def svc(svc):
    announce_grid(svc, GRID)
    return svc


def register(svc, n):
    ids = []
    for _ in range(n):
        answer = svc.client.post("/v1/cases", json=case_body(), headers=svc.headers())
        assert answer.status_code == 201, answer.json
        ids.append(answer.json["id"])
    return ids


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def test_the_ids_of_a_periods_cases_come_oldest_first_in_pages(svc):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    ids = register(svc, 5)
    after = datetime.now(timezone.utc) + timedelta(seconds=1)
    seen, offset = [], 0
    while offset is not None:
        answer = svc.client.get("/v1/internal/reconcile/cases", headers=svc.headers("reader"),
                                query_string={"since": iso(before), "until": iso(after), "offset": offset, "limit": 2})
        assert answer.status_code == 200, answer.json
        seen += answer.json["case_ids"]
        offset = answer.json["next_offset"]
    assert seen == ids
    empty = svc.client.get("/v1/internal/reconcile/cases", headers=svc.headers("reader"),
                           query_string={"since": iso(after), "until": iso(after + timedelta(hours=1))})
    assert empty.json == {"case_ids": [], "next_offset": None}


@pytest.mark.parametrize("query, field", [
    ({"since": "2026-12-01T00:00:00", "until": "2026-12-02T00:00:00Z"}, "since"),  # no zone
    ({"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, "until"),  # backwards
    ({"until": "2026-12-01T00:00:00Z"}, "since"),
])
def test_a_bad_period_is_a_422_naming_the_field(svc, query, field):
    answer = svc.client.get("/v1/internal/reconcile/cases", headers=svc.headers("reader"), query_string=query)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert field in {e["field"] for e in answer.json["errors"]}


def test_the_period_needs_cases_read(svc):
    answer = svc.client.get("/v1/internal/reconcile/cases", headers=svc.headers("none"),
                            query_string={"since": "2026-12-01T00:00:00Z", "until": "2026-12-02T00:00:00Z"})
    assert answer.status_code == 403


def test_republish_puts_the_registrations_back_in_the_outbox_queue(svc):
    ids = register(svc, 3)
    table = svc.runtime.tables.outbox
    with svc.runtime.db.transaction() as session:  # the relay published everything
        session.execute(update(table).values(published_at=datetime.now(timezone.utc)))
    answer = svc.client.post("/v1/internal/outbox/republish", headers=svc.headers(),
                             json={"subjects": [ids[0], ids[2], "not-a-case"], "event_types": ["case.registered"]})
    assert answer.status_code == 200, answer.json
    assert answer.json == {"marked": 2, "subjects_not_found": ["not-a-case"]}
    with svc.runtime.db.sessions() as session:
        pending = set(session.scalars(table.select().with_only_columns(table.c.message_key)
                                      .where(table.c.published_at.is_(None))))
    assert pending == {ids[0], ids[2]}


@pytest.mark.parametrize("body, field", [
    ({"subjects": []}, "subjects"), ({"subjects": "abc"}, "subjects"), ([1], "body"),
    ({"subjects": ["a"], "event_types": "case.registered"}, "event_types"), ({"subjects": ["a"], "x": 1}, "x"),
])
def test_a_bad_republish_request_is_a_422(svc, body, field):
    answer = svc.client.post("/v1/internal/outbox/republish", headers=svc.headers(), json=body)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert field in {e["field"] for e in answer.json["errors"]}


def test_republish_needs_its_own_scope(svc):
    answer = svc.client.post("/v1/internal/outbox/republish", headers=svc.headers("reader"),
                             json={"subjects": ["a"]})
    assert answer.status_code == 403
