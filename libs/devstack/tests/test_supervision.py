"""The supervision `make run` and tests/integration share, on small stand-in programs: a process that dies is
restarted with backoff and a log line while the others go on; one that keeps dying is given up and reported; a
stop goes group by group in order. (tests/integration kills the real services under the same supervision.)"""
from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests
from wangge_common.testing import free_port
from wangge_devstack.supervision import STOP_ORDER, Program, SupervisionPolicy, Supervisor
from wangge_devstack.watch import Policy

STAND_IN = textwrap.dedent("""
    import os, signal, sys, time
    name, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
    def note(what):
        with open(out, "a") as f:
            f.write(f"{time.time():.3f} {name} {what} {os.getpid()}\\n")
    def on_term(*_):
        time.sleep(0.3)  # a little work to finish, as a relay draining or a consumer committing has
        note("stopped")
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)
    note("started")
    if mode == "fail-at-start":
        sys.exit(3)
    if mode == "die-later":
        time.sleep(1.5)
        note("dying")
        sys.exit(4)
    while True:
        time.sleep(0.1)
""")


def eventually(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout:.0f}s")


@pytest.fixture
def supervise(tmp_path):
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    notes = tmp_path / "notes.txt"
    started: list[Supervisor] = []

    def make(programs: dict[str, tuple[str, str]], policy: SupervisionPolicy) -> Supervisor:
        supervisor = Supervisor(tmp_path / "supervisor", tmp_path / "logs", [
            Program(name, group, [sys.executable, str(script), name, mode, str(notes)], dict(os.environ),
                    tmp_path / "logs" / f"{name}.log", stop_wait_s=10)
            for name, (group, mode) in programs.items()], metrics_port=free_port(), policy=policy)
        supervisor.start()
        started.append(supervisor)
        return supervisor

    make.notes = notes
    make.log = tmp_path / "logs" / "supervision.log"
    yield make
    for supervisor in started:
        supervisor.shutdown(60)


def notes(path: Path) -> list[tuple[float, str, str, int]]:
    if not path.exists():
        return []
    return [(float(t), name, what, int(pid)) for t, name, what, pid in
            (line.split() for line in path.read_text().splitlines())]


