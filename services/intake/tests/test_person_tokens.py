"""A person's access token (from the portal) over HTTP: the actor on events, and the data scope the service enforces."""
from intake_testkit import GRID, OTHER_GRID, announce_deputy, assign, case_body

DEPUTY = "6f1c2d4e-0000-4000-8000-0000000000d1"


def _deputy(svc, **extra):
    return svc.person("acc-7", grids=[GRID], **extra)


def test_a_persons_case_carries_the_person_as_actor(gsvc):
    assign(gsvc, GRID, announce_deputy(gsvc, deputy_id=DEPUTY))
    body = case_body(channel="station", received_by={"kind": "deputy", "id": DEPUTY})
    response = gsvc.client.post("/v1/cases", json=body, headers=_deputy(gsvc))
    assert response.status_code == 201, response.json
    registered = [e for e in gsvc.outbox() if e.type == "case.registered"]
    assert registered[-1].actor == "person:acc-7"


def test_a_deputy_cannot_register_or_read_in_another_grid(gsvc):
    other = gsvc.client.post("/v1/cases", json=case_body(grid_id=OTHER_GRID), headers=_deputy(gsvc))
    assert other.status_code == 403, other.json
    assert other.mimetype == "application/problem+json"
    by_key = gsvc.client.post("/v1/cases", json=case_body(grid_id=OTHER_GRID), headers=gsvc.headers())
    assert by_key.status_code == 201  # API keys work exactly as before
    case_id = by_key.json["id"]
    assert gsvc.client.get(f"/v1/cases/{case_id}", headers=_deputy(gsvc)).status_code == 403
    assert gsvc.client.get(f"/v1/cases/{case_id}/history", headers=_deputy(gsvc)).status_code == 403
    withdraw = gsvc.client.post(f"/v1/cases/{case_id}/withdrawal", json={"reason": "伪造", "requested_by": "staff"},
                                headers=_deputy(gsvc))
    assert withdraw.status_code == 403
    listed = gsvc.client.get("/v1/cases", headers=_deputy(gsvc)).json
    assert case_id not in [c["id"] for c in listed["items"]]
    assert gsvc.client.get(f"/v1/cases?grid_id={OTHER_GRID}", headers=_deputy(gsvc)).status_code == 403


def test_a_deputy_sees_only_own_grid_households(gsvc):
    mine = gsvc.client.post("/v1/households", json={"grid_id": GRID, "address": "韶山村一组3号"},
                            headers=_deputy(gsvc))
    assert mine.status_code == 201, mine.json
    forged = gsvc.client.post("/v1/households", json={"grid_id": OTHER_GRID, "address": "韶山村二组9号"},
                              headers=_deputy(gsvc))
    assert forged.status_code == 403
    theirs = gsvc.client.post("/v1/households", json={"grid_id": OTHER_GRID, "address": "韶山村二组9号"},
                              headers=gsvc.headers()).json
    assert gsvc.client.get(f"/v1/households/{theirs['id']}", headers=_deputy(gsvc)).status_code == 403
    listed = gsvc.client.get("/v1/households", headers=_deputy(gsvc)).json
    assert [h["id"] for h in listed["items"]] == [mine.json["id"]]


def test_tokens_that_must_be_refused(gsvc):
    from wangge_common.tokens import TokenIssuer, new_seed

    stranger = TokenIssuer("https://portal.test", new_seed()).mint("x", scopes=["cases:read"])
    assert gsvc.client.get("/v1/cases", headers={"Authorization": f"Bearer {stranger}"}).status_code == 401
    expired = gsvc.token_issuer.mint("x", scopes=["cases:read"], ttl_s=-120)
    answer = gsvc.client.get("/v1/cases", headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401 and "expired" in answer.json["detail"]
    no_scope = gsvc.person(scopes=["roster:read"])
    assert gsvc.client.get("/v1/cases", headers=no_scope).status_code == 403
    contacts = gsvc.person(scopes=["contacts:read"])  # never granted to a person, whatever the token says
    assert gsvc.client.get("/v1/internal/reporters/rp_x/contact", headers=contacts).status_code == 403


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 500


def test_photos_are_checked_by_content_and_served_only_within_the_grid(gsvc):
    headers = {**_deputy(gsvc), "Content-Type": "image/jpeg"}
    stored = gsvc.client.post(f"/v1/attachments?grid_id={GRID}&name=lamp.jpg", data=JPEG, headers=headers)
    assert stored.status_code == 201, stored.json
    assert stored.json["media_type"] == "image/jpeg" and stored.json["size"] == len(JPEG)
    again = gsvc.client.post(f"/v1/attachments?grid_id={GRID}&name=lamp.jpg", data=JPEG, headers=headers)
    assert again.json["id"] == stored.json["id"]  # a retried upload is the same attachment
    fake = gsvc.client.post(f"/v1/attachments?grid_id={GRID}&name=x.jpg", data=b"GIF89a" + b"\x00" * 100,
                            headers=headers)
    assert fake.status_code == 422 and fake.json["errors"][0]["field"] == "body"
    big = gsvc.client.post(f"/v1/attachments?grid_id={GRID}", data=PNG + b"\x00" * (5 * 1024 * 1024),
                           headers=headers)
    assert big.status_code == 413
    assert gsvc.client.post(f"/v1/attachments?grid_id={OTHER_GRID}", data=PNG, headers=headers).status_code == 403
    url = stored.json["url"]
    photo = gsvc.client.get(url, headers=_deputy(gsvc))
    assert photo.status_code == 200 and photo.data == JPEG and photo.mimetype == "image/jpeg"
    assert gsvc.client.get(url).status_code == 401  # never public
    assert gsvc.client.get(url, headers=gsvc.person("p-2", grids=[OTHER_GRID])).status_code == 403


def test_similar_open_cases_are_suggested_before_registering(gsvc):
    first = gsvc.client.post("/v1/cases", json=case_body(), headers=gsvc.headers()).json
    found = gsvc.client.get("/v1/cases/similar", query_string={"grid_id": GRID, "content": "村口路灯坏了三天，晚上出行不便！"},
                            headers=_deputy(gsvc))
    assert found.status_code == 200
    assert [(s["case"]["id"], s["basis"]) for s in found.json] == [(first["id"], "similar_content")]
    none = gsvc.client.get("/v1/cases/similar", query_string={"grid_id": GRID, "content": "建议在村委会旁增设健身器材。"},
                           headers=_deputy(gsvc))
    assert none.json == []
    outside = gsvc.client.get("/v1/cases/similar", query_string={"grid_id": OTHER_GRID, "content": "村口路灯坏了三天"},
                              headers=_deputy(gsvc))
    assert outside.status_code == 403


def test_a_department_handler_attaches_a_photo_to_its_answer_but_a_reader_cannot(gsvc):
    handler = {**gsvc.person("handler-1", scopes=("cases:read", "orders:handle"), departments=["town-office"]),
               "Content-Type": "image/jpeg"}
    stored = gsvc.client.post(f"/v1/attachments?grid_id={GRID}&name=done.jpg", data=JPEG, headers=handler)
    assert stored.status_code == 201, stored.json
    reader = {**gsvc.person("reader-1", scopes=("cases:read",)), "Content-Type": "image/jpeg"}
    refused = gsvc.client.post(f"/v1/attachments?grid_id={GRID}&name=done.jpg", data=JPEG, headers=reader)
    assert refused.status_code == 403 and "cases:write" in refused.json["detail"]
