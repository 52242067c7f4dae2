"""The bundled broker as one supervised program: Tansu on a private port, the suite's topics created, and only then
the public port opened (a TcpGate), so no client ever meets a broker without its topics.

Tansu keeps everything in memory: when it dies, this program exits, the supervisor starts it again on the same
public port, and the topics are created again before any client connects (producing to a missing topic would
auto-create it with the wrong partition count). SIGUSR1 cuts the public port (clients see a dead broker while Tansu
keeps its data), SIGUSR2 opens it again: tests use them for broker outages.

    python -m wangge_devstack.broker --port 9092 -- <tansu broker argv, with {listener_url} where it listens>
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import subprocess
import sys
import threading
import time

from wangge_common.contracts import all_topic_specs
from wangge_common.testing import free_port

from .gate import TcpGate
from .launch import die_with_parent

log = logging.getLogger("wangge.broker")


def wait_listening(port: int, process: subprocess.Popen, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tansu exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"tansu does not listen on {port} after {timeout:.0f} s")


def create_topics(tansu: str, broker_url: str, specs: dict[str, int], timeout: float = 30) -> None:
    """Create every topic with its partition count through Tansu's own client, which talks to the private port
    directly (a Kafka admin client would follow the advertised, still closed, public address)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = subprocess.run([tansu, "topic", "list", "--broker", broker_url], capture_output=True, text=True, check=False)
        existing = {t["name"]: len(t["partitions"]) for t in json.loads(listed.stdout or "[]")} \
            if listed.returncode == 0 else {}
        missing = {name: n for name, n in specs.items() if name not in existing}
        if listed.returncode == 0 and not missing:
            return
        for name, partitions in sorted(missing.items()):
            subprocess.run([tansu, "topic", "create", "--broker", broker_url, "--partitions", str(partitions), name],
                           capture_output=True, text=True, check=False)
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics not created after {timeout:.0f} s: {sorted(missing)}; {listed.stderr[-500:]}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wangge_devstack.broker")
    parser.add_argument("--port", type=int, required=True, help="the public port clients use")
    parser.add_argument("tansu_argv", nargs=argparse.REMAINDER, help="-- then Tansu's argv with {listener_url}")
    args = parser.parse_args(argv)
    tansu_argv = [a for a in args.tansu_argv if a != "--"] if args.tansu_argv[:1] == ["--"] else args.tansu_argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)

    private = free_port()
    private_url = f"tcp://127.0.0.1:{private}"
    tansu = subprocess.Popen([a.replace("{listener_url}", private_url) for a in tansu_argv],
                             stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
    gate = TcpGate(args.port, private)
    stop = threading.Event()
    pending: list[str] = []

    def on_signal(signum, _frame):
        pending.append({signal.SIGUSR1: "cut", signal.SIGUSR2: "open"}.get(signum, "stop"))
        if signum in (signal.SIGTERM, signal.SIGINT):
            stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, on_signal)
    try:
        wait_listening(private, tansu, 30)
        create_topics(tansu_argv[0], private_url, all_topic_specs())
        gate.open()
        log.info("broker ready on 127.0.0.1:%d (tansu on %d, topics created)", args.port, private)
        while not stop.is_set():
            while pending:
                action = pending.pop(0)
                if action == "cut":
                    gate.cut()
                    log.info("public port cut (broker outage)")
                elif action == "open":
                    gate.open()
                    log.info("public port open again")
            if tansu.poll() is not None:
                log.error("tansu exited with %s; the supervisor starts the broker again", tansu.returncode)
                return 1
            stop.wait(0.1)
        return 0
    finally:
        gate.cut()
        if tansu.poll() is None:
            tansu.terminate()
            try:
                tansu.wait(10)
            except subprocess.TimeoutExpired:
                tansu.kill()


if __name__ == "__main__":
    sys.exit(main())
