"""Issue 13.1-13.2 on routing: what schemathesis and a careless integrator sent is refused as problem+json."""
import pytest

PROBLEM = "application/problem+json"


def raw_post(svc, path, body: bytes, key="all"):
    headers = {"Content-Type": "application/json", **(svc.headers(key) if key else {})}
    return svc.client.post(path, data=body, headers=headers)


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == PROBLEM
    if field is not None:
        assert field in [e["field"] for e in response.json["errors"]], response.json


@pytest.mark.parametrize("path", ["/v1/dispatch-rules/1180591620717411303424", "/v1/deadline-rules/9223372036854775808",
                                  "/v1/dispatch-rules/2147483648",
                                  "/v1/dispatch-rules/" + "9" * 5000, "/v1/deadline-rules/9223372036854775808/history"])
def test_an_id_past_the_id_column_is_not_found_not_an_overflow(svc, path):
    assert_problem(svc.client.get(path, headers=svc.headers()), 404)


@pytest.mark.parametrize("path", ["/v1/cases", "/v1/work-orders"])
@pytest.mark.parametrize("page", ["4611686018427387904", "44780281590288056582144", "0"])
def test_a_page_number_that_overflows_is_a_422_naming_page(svc, path, page):
    assert_problem(svc.client.get(f"{path}?page={page}", headers=svc.headers()), 422, "page")


def test_the_public_rating_endpoint_refuses_deep_nesting_long_integers_and_nan(svc):
    token = "x" * 40
    deep = b"[" * 5000 + b"]" * 5000
    assert_problem(raw_post(svc, f"/v1/evaluations/{token}", deep, key=None), 400)
    nested = b'{"rating": ' + b"[" * 100 + b"]" * 100 + b"}"
    assert_problem(raw_post(svc, f"/v1/evaluations/{token}", nested, key=None), 400)
    huge = b'{"rating": "satisfied", "comment": ' + b"9" * 5000 + b"}"
    assert_problem(raw_post(svc, f"/v1/evaluations/{token}", huge, key=None), 400)
    assert_problem(raw_post(svc, f"/v1/evaluations/{token}", b'{"rating": NaN}', key=None), 400)


def test_integers_past_64_bits_and_lone_surrogates_name_their_field(svc):
    body = b'{"category": "request", "level": 99999999999999999999, "department_code": "x\\ud800",' \
           b' "department_name": "\\udc00", "reason": "ok"}'
    response = raw_post(svc, "/v1/dispatch-rules", body)
    assert_problem(response, 422)
    assert {e["field"] for e in response.json["errors"]} == {"level", "department_code", "department_name"}


def test_a_well_formed_surrogate_pair_is_a_character_and_accepted(svc):
    case_id = svc.register()
    order = svc.order(case_id, state="dispatched")
    svc.act(order["id"], "sign")
    body = '{"reason": "已安排 \\ud83d\\ude00 现场查看"}'.encode()
    response = raw_post(svc, f"/v1/work-orders/{order['id']}/start", body)
    assert response.status_code == 200, response.json


def test_a_work_order_command_with_a_stale_if_match_is_412_and_changes_nothing(svc):
    case_id = svc.register()
    order = svc.order(case_id, state="dispatched")
    tag = svc.client.get(f"/v1/work-orders/{order['id']}", headers=svc.headers()).headers["ETag"]
    assert svc.client.get(f"/v1/work-orders/{order['id']}",
                          headers=svc.headers(**{"If-None-Match": tag})).status_code == 304
    signed = svc.client.post(f"/v1/work-orders/{order['id']}/sign", json={}, headers=svc.headers(**{"If-Match": tag}))
    assert signed.status_code == 200, signed.json
    events = len(svc.outbox())
    stale = svc.client.post(f"/v1/work-orders/{order['id']}/start", json={"reason": "已安排人员现场查看"},
                            headers=svc.headers(**{"If-Match": tag}))
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert len(svc.outbox()) == events and svc.order(case_id, id=order["id"])["state"] == "signed"
    fresh = svc.client.get(f"/v1/work-orders/{order['id']}", headers=svc.headers()).headers["ETag"]
    assert svc.client.post(f"/v1/work-orders/{order['id']}/start", json={"reason": "已安排人员现场查看"},
                           headers=svc.headers(**{"If-Match": fresh})).status_code == 200


def test_an_undeclared_method_is_a_405_problem_that_keeps_its_allow_header(svc):
    response = svc.client.open("/v1/work-orders", method="TRACE", headers=svc.headers())
    assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_a_nul_character_anywhere_is_a_422_naming_the_field(svc):
    response = svc.client.get("/v1/work-orders?department=a%00b", headers=svc.headers())
    assert_problem(response, 422, "department")
    body = b'{"category": "request", "level": "village", "department_code": "x\\u0000y", "department_name": "n",' \
           b' "reason": "ok"}'
    assert_problem(raw_post(svc, "/v1/dispatch-rules", body), 422, "department_code")
