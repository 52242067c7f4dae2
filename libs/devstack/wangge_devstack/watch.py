"""The supervision policy, as a supervisord event listener: restart a program that died, with backoff and a log
line; give up on one that keeps dying and say so; expose restarts and states as Prometheus metrics.

supervisord starts, reaps and stops the programs (in priority order); its own `autorestart` restarts at once and
forever, so the programs run with `autorestart=false` and this listener decides: the n-th death of a program within
`--window-s` is restarted after min(2^(n-1), --backoff-max-s) seconds, and the death after `--max-restarts` is not
restarted (reported in the log and as `wangge_process_given_up`). A program that dies before `startsecs` is
retried by supervisord itself (1, 2, 3 s apart) and then set FATAL, which is reported the same way.

    python -m wangge_devstack.watch --metrics-port 8109 --log-dir var/logs
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import threading
import time
import xmlrpc.client

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from supervisor import childutils

REGISTRY = CollectorRegistry()
RESTARTS = Counter("wangge_process_restarts_total", "Restarts of a supervised process after it died",
                   ["process"], registry=REGISTRY)
UP = Gauge("wangge_process_up", "1 while the supervised process is running", ["process"], registry=REGISTRY)
GIVEN_UP = Gauge("wangge_process_given_up", "1 when the process kept dying and is no longer restarted",
                 ["process"], registry=REGISTRY)


class Policy:
    """What to do when a program dies; kept apart from the event plumbing so it is plain to read and test."""

    def __init__(self, max_restarts: int, window_s: float, backoff_max_s: float, clock=time.monotonic):
        self.max_restarts, self.window_s, self.backoff_max_s, self.clock = max_restarts, window_s, backoff_max_s, clock
        self.deaths: dict[str, collections.deque] = collections.defaultdict(collections.deque)

    def died(self, name: str) -> float | None:
        """Record a death; the delay before restarting it, or None to give up."""
        now, deaths = self.clock(), self.deaths[name]
        deaths.append(now)
        while deaths and deaths[0] < now - self.window_s:
            deaths.popleft()
        if len(deaths) > self.max_restarts:
            return None
        return float(min(self.backoff_max_s, 2 ** (len(deaths) - 1)))


class Watch:
    def __init__(self, policy: Policy, log_dir: str, env=os.environ, out=sys.stderr):
        self.policy, self.log_dir, self.env, self.out = policy, log_dir, env, out
        self.lock = threading.Lock()
        self.restarts: collections.Counter = collections.Counter()

    def call(self, method: str, *args):
        # One connection per call: timers call from their own threads and a ServerProxy is not thread-safe.
        with xmlrpc.client.ServerProxy("http://127.0.0.1", childutils.getRPCTransport(self.env)) as proxy:
            return getattr(proxy.supervisor, method)(*args)

    def say(self, message: str) -> None:
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} wangge supervision: {message}\n"
        with self.lock:
            self.out.write(line)
            self.out.flush()
            with open(os.path.join(self.log_dir, "supervision.log"), "a", encoding="utf-8") as log:
                log.write(line)

    def handle(self, event: str, fields: dict) -> None:
        name, group = fields.get("processname"), fields.get("groupname")
        if event == "PROCESS_STATE_RUNNING":
            UP.labels(name).set(1)
            GIVEN_UP.labels(name).set(0)
        elif event == "PROCESS_STATE_STARTING":
            if fields.get("from_state") in ("EXITED", "BACKOFF"):
                RESTARTS.labels(name).inc()
                self.restarts[name] += 1
                self.say(f"{name} restarting (restart #{self.restarts[name]} since the stack started)")
        elif event == "PROCESS_STATE_EXITED":
            UP.labels(name).set(0)
            self.exited(f"{group}:{name}", name)
        elif event == "PROCESS_STATE_FATAL":
            UP.labels(name).set(0)
            GIVEN_UP.labels(name).set(1)
            self.say(f"{name} keeps failing as it starts; NOT restarting it any more. "
                     f"See {self.log_path(name)}; start it again with supervisorctl start {group}:{name}")
        elif event in ("PROCESS_STATE_STOPPED", "PROCESS_STATE_BACKOFF"):
            UP.labels(name).set(0)

    def log_path(self, name: str) -> str:
        return os.path.join(self.log_dir, f"{name}.log")

    def exited(self, namespec: str, name: str) -> None:
        try:
            info = self.call("getProcessInfo", namespec)
            how = "killed by a signal" if info["exitstatus"] == -1 else f"exit status {info['exitstatus']}"
        except (OSError, xmlrpc.client.Error):
            how = "unknown status"
        delay = self.policy.died(name)
        if delay is None:
            GIVEN_UP.labels(name).set(1)
            self.say(f"{name} died ({how}) {self.policy.max_restarts + 1} times within "
                     f"{self.policy.window_s:.0f} s; NOT restarting it any more. See {self.log_path(name)}; "
                     f"start it again with supervisorctl start {namespec}")
            return
        self.say(f"{name} died ({how}); restarting it in {delay:.0f} s. See {self.log_path(name)}")
        timer = threading.Timer(delay, self.restart, args=(namespec,))
        timer.daemon = True
        timer.start()

    def restart(self, namespec: str) -> None:
        try:
            self.call("startProcess", namespec, False)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" not in fault.faultString and "SHUTDOWN_STATE" not in fault.faultString:
                self.say(f"could not restart {namespec}: {fault.faultString}")
        except OSError as exc:
            self.say(f"could not restart {namespec}: {exc}")

    def recover(self, since: float) -> None:
        """After this listener itself restarted: programs that died before it started (`since`, epoch seconds) are
        restarted too; a death after that comes as an event of its own, so it is not counted twice."""
        for info in self.call("getAllProcessInfo"):
            if info["statename"] == "EXITED" and info["stop"] < since:
                self.exited(f"{info['group']}:{info['name']}", info["name"])
            UP.labels(info["name"]).set(1 if info["statename"] == "RUNNING" else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wangge_devstack.watch")
    parser.add_argument("--metrics-port", type=int, default=0)
    parser.add_argument("--metrics-host", default="127.0.0.1")
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--max-restarts", type=int, default=5)
    parser.add_argument("--window-s", type=float, default=600)
    parser.add_argument("--backoff-max-s", type=float, default=30)
    args = parser.parse_args(argv)
    started_at = time.time()
    watch = Watch(Policy(args.max_restarts, args.window_s, args.backoff_max_s), args.log_dir)
    if args.metrics_port:
        try:
            start_http_server(args.metrics_port, addr=args.metrics_host, registry=REGISTRY)
        except OSError as exc:  # supervision goes on without its metrics rather than failing in a loop
            watch.say(f"cannot serve metrics on {args.metrics_host}:{args.metrics_port}: {exc}")
    recovered = False
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if not recovered:  # first event: supervisord answers RPC by now
            recovered = True
            try:
                watch.recover(since=started_at)
            except (OSError, xmlrpc.client.Error) as exc:
                watch.say(f"could not read the process table: {exc}")
        try:
            watch.handle(headers["eventname"], childutils.get_headers(payload))
        except Exception as exc:  # noqa: BLE001 - the listener must answer every event or supervisord stalls it
            watch.say(f"failed to handle {headers.get('eventname')}: {exc!r}")
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
