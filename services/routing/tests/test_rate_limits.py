"""The residents' rating endpoint is limited per client address; notify, calling with its key, is not (19.5)."""


def test_rating_posts_are_limited_per_address_but_not_for_keyed_callers(svc):
    client = svc.another_app(ratelimits={"EVALUATION": "3/minute"}).test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    answers = [client.post("/v1/evaluations/not-a-real-token", json={"rating": "satisfied"}, environ_base=remote)
               for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert answers[3].mimetype == "application/problem+json" and int(answers[3].headers["Retry-After"]) >= 1
    assert answers[0].headers["RateLimit-Remaining"] == "2"
    assert client.get("/v1/evaluations/not-a-real-token", environ_base=remote).status_code == 404  # reads are free
    keyed = [client.post("/v1/evaluations/not-a-real-token", json={"rating": "satisfied"}, environ_base=remote,
                         headers=svc.headers()).status_code for _ in range(4)]
    assert keyed == [404] * 4  # notify forwards every resident's rating from one address, with its key
