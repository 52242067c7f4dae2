"""The change feed on GET /v1/cases (issue 19.3): ?updated_since= (and the cursor ?after=) for systems that poll."""
import time

from intake_testkit import case_body, lifecycle


def feed(gsvc, **query):
    response = gsvc.client.get("/v1/cases", query_string=query, headers=gsvc.headers("reader"))
    assert response.status_code == 200, response.json
    return response.json["items"]


def register(gsvc, content):
    response = gsvc.client.post("/v1/cases", json=case_body(content=content), headers=gsvc.headers())
    assert response.status_code == 201, response.json
    time.sleep(0.002)  # distinct moments, as real registrations have
    return response.json


def test_a_poller_gets_what_changed_oldest_change_first_and_nothing_twice(gsvc):
    first, second, third = (register(gsvc, text) for text in ("路灯坏了。", "水渠堵了。", "道路塌陷。"))
    everything = feed(gsvc, updated_since="2000-01-01T00:00:00Z")
    assert [c["id"] for c in everything] == [first["id"], second["id"], third["id"]]
    mark = everything[1]["updated_at"]
    assert [c["id"] for c in feed(gsvc, updated_since=mark)] == [second["id"], third["id"]]  # inclusive
    assert [c["id"] for c in feed(gsvc, updated_since=mark, after=second["id"])] == [third["id"]]  # the cursor
    last = everything[-1]
    assert feed(gsvc, updated_since=last["updated_at"], after=last["id"]) == []  # nothing new
    # routing moves the first case on: it comes again, after the others, with its new state
    gsvc.deliver(lifecycle(first["id"], "case.assigned"), "cases.v1")
    changed = feed(gsvc, updated_since=last["updated_at"], after=last["id"])
    assert [(c["id"], c["status"]) for c in changed] == [(first["id"], "assigned")]
    assert changed[0]["updated_at"] > last["updated_at"]
    withdrawn = gsvc.client.post(f"/v1/cases/{second['id']}/withdrawal", headers=gsvc.headers(),
                                 json={"reason": "已自行解决", "requested_by": "reporter"})
    assert withdrawn.status_code == 200
    again = feed(gsvc, updated_since=changed[0]["updated_at"], after=changed[0]["id"])
    assert [(c["id"], c["status"]) for c in again] == [(second["id"], "withdrawn")]


def test_the_feed_keeps_the_other_filters_and_refuses_bad_moments(gsvc):
    register(gsvc, "路灯坏了。")
    assert feed(gsvc, updated_since="2000-01-01T00:00:00Z", status="closed") == []
    for query, field in (({"updated_since": "2026-12-01T00:00:00"}, "updated_since"),  # no offset: ambiguous
                         ({"updated_since": "soon"}, "updated_since"),
                         ({"after": "5a1e0000-0000-4000-8000-0000000000aa"}, "after")):
        response = gsvc.client.get("/v1/cases", query_string=query, headers=gsvc.headers("reader"))
        assert response.status_code == 422 and field in [e["field"] for e in response.json["errors"]]
