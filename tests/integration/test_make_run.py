"""`wangge run` itself (what `make run` starts), SIGTERMed under a small load of registrations, then started again:
HTTP stops first, the relays publish what the outboxes hold, then consumers, schedulers and the broker stop, each
group down before the next; nothing accepted before the stop is missing from intake's outbox or unpublished; the
documented WANGGE_* settings reach the services. SQLite files in a temporary folder, ports of its own."""
from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests
from stackhelpers import case_body, eventually
from wangge_common.settings import SERVICES
from wangge_common.testing import free_port
from wangge_devstack.stack import port_open

GROUP_OF = {"web": "web", "relay": "relays", "consumer": "consumers", "scheduler": "schedulers", "broker": "broker"}
STOPPED = re.compile(r"^(\S+ \S+) \w+ stopped: (\S+) \((.*)\)$")


class Run:
    """One `wangge run --no-demo` in the foreground, its output in a file."""

    def __init__(self, env: dict, var_dir: Path, number: int):
        self.env, self.var_dir = env, var_dir
        self.out_path = var_dir.parent / f"run-{number}.out"
        with open(self.out_path, "wb") as out:
            self.popen = subprocess.Popen([sys.executable, "-m", "wangge_common.cli", "run", "--no-demo"], env=env,
                                          stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    @property
    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def wait_running(self) -> None:
        def ready():
            assert self.popen.poll() is None, f"wangge run exited early:\n{self.output[-3000:]}"
            return "Ctrl-C stops everything." in self.output
        eventually(ready, 300, "wangge run prints its addresses")

    def terminate(self) -> int:
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(300)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            raise

    def supervisorctl(self, *args: str) -> str:
        conf = self.var_dir / "supervisor" / "supervisord.conf"
        return subprocess.run([str(Path(sys.executable).parent / "supervisorctl"), "-c", str(conf), *args],
                              capture_output=True, text=True, timeout=30, check=False).stdout


@pytest.fixture(scope="module")
def one_machine(tmp_path_factory):
    base = tmp_path_factory.mktemp("make-run")
    ports = {s: free_port() for s in (*SERVICES, "portal")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANGGE_")}
    env.update({f"WANGGE_{s.upper()}_PORT": str(p) for s, p in ports.items()})
    env.update({"WANGGE_BROKER_PORT": str(free_port()), "WANGGE_VAR_DIR": str(base / "var"),
                "WANGGE_SUPERVISION_METRICS_PORT": str(free_port()), "WANGGE_KAFKA_SESSION_TIMEOUT_MS": "2000",
                # the local SMS gateway and SMTP sink (8025/1025 by default) on free ports too
                "WANGGE_MESSAGES_PORT": str(free_port()), "WANGGE_MESSAGES_SMTP_PORT": str(free_port()),
                "WANGGE_NOTIFY_QUIET_HOURS": "off", "WANGGE_LOG_LEVEL": "INFO"})  # documented settings
    env["WANGGE_PROCESS_METRICS_BASE_PORT"] = str(free_block(3 * len(SERVICES)))
    return {"env": env, "var": base / "var", "ports": ports}


def free_block(size: int) -> int:
    """The first of `size` consecutive ports nothing listens on (relays, consumers and schedulers get one each),
    below the kernel's ephemeral range: a port picked inside it can be taken by any outgoing connection (the tests'
    own HTTP clients) before the process meant to listen on it starts, and that process then cannot bind."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]) \
        if Path("/proc/sys/net/ipv4/ip_local_port_range").exists() else 32768
    for _ in range(200):
        base = random.randrange(20000, max(20001, low - size))
        if not any(port_open(p) for p in range(base, base + size)):
            return base
    raise RuntimeError(f"no {size} consecutive free ports")


def stops(var_dir: Path) -> list[tuple[datetime, str, str]]:
    found = []
    for line in (var_dir / "logs" / "supervisord.log").read_text().splitlines():
        match = STOPPED.match(line)
        if match and match[2] != "watch":
            found.append((datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f"), match[2], match[3]))
    return found


def test_sigterm_under_load_stops_in_order_and_loses_nothing_accepted(one_machine):
    env, var_dir, ports = one_machine["env"], one_machine["var"], one_machine["ports"]
    intake, roster = f"http://127.0.0.1:{ports['intake']}", f"http://127.0.0.1:{ports['roster']}"
    run = Run(env, var_dir, 1)
    try:
        run.wait_running()
        key = json.loads((var_dir / "api-keys.json").read_text())["demo"]
        assert f"demo API key (every scope): {key}" in run.output and intake in run.output
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {key}"

        # issue 17 item 6: a documented setting set for `make run` is in the services' environment
        pid = int(run.supervisorctl("pid", "web:notify-web").strip())
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert b"WANGGE_NOTIFY_QUIET_HOURS=off" in environ
        # issue 17 item 7: notify sends to the stack's local sink, whose page `make run` prints
        messages = f"http://127.0.0.1:{env['WANGGE_MESSAGES_PORT']}"
        assert f"{messages}/sms".encode() in b"".join(e for e in environ if e.startswith(b"WANGGE_NOTIFY_SMS_URL="))
        assert f"本地短信与邮件  {messages}/" in run.output
        assert "本地短信与邮件" in requests.get(messages + "/", timeout=10).text

        # issue 12: relays and consumers are scrapable on one machine, each on its own port (printed at start)
        base = int(env["WANGGE_PROCESS_METRICS_BASE_PORT"])
        relay = f"http://127.0.0.1:{base + 3 * SERVICES.index('intake')}/metrics"
        consumer = f"http://127.0.0.1:{base + 3 * SERVICES.index('routing') + 1}/metrics"
        assert f"intake-relay :{base + 3 * SERVICES.index('intake')}" in run.output
        eventually(lambda: "outbox_" in requests.get(relay, timeout=5).text, 60, "intake's relay serves its metrics")
        eventually(lambda: "consumer_" in requests.get(consumer, timeout=5).text, 60,
                   "routing's consumer serves its metrics")

        grid = api.post(roster + "/v1/grids", json={"code": "RUN-1", "name": "停机测试乡", "level": 1,
                                                   "kind": "rural_village"})
        assert grid.status_code == 201, grid.text
        grid_id = grid.json()["id"]
        eventually(lambda: api.post(intake + "/v1/cases", json=case_body(grid_id)).status_code == 201, 120,
                   "intake learns the grid")

        accepted, stopping = [], threading.Event()

        def load():
            while True:
                try:
                    answer = api.post(intake + "/v1/cases", json=case_body(grid_id, content="停机前受理的事项。"),
                                      timeout=30)
                except requests.RequestException:
                    if stopping.is_set():
                        return  # intake stopped accepting
                    continue
                if answer.status_code == 201:
                    accepted.append(answer.json()["id"])
                time.sleep(0.05)

        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        eventually(lambda: len(accepted) >= 20, 120, "some load")
        stopping.set()
        assert run.terminate() == 0, run.output[-3000:]
        loader.join(60)
    finally:
        if run.popen.poll() is None:
            run.popen.kill()
    assert "wangge: stopping" in run.output

    # the order: every group down before the next was asked to stop, each process stopped cleanly
    stopped = stops(var_dir)
    assert {name for _, name, _ in stopped} >= {f"{s}-web" for s in SERVICES} | {"broker", "intake-relay"}
    assert all(reason == "exit status 0" for _, _, reason in stopped), stopped
    last = {}
    for when, name, _ in stopped:
        group = GROUP_OF[name.rsplit("-", 1)[-1]]
        last.setdefault(group, []).append(when)
    order = ["web", "relays", "consumers", "schedulers", "broker"]
    for earlier, later in zip(order, order[1:]):
        assert max(last[earlier]) <= min(last[later]), f"{earlier} stopped after {later} began to stop: {stopped}"
    # nothing is left listening
    assert not any(port_open(p) for p in ports.values())

    # nothing accepted is missing from intake's outbox, and the relay published all of it before it stopped
    with sqlite3.connect(var_dir / "intake.db") as db:
        rows = dict(db.execute("SELECT message_key, published_at FROM outbox WHERE event_type = 'case.registered'"))
    assert accepted and set(accepted) <= set(rows)
    assert [case for case in accepted if rows[case] is None] == []

    # started again, every accepted case is there
    again = Run(env, var_dir, 2)
    try:
        again.wait_running()
        for case in accepted:
            assert api.get(f"{intake}/v1/cases/{case}").status_code == 200
        assert again.terminate() == 0
    finally:
        if again.popen.poll() is None:
            again.popen.kill()
