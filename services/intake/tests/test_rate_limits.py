"""Rate limits that hold across workers (shared storage) and behind a proxy (issue 19.5), on intake's public
endpoints: the tracking API and page, and Open311 submissions."""
import secrets
import socket

import pytest

REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def worker(svc):
    """Another app on the same database and settings: what a second gunicorn worker (or replica) is."""
    return lambda **changes: svc.another_app(**changes).test_client()


def client_address() -> str:
    """An address no earlier run used, so counts left in a shared Redis by another run cannot interfere."""
    return f"10.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


def track(client, remote, **headers):
    return client.get("/v1/track/WGNOSUCH00", environ_base={"REMOTE_ADDR": remote}, headers=headers)


@pytest.mark.skipif(not redis_answers(), reason="no Redis answers on 127.0.0.1:6379 (the shared-storage test needs one)")
def test_with_shared_storage_the_limit_holds_across_workers(svc, worker):
    uri = f"redis://{REDIS[0]}:{REDIS[1]}/0"
    first, second = (worker(ratelimit_storage_uri=uri, ratelimits={"TRACK": "4/minute"}) for _ in range(2))
    remote = client_address()
    answers = [track(client, remote).status_code for client in (first, second, first, second, first, second)]
    assert answers == [404, 404, 404, 404, 429, 429]  # four in all, whichever worker answered


def test_with_memory_storage_each_worker_counts_alone(svc, worker):
    first, second = (worker(ratelimits={"TRACK": "2/minute"}) for _ in range(2))
    remote = client_address()
    assert [track(first, remote).status_code for _ in range(3)] == [404, 404, 429]
    assert track(second, remote).status_code == 404  # memory:// is per process, as docs/operations.md says


def test_an_unreachable_storage_falls_back_to_counting_in_the_process(svc, worker):
    client = worker(ratelimit_storage_uri="redis://127.0.0.1:1/0", ratelimits={"TRACK": "2/minute"})
    remote = client_address()
    assert [track(client, remote).status_code for _ in range(3)] == [404, 404, 429]


def test_forwarded_addresses_are_believed_from_trusted_proxies_only(svc, worker):
    client = worker(trusted_proxies="192.0.2.10, 192.0.2.128/25", ratelimits={"TRACK": "2/minute"})
    # a client that is no proxy cannot buy a fresh budget by inventing X-Forwarded-For
    forged = [track(client, "198.51.100.7", **{"X-Forwarded-For": client_address()}).status_code for _ in range(3)]
    assert forged == [404, 404, 429]
    # behind the trusted proxy each resident has an own budget, keyed by the address the proxy saw
    resident_a, resident_b = client_address(), client_address()
    via_proxy = [track(client, "192.0.2.10", **{"X-Forwarded-For": resident_a}).status_code for _ in range(3)]
    assert via_proxy == [404, 404, 429]
    assert track(client, "192.0.2.200", **{"X-Forwarded-For": f"{resident_a}, {resident_b}"}).status_code == 404
    # only the hop the proxy appended counts: a value the client put in front of it is not believed
    assert track(client, "192.0.2.10", **{"X-Forwarded-For": f"{resident_b}, {resident_a}"}).status_code == 429


def test_open311_submissions_are_limited_with_a_problem(svc, worker):
    client = worker(ratelimits={"OPEN311": "2/minute"})
    remote = client_address()
    answers = [client.post("/open311/v2/requests.json", data={"service_code": "request"},
                           environ_base={"REMOTE_ADDR": remote}, headers=svc.headers()) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] != [429, 429] and answers[2].status_code == 429
    assert answers[2].mimetype == "application/problem+json" and answers[0].headers["RateLimit-Limit"] == "2"
    assert client.get("/open311/v2/services.json", environ_base={"REMOTE_ADDR": remote}).status_code == 200


def test_a_limit_setting_that_is_not_a_limit_stops_the_start(svc, worker):
    with pytest.raises(ValueError):
        worker(ratelimits={"TRACK": "lots"})
