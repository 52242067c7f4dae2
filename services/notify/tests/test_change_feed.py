"""The change feed on GET /v1/notifications (issue 19.3): ?updated_since= and the cursor ?after=."""
from notifyfakes import registered, triaged


def feed(svc, **query):
    response = svc.client.get("/v1/notifications", query_string=query, headers=svc.headers())
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_messages_come_in_the_order_they_changed_and_the_cursor_skips_what_was_read(svc):
    case = registered()
    svc.deliver(case, "cases.v1")
    first = feed(svc, updated_since="2000-01-01T00:00:00Z")  # the reporter's and the first receiver's
    assert len(first) == 2 and first[0]["updated_at"] <= first[1]["updated_at"]
    assert feed(svc, updated_since=first[0]["updated_at"], after=first[0]["id"]) == first[1:]
    svc.deliver(triaged(case), "cases.v1")
    newer = feed(svc, updated_since=first[-1]["updated_at"], after=first[-1]["id"])
    assert len(newer) == 1 and "镇村镇建设办" in newer[0]["body"]
    assert feed(svc, updated_since=newer[0]["updated_at"], after=newer[0]["id"]) == []
    bad = svc.client.get("/v1/notifications?updated_since=yesterday", headers=svc.headers())
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "updated_since"
