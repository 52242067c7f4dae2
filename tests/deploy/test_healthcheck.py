"""deploy/healthcheck.py: a web process answers; a consumer with lag that stops processing turns unhealthy."""
from __future__ import annotations

import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deploytools import ROOT

spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
healthcheck = importlib.util.module_from_spec(spec)
spec.loader.exec_module(healthcheck)


class Metrics:
    """A stand-in consumer's /metrics whose figures the test moves."""

    def __init__(self):
        self.seen, self.lag, self.status = 100.0, 0.0, 200
        metrics = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = ("# TYPE consumer_events_total counter\n"
                        f'consumer_events_total{{service="routing",topic="cases.v1",outcome="processed"}} {metrics.seen}\n'
                        "# TYPE consumer_lag gauge\n"
                        f'consumer_lag{{service="routing",topic="cases.v1",partition="0"}} {metrics.lag}\n'
                        f'consumer_lag{{service="routing",topic="cases.v1",partition="1"}} 0\n').encode()
                self.send_response(metrics.status)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def metrics():
    m = Metrics()
    yield m
    m.close()


def check(metrics, tmp_path, stall_after="60"):
    return healthcheck.main(["consumer", "--port", str(metrics.port), "--stall-after", stall_after,
                             "--state", str(tmp_path / "state.json")])


def test_a_consumer_that_keeps_processing_or_has_nothing_to_do_is_healthy(metrics, tmp_path):
    assert check(metrics, tmp_path, "0") == 0  # first look
    metrics.lag = 40
    metrics.seen += 10
    assert check(metrics, tmp_path, "0") == 0  # lag, but it moved
    metrics.lag = 0
    assert check(metrics, tmp_path, "0") == 0  # idle


def test_a_consumer_with_lag_that_processes_nothing_turns_unhealthy_after_the_grace(metrics, tmp_path, capsys):
    metrics.lag = 7
    assert check(metrics, tmp_path, "0.5") == 0  # records the count
    assert check(metrics, tmp_path, "30") == 0  # no progress, but within the grace
    import time

    time.sleep(0.7)
    assert check(metrics, tmp_path, "0.5") == 1
    assert "consumer stalled: lag 7 records" in capsys.readouterr().out
    metrics.seen += 1  # it moved again: healthy at once
    assert check(metrics, tmp_path, "0.5") == 0


def test_a_process_whose_metrics_do_not_answer_is_unhealthy(metrics, tmp_path, capsys):
    metrics.status = 500
    assert check(metrics, tmp_path) == 1
    metrics.close()
    assert healthcheck.main(["metrics", "--port", str(metrics.port)]) == 1
    assert "does not answer" in capsys.readouterr().out


def test_the_http_check_follows_the_answer(metrics):
    assert healthcheck.main(["http", f"http://127.0.0.1:{metrics.port}/healthz"]) == 0
    metrics.status = 503
    assert healthcheck.main(["http", f"http://127.0.0.1:{metrics.port}/healthz"]) == 1