def metric(supervisor: Supervisor, name: str, process: str) -> float | None:
    try:
        text = requests.get(f"http://127.0.0.1:{supervisor.metrics_port}/metrics", timeout=5).text
    except requests.ConnectionError:
        return None  # the listener is still starting
    for line in text.splitlines():
        if line.startswith(f'{name}{{process="{process}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_the_backoff_doubles_and_a_program_dying_too_often_is_given_up():
    clock = {"now": 0.0}
    policy = Policy(max_restarts=3, window_s=60, backoff_max_s=3, clock=lambda: clock["now"])
    assert [policy.died("a") for _ in range(3)] == [1, 2, 3]  # 1, 2, then capped at 3 s
    assert policy.died("a") is None  # the fourth death within the window: not restarted
    clock["now"] = 1000
    assert policy.died("a") == 1 and policy.died("b") == 1  # old deaths forgotten; each program on its own


def test_a_killed_process_is_restarted_with_a_log_line_and_the_others_keep_running(supervise):
    supervisor = supervise({"consumer": ("consumers", "run"), "web": ("web", "run")}, SupervisionPolicy(start_s=1))
    supervisor.start_group("consumers")
    supervisor.start_group("web")
    eventually(lambda: supervisor.info("consumer")["statename"] == "RUNNING", 30, "the consumer runs")
    web_pid, victim = supervisor.info("web")["pid"], supervisor.info("consumer")["pid"]
    os.killpg(victim, signal.SIGKILL)
    eventually(lambda: supervisor.info("consumer")["pid"] not in (0, victim), 30, "a new consumer process")
    assert supervisor.info("web")["pid"] == web_pid  # nobody else was touched
    eventually(lambda: metric(supervisor, "wangge_process_restarts_total", "consumer") == 1, 10, "the restart metric")
    text = supervise.log.read_text()
    assert "consumer died (killed by a signal); restarting it in 1 s" in text
    assert "consumer restarting (restart #1" in text
    eventually(lambda: metric(supervisor, "wangge_process_up", "consumer") == 1, 10, "up again in the metrics")


def test_a_program_that_keeps_dying_is_restarted_with_growing_delays_then_given_up(supervise):
    policy = SupervisionPolicy(start_s=1, max_restarts=2, window_s=120, backoff_max_s=30)
    supervisor = supervise({"relay": ("relays", "die-later")}, policy)
    supervisor.start_group("relays")
    eventually(lambda: metric(supervisor, "wangge_process_given_up", "relay") == 1, 60, "the relay is given up")
    starts = [t for t, name, what, _ in notes(supervise.notes) if what == "started"]
    deaths = [t for t, name, what, _ in notes(supervise.notes) if what == "dying"]
    assert len(starts) == 3  # the first run and two restarts, no more
    # the first restart waits 1 s after the death, the second 2 s (never sooner; later on a loaded machine)
    assert starts[1] - deaths[0] >= 0.9 and starts[2] - deaths[1] >= 1.9, (starts, deaths)
    text = supervise.log.read_text()
    assert text.index("restarting it in 1 s") < text.index("restarting it in 2 s")
    time.sleep(3)
    assert len([n for n in notes(supervise.notes) if n[2] == "started"]) == 3  # really not restarted
    assert supervisor.info("relay")["statename"] == "EXITED"
    assert "relay died (exit status 4) 3 times within 120 s; NOT restarting it any more" in supervise.log.read_text()
    assert metric(supervisor, "wangge_process_restarts_total", "relay") == 2


def test_a_program_that_fails_as_it_starts_is_reported_not_retried_forever(supervise):
    supervisor = supervise({"scheduler": ("schedulers", "fail-at-start")},
                           SupervisionPolicy(start_s=5, start_retries=2))  # 5 s: a slow start still fails in it
    supervisor.start_group("schedulers")
    eventually(lambda: supervisor.info("scheduler")["statename"] == "FATAL", 60, "supervisord gives up")
    eventually(lambda: metric(supervisor, "wangge_process_given_up", "scheduler") == 1, 10, "the given-up metric")
    text = supervise.log.read_text()
    assert "scheduler keeps failing as it starts; NOT restarting it any more" in text
    assert "died" not in text  # supervisord's own retries, not the listener's: nothing counted twice
    assert len([n for n in notes(supervise.notes) if n[2] == "started"]) == 3  # the start and two retries


def test_a_stop_goes_group_by_group_http_first_the_broker_last(supervise):
    programs = {f"{group}-{i}": (group, "run") for group in STOP_ORDER for i in (1, 2)}
    supervisor = supervise(programs, SupervisionPolicy(start_s=1))
    for group in reversed(STOP_ORDER):
        supervisor.start_group(group)
    eventually(lambda: {n[1] for n in notes(supervise.notes) if n[2] == "started"} == set(programs), 60, "all run")
    supervisor.shutdown(60)
    stopped = {name: t for t, name, what, _ in notes(supervise.notes) if what == "stopped"}
    assert set(stopped) == set(programs)  # every one stopped cleanly on SIGTERM, none needed a SIGKILL
    for earlier, later in zip(STOP_ORDER, STOP_ORDER[1:]):
        assert max(stopped[f"{earlier}-{i}"] for i in (1, 2)) < min(stopped[f"{later}-{i}"] for i in (1, 2)), \
            f"{earlier} must be down before {later} is asked to stop"
    assert STOP_ORDER == ("web", "relays", "consumers", "schedulers", "broker")


def test_a_restarted_listener_restarts_only_what_died_while_it_was_away(tmp_path):
    from wangge_devstack.watch import Watch

    scheduled = []

    class Probe(Watch):
        def call(self, method, *args):
            assert method == "getAllProcessInfo"
            return [{"name": "old", "group": "relays", "statename": "EXITED", "stop": 100.0},
                    {"name": "new", "group": "consumers", "statename": "EXITED", "stop": 200.0},  # its event follows
                    {"name": "fine", "group": "web", "statename": "RUNNING", "stop": 0}]

        def exited(self, namespec, name):
            scheduled.append(namespec)

    Probe(Policy(5, 600, 30), str(tmp_path)).recover(since=150.0)
    assert scheduled == ["relays:old"]
