"""The OpenAPI document lists every endpoint, described, and every POST's Idempotency-Key."""


def test_every_operation_is_documented_and_every_post_takes_an_idempotency_key(svc):
    doc = svc.client.get("/openapi.json").json
    paths = doc["paths"]
    for expected in ("/v1/cases", "/v1/cases/bulk", "/v1/cases/{case_id}/supplements", "/v1/cases/{case_id}/withdrawal",
                     "/v1/case-links/{link_id}/confirm", "/v1/households", "/v1/visits", "/v1/reception-sessions",
                     "/v1/track/{tracking_code}", "/v1/internal/reporters/{reporter_ref}/contact",
                     "/open311/discovery.{fmt}", "/open311/v2/services.{fmt}", "/open311/v2/requests.{fmt}",
                     "/open311/v2/requests/{request_id}.{fmt}"):
        assert expected in paths, expected
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method} {path} has no summary"
            if method == "post":
                names = [p.get("name") for p in operation.get("parameters", [])]
                assert "Idempotency-Key" in names, f"POST {path} does not document Idempotency-Key"
    assert "security" in paths["/v1/track/{tracking_code}"]["get"]  # public: an empty requirement
