"""`make run` shows a living county (issue 19.14): `wangge run` loads the demo county, takes demo cases through every
step of the loop over the services' HTTP APIs, and prints real page addresses (a real grid, a tracking code, a rating
link, an annual report) that answer, never `<grid id>` placeholders. A second start seeds nothing twice."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests
from stackhelpers import eventually
from wangge_common.settings import SERVICES
from wangge_common.testing import free_port

ADDRESS = re.compile(r"^\s+(\S.*?)\s+(http://127\.0\.0\.1:\d+/\S+)$")


def start(env, out_path):
    with open(out_path, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "wangge_common.cli", "run"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_running(popen, out_path) -> str:
    def ready():
        text = out_path.read_text(errors="replace")
        assert popen.poll() is None, f"wangge run exited early:\n{text[-3000:]}"
        return text if "Ctrl-C stops everything." in text else None
    return eventually(ready, 600, "wangge run prints its addresses")


def stop(popen):
    popen.send_signal(signal.SIGTERM)
    try:
        popen.wait(300)
    except subprocess.TimeoutExpired:
        popen.kill()
        raise


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    base = tmp_path_factory.mktemp("living-county")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANGGE_")}
    env.update({f"WANGGE_{s.upper()}_PORT": str(free_port()) for s in (*SERVICES, "portal")})
    env.update({"WANGGE_BROKER_PORT": str(free_port()), "WANGGE_VAR_DIR": str(base / "var"),
                "WANGGE_SUPERVISION_METRICS_PORT": str(free_port()), "WANGGE_NOTIFY_QUIET_HOURS": "off"})
    return {"env": env, "base": base}


def test_make_run_prints_real_pages_of_a_county_with_cases_at_every_step(county):
    env, base = county["env"], county["base"]
    popen = start(env, base / "run-1.out")
    try:
        started = time.monotonic()
        text = wait_running(popen, base / "run-1.out")
        print(f"wangge run with the demo county and cases: {time.monotonic() - started:.1f} s to its addresses")
        assert "<grid id>" not in text and "<tracking code>" not in text
        assert re.search(r"12 demo cases registered and taken through the loop", text), text[-3000:]
        pages = dict(m.groups() for line in text.splitlines() if (m := ADDRESS.match(line)))
        for name in ("grid notice 网格公示", "reception board 接待公示", "case tracking 办理进度", "rating 群众评价",
                     "annual report 述职评议"):
            assert name in pages, f"{name} not printed:\n{text[-2000:]}"
            answer = requests.get(pages[name], timeout=60)
            assert answer.status_code == 200 and "text/html" in answer.headers["Content-Type"], (name, pages[name])
        assert "已答复" in requests.get(pages["case tracking 办理进度"], timeout=60).text
        key = re.search(r"demo API key \(every scope\): (\S+)", text)[1]
        routing = f"http://127.0.0.1:{env['WANGGE_ROUTING_PORT']}"
        cases = requests.get(f"{routing}/v1/cases?page_size=100", headers={"Authorization": f"Bearer {key}"},
                             timeout=60).json()["items"]
        states = {c["state"] for c in cases}
        assert {"triaged", "assigned", "signed", "in_progress", "answered", "resolved", "closed", "reopened",
                "withdrawn"} <= states, states
        dashboard = requests.get(f"http://127.0.0.1:{env['WANGGE_REPORTING_PORT']}/dashboard", timeout=60).text
        assert "办结" in dashboard
    finally:
        stop(popen)
    again = start(env, base / "run-2.out")
    try:
        text = wait_running(again, base / "run-2.out")
        assert "demo cases already there" in text and "case tracking 办理进度" in text
    finally:
        stop(again)
