"""Intake benchmark: accepted cases/s and POST latency of intake against the floor, in one run.

    make bench                       # = .venv/bin/python bench/intake_bench.py
    .venv/bin/python bench/intake_bench.py --duration 20 --concurrency 32 --workers 2 --threads 4

Phases (each server alone on the machine while it is measured):
  1. floor   - bench/floor_app.py (bare Flask, one INSERT per request), closed loop
  2. intake  - the real service (intake.wsgi:app), closed loop: its maximum throughput
  3. intake  - open loop, paced at 50% of the throughput of phase 2; latency from the scheduled send time
  4. durability - rows in intake's cases and case.registered outbox events against the number of 201 answers

Each request carries distinct content (--same-content sends one body: every case is then linked to the last as
a possible duplicate, which adds a case.related_linked event each).

See bench/README.md for how to read the output.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")

CASE = {
    "channel": "hotline", "category": "request", "topic": "road",
    "content": "村口路灯坏了三天，晚上出行不便。（__N__）",  # __N__: a per-request hash, so cases differ
    "reporter": {"name": "王秀英", "phone": "13812345678"},
    "received_by": {"kind": "call_taker", "id": "ct-1"},
}


# --- load generator (runs in child processes) ------------------------------------------------------
BALANCE_ATTEMPTS = 25  # connection attempts per client thread to land on a gunicorn worker with room
IDLE_RECONNECT_S = 1.5  # below gunicorn's 2 s keep-alive: reconnect rather than send on a connection it may close


def _client_process(spec: dict, first_thread: int, n_threads: int, sync: dict) -> None:
    """Runs n_threads client threads, each with one keep-alive connection, and reports what it saw."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates us
    results, threads = [], []
    for i in range(n_threads):
        out = {"lat": [], "status": {}, "errors": {}, "ok_total": 0, "sent_total": 0, "idem_ok": 0, "samples": []}
        results.append(out)
        rng = random.Random(spec["seed"] * 1000 + first_thread + i)
        t = threading.Thread(target=_client_thread, args=(spec, first_thread + i, rng, sync, out), daemon=True)
        threads.append(t)
        t.start()
    sync["ready"].put(n_threads)
    for t in threads:
        t.join()
    sync["results"].put(_merge(results))


def _merge(parts: list[dict]) -> dict:
    merged = {"lat": [], "status": {}, "errors": {}, "ok_total": 0, "sent_total": 0, "idem_ok": 0, "samples": []}
    for part in parts:
        for key in ("lat", "samples"):
            merged[key] += part[key]
        for key in ("ok_total", "sent_total", "idem_ok"):
            merged[key] += part[key]
        for key in ("status", "errors"):
            for k, v in part[key].items():
                merged[key][k] = merged[key].get(k, 0) + v
    return merged


def _connection_owner(port: int, client_port: int, worker_pids: list[int]) -> int | None:
    """Index of the gunicorn worker holding the server side of our connection, once it has accepted it."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (int(fields[1].rsplit(":", 1)[1], 16) == port and int(fields[2].rsplit(":", 1)[1], 16) == client_port
                and fields[9] != "0"):
            inode = f"socket:[{fields[9]}]"
            break
    if inode is None:
        return None
    for index, pid in enumerate(worker_pids):
        with contextlib.suppress(OSError):
            for fd in os.scandir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(fd.path) == inode:
                        return index
    return None


def _connect(spec: dict, rng: random.Random, per_worker) -> http.client.HTTPConnection:
    """A keep-alive connection; with worker pids known, one on a worker that has fewer than its share.

    Idle gunicorn workers do not share connections: the first to wake accepts them all. Connections opened
    one by one while the load runs, and reopened when they land on a worker that already has its share, spread
    evenly, so that floor and intake are measured with the same use of their workers."""
    workers, share = spec["worker_pids"], spec["worker_share"]
    for attempt in range(BALANCE_ATTEMPTS if workers else 1):
        conn = http.client.HTTPConnection(spec["host"], spec["port"], timeout=spec["timeout"])
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not workers:
            return conn
        owner, deadline = None, time.monotonic() + 1.0
        while owner is None and time.monotonic() < deadline:
            owner = _connection_owner(spec["port"], conn.sock.getsockname()[1], workers)
            if owner is None:
                time.sleep(0.002)
        if owner is None:
            return conn
        with per_worker.get_lock():
            if per_worker[owner] < share or attempt == BALANCE_ATTEMPTS - 1:
                per_worker[owner] += 1
                return conn
        conn.close()
        time.sleep(rng.uniform(0.005, 0.03))
    raise AssertionError("unreachable")


def _client_thread(spec: dict, index: int, rng: random.Random, sync: dict, out: dict) -> None:
    path, body = spec["path"], spec["body"]
    base_headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    if spec.get("token"):
        base_headers["Authorization"] = f"Bearer {spec['token']}"
    idem_share, idem_prefix = spec["idem_share"], f"{spec['run_id']}-{index}-"
    sync["go"].wait()
    start = sync["start_at"].value
    measure_from = start + spec["warmup"]
    end = measure_from + spec["duration"]
    _sleep_until(start + index * spec["stagger"])  # connections open one by one, under load
    conn = _connect(spec, rng, sync["per_worker"])
    open_loop = spec["mode"] == "open"
    if open_loop:  # request n of the whole schedule is due at start + n / rate; this thread takes every k-th
        interval, stride, n = 1.0 / spec["rate"], spec["total_threads"], index
    lat, status, errors = out["lat"], out["status"], out["errors"]
    samples = out["samples"] if spec.get("samples") else None
    # Distinct content per request unless --same-content: identical reports are linked as related cases
    # (intake's duplicate check), which is a different workload from the daily one.
    vary, seq = b"__N__" in body and not spec.get("same_content"), 0
    monotonic = time.monotonic
    counter, last = 0, monotonic()
    while True:
        if open_loop:
            due = start + n * interval
            n += stride
            if due >= end:
                break
            wait = due - monotonic()
            if wait > 0:
                time.sleep(wait)
            t0 = due  # latency from the intended send time: no coordinated omission
            if monotonic() - last > IDLE_RECONNECT_S:
                conn.close()  # reconnected on the request below
        else:
            t0 = monotonic()
            if t0 >= end:
                break
        headers = base_headers
        idem = idem_share > 0 and rng.random() < idem_share
        if idem:
            counter += 1
            headers = dict(base_headers, **{"Idempotency-Key": f"{idem_prefix}{counter}"})
        payload = body
        if vary:
            seq += 1
            # a hash, not a counter: reports differing by a counter are near-identical, hence linked as related
            payload = body.replace(b"__N__", hashlib.sha1(f"{spec['run_id']}-{index}-{seq}".encode()).hexdigest().encode())
            headers = dict(headers, **{"Content-Length": str(len(payload))})
        out["sent_total"] += 1
        try:
            conn.request("POST", path, payload, headers)
            response = conn.getresponse()
            response.read()
            code = response.status
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            code = None
            name = type(exc).__name__
            conn.close()  # http.client reconnects on the next request
            time.sleep(0.01)  # a server that is down must not turn the client into a busy loop
        t1 = last = monotonic()
        if code == 201:
            out["ok_total"] += 1
            out["idem_ok"] += idem
        in_window = (t0 >= measure_from) if open_loop else (measure_from <= t1 <= end)
        if in_window:
            if code is None:
                errors[name] = errors.get(name, 0) + 1
            else:
                status[code] = status.get(code, 0) + 1
                if code == 201:
                    lat.append(t1 - t0)
            if samples is not None:
                samples.append((round(t0 - start, 4), round(t1 - t0, 5), code))
    conn.close()


def run_load(*, host: str, port: int, path: str, token: str | None, body: bytes, mode: str, concurrency: int,
             procs: int, duration: float, warmup: float, rate: float = 0.0, idem_share: float = 0.0,
             timeout: float = 30.0, server=None, seed: int = 1, samples: bool = False,
             same_content: bool = False) -> dict:
    """One load phase: `concurrency` connections spread over `procs` processes; returns the figures."""
    ctx = mp.get_context("spawn")
    procs = max(1, min(procs, concurrency))
    worker_pids = server.worker_pids() if server else []
    spec = {"host": host, "port": port, "path": path, "token": token, "body": body, "mode": mode,
            "duration": duration, "warmup": warmup, "rate": rate, "idem_share": idem_share, "timeout": timeout,
            "total_threads": concurrency, "run_id": uuid.uuid4().hex[:12], "seed": seed, "samples": samples,
            "same_content": same_content,
            "worker_pids": worker_pids, "worker_share": -(-concurrency // max(1, len(worker_pids))),
            "stagger": min(0.02, 0.5 * warmup / concurrency)}
    sync = {"ready": ctx.Queue(), "results": ctx.Queue(), "go": ctx.Event(), "start_at": ctx.Value("d", 0.0),
            "per_worker": ctx.Array("i", max(1, len(worker_pids)))}
    children, first = [], 0
    for i in range(procs):
        n = concurrency // procs + (1 if i < concurrency % procs else 0)
        children.append(ctx.Process(target=_client_process, args=(spec, first, n, sync), daemon=True,
                                    name=f"loadgen-{i}"))
        first += n
    server_pid = server.popen.pid if server else None
    try:
        for p in children:
            p.start()
        ready, deadline = 0, time.monotonic() + 60
        while ready < concurrency:
            ready += sync["ready"].get(timeout=max(0.1, deadline - time.monotonic()))
        start = time.monotonic() + 0.2
        sync["start_at"].value = start
        sync["go"].set()
        _sleep_until(start + warmup)  # CPU time of everyone over the measured window
        cpu0 = _cpu_sample(server_pid, [p.pid for p in children])
        _sleep_until(start + warmup + duration)
        cpu1 = _cpu_sample(server_pid, [p.pid for p in children])
        merged = _merge([sync["results"].get(timeout=timeout + 30) for _ in children])
        for p in children:
            p.join(timeout=10)
    finally:
        for p in children:
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
    lat = sorted(merged["lat"])
    ok = len(lat)
    figures = {
        "mode": mode, "concurrency": concurrency, "client_processes": procs, "duration_s": duration,
        "warmup_s": warmup, "target_rate": rate if mode == "open" else None,
        "ok_in_window": ok, "throughput": ok / duration,
        "non_201": {str(k): v for k, v in merged["status"].items() if k != 201},
        "errors": merged["errors"],
        "latency_ms": _percentiles(lat),
        "accepted_total": merged["ok_total"], "sent_total": merged["sent_total"],
        "idempotent_accepted_total": merged["idem_ok"],
        "connections_per_worker": list(sync["per_worker"][:]) if worker_pids else None,
        # CPU seconds used during the measured window (cores used = these / duration)
        "cpu_s": {k: round(cpu1[k] - cpu0[k], 2) for k in ("server", "load_generator", "other")},
        # per gunicorn worker: a lopsided split means the connections landed unevenly on the workers
        "worker_cpu_s": sorted((round(cpu1["workers"][pid] - cpu0["workers"].get(pid, 0.0), 2)
                                for pid in cpu1["workers"]), reverse=True),
        "server_cpu_ms_per_request": round(1000 * (cpu1["server"] - cpu0["server"]) / ok, 3) if ok else None,
    }
    if samples:  # every request as (scheduled/sent at, s after start; latency, s; status or None)
        figures["samples"] = sorted(merged["samples"])
    return figures


def _sleep_until(t: float) -> None:
    while (left := t - time.monotonic()) > 0:
        time.sleep(min(left, 0.5))


def _percentiles(sorted_values: list[float]) -> dict:
    if not sorted_values:
        return {"p50": None, "p90": None, "p99": None, "p999": None, "max": None, "mean": None}

    def pct(p):  # nearest rank
        return sorted_values[min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))]

    return {"p50": round(pct(50) * 1000, 2), "p90": round(pct(90) * 1000, 2), "p99": round(pct(99) * 1000, 2),
            "p999": round(pct(99.9) * 1000, 2), "max": round(sorted_values[-1] * 1000, 2),
            "mean": round(sum(sorted_values) / len(sorted_values) * 1000, 2)}


def _cpu_sample(server_pid: int | None, client_pids: list[int]) -> dict:
    """CPU seconds so far: the server (master and workers), the load generator, and everything else."""
    per_process = _cpu_per_process(server_pid) if server_pid else {}
    server = sum(per_process.values())
    client = sum(sum(_cpu_per_process(pid).values()) for pid in client_pids)
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
    busy = sum(int(fields[i]) for i in (0, 1, 2, 5, 6, 7) if i < len(fields)) / CLK_TCK
    workers = {pid: cpu for pid, cpu in per_process.items() if pid != server_pid}
    return {"server": server, "load_generator": client, "other": busy - server - client, "workers": workers}


def busy_cores(seconds: float = 1.0) -> float:
    """Cores busy on the whole machine over the next `seconds` (before the bench starts anything)."""
    before = _cpu_sample(None, [])["other"]
    time.sleep(seconds)
    return (_cpu_sample(None, [])["other"] - before) / seconds


def _cpu_per_process(root_pid: int) -> dict[int, float]:
    """user+system CPU seconds of a process and each of its descendants (gunicorn master and workers)."""
    found, todo = {}, [root_pid]
    while todo:
        pid = todo.pop()
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


# --- servers -----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn in a process group of its own, so it and its workers stop together."""

    def __init__(self, name: str, app: str, env: dict, log_dir: Path, args, extra=()):
        self.name, self.port, self.env = name, free_port(), env
        config = getattr(args, "gunicorn_config", None)
        self.argv = [sys.executable, "-m", "gunicorn", *(("-c", config) if config else ()), "--no-control-socket",
                     "--bind", f"127.0.0.1:{self.port}", "--workers", str(args.workers), "--worker-class", "gthread",
                     "--threads", str(args.threads), *extra, app]
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        _STARTED.append(self)

    def wait_ready(self, path: str = "/healthz", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    conn.close()
                    # every worker should be up, not only the first one to answer
                    if len(self.worker_pids()) >= self.expected_workers:
                        return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s\n{self.log_tail()}")

    @property
    def expected_workers(self) -> int:
        return int(self.argv[self.argv.index("--workers") + 1])

    def worker_pids(self) -> list[int]:
        try:
            return [int(c) for c in Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children").read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)
        # workers left behind by a master that died first
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def check_alive(self, during: str) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode} during {during}\n{self.log_tail()}")
        if len(self.worker_pids()) < self.expected_workers:
            raise RuntimeError(f"{self.name} lost workers during {during}\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


_STARTED: list[Server] = []


def stop_all() -> None:
    while _STARTED:
        _STARTED.pop().stop()


def post_once(port: int, path: str, body: bytes, token: str | None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def clean_env(extra: dict) -> dict:
    """The environment of a server: none of the caller's WANGGE_*/DATABASE_URL/OTEL_* settings leak in."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith(("WANGGE_", "OTEL_", "PROMETHEUS_")) or k == "DATABASE_URL")}
    env.update(extra)
    return env


# --- intake set-up -----------------------------------------------------------------------------------
def prepare_intake(var_dir: Path) -> tuple[dict, str, str]:
    """Migrate a fresh intake database, register one grid; returns the server env, API key and grid id."""
    from wangge_common.auth import new_key as new_api_key
    from wangge_common.crypto import new_key as new_fernet_key

    raw, entry = new_api_key("bench", ["cases:write", "cases:read"])
    prom_dir = var_dir / "prometheus"
    prom_dir.mkdir()
    env = clean_env({"WANGGE_VAR_DIR": str(var_dir), "WANGGE_PII_KEY": new_fernet_key(),
                     "WANGGE_API_KEYS": json.dumps([entry]), "PROMETHEUS_MULTIPROC_DIR": str(prom_dir),
                     "OTEL_TRACES_EXPORTER": "none"})
    done = subprocess.run([sys.executable, "-m", "wangge_common.cli", "migrate", "intake"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"intake migration failed:\n{done.stdout}\n{done.stderr}")
    grid = str(uuid.uuid4())
    with contextlib.closing(sqlite3.connect(var_dir / "intake.db")) as db, db:
        db.execute("INSERT INTO known_grids (grid_id, code, name, level, parent_id) VALUES (?, ?, ?, 3, NULL)",
                   (grid, "430382-001-001", "韶山村一组"))
    return env, raw, grid


def count_rows(db_path: Path, table: str, where: str = "") -> int:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return db.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0]


# --- reporting ---------------------------------------------------------------------------------------
OTHER_LOAD_WARNING = 0.3  # cores used by processes other than the bench's during a measured window


def _ms(value) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _problems(phase: dict) -> str:
    bad = {**phase["non_201"], **phase["errors"]}
    return "" if not bad else "   NON-201: " + ", ".join(f"{k}×{v}" for k, v in sorted(bad.items()))


def _cores(phase: dict) -> str:
    used = {k: v / phase["duration_s"] for k, v in phase["cpu_s"].items()}
    workers = "+".join(f"{w / phase['duration_s']:.2f}" for w in phase["worker_cpu_s"])
    return (f"server {used['server']:.2f} (workers {workers}), load generator {used['load_generator']:.2f}, "
            f"other {used['other']:.2f}")


def _git_revision() -> str | None:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("-dirty" if dirty else "") if rev else None
    except (OSError, subprocess.SubprocessError):
        return None


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both servers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn gthread threads per worker (default 4)")
    parser.add_argument("--duration", type=float, default=10, help="measured seconds per phase (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each phase (default 2)")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="connections of the load generator, one request at a time each (default 16)")
    parser.add_argument("--client-procs", type=int, default=2,
                        help="load generator processes; the connections are spread over them (default 2)")
    parser.add_argument("--idempotency-share", type=float, default=0.25,
                        help="share of intake requests sending a fresh Idempotency-Key (default 0.25)")
    parser.add_argument("--half-load", type=float, default=0.5,
                        help="rate of the open-loop run as a share of intake's max throughput (default 0.5)")
    parser.add_argument("--target-ratio", type=float, default=0.70, help="intake/floor ratio to report against")
    parser.add_argument("--gunicorn-config", metavar="CONFIG",
                        help="also pass -c CONFIG to both servers, e.g. python:wangge_common.gunicorn_conf "
                             "(the command-line settings above still win)")
    parser.add_argument("--intake-app", default="intake.wsgi:app", metavar="MODULE:APP",
                        help="WSGI app to measure as intake, e.g. a patched variant (default intake.wsgi:app)")
    parser.add_argument("--intake-pythonpath", metavar="DIR", help="directory to put on intake's sys.path")
    parser.add_argument("--same-content", action="store_true",
                        help="send the very same case every time: each is linked to the last as a possible duplicate")
    parser.add_argument("--skip-floor", action="store_true", help="measure intake only (no ratio)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, logs)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)

    def _terminate(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even where a shell started us with SIGINT ignored
    tmp = Path(tempfile.mkdtemp(prefix="wangge-bench-"))
    began = time.monotonic()
    results: dict = {
        "benchmark": "intake", "time": datetime.now().astimezone().isoformat(timespec="seconds"),
        "git": _git_revision(), "python": platform.python_version(), "cpus": os.cpu_count(),
        "settings": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread",
                     "gunicorn_config": args.gunicorn_config, "intake_app": args.intake_app,
                     "duration_s": args.duration, "warmup_s": args.warmup, "concurrency": args.concurrency,
                     "client_processes": args.client_procs, "idempotency_share": args.idempotency_share,
                     "half_load": args.half_load},
    }
    load = {"concurrency": args.concurrency, "procs": args.client_procs, "duration": args.duration,
            "warmup": args.warmup, "same_content": args.same_content}
    ok = True
    try:
        print(f"wangge intake bench (git {results['git']}): gunicorn gthread {args.workers} workers × {args.threads} threads"
              f"{' -c ' + args.gunicorn_config if args.gunicorn_config else ''}, {args.concurrency} connections "
              f"over {args.client_procs} client processes, {args.warmup:g}s warm-up + {args.duration:g}s per phase, "
              f"{os.cpu_count()} CPUs shared by servers and load generator", flush=True)
        idle_check = busy_cores()
        results["busy_cores_before"] = round(idle_check, 2)
        if idle_check > OTHER_LOAD_WARNING:
            print(f"  note: other processes keep {idle_check:.1f} cores busy: expect noisy figures", flush=True)

        # 1. the floor, closed loop
        floor = None
        if not args.skip_floor:
            floor_db = tmp / "floor.db"
            import floor_app  # create the database before the workers race to: WAL set-up is not busy-safe

            floor_app.init_db(str(floor_db))
            srv = Server("floor", "floor_app:create_app()", clean_env({"BENCH_FLOOR_DB": str(floor_db)}), tmp,
                         args, extra=("--pythonpath", str(BENCH_DIR)))
            srv.start()
            srv.wait_ready()
            body = json.dumps(dict(CASE, grid_id=str(uuid.uuid4())), ensure_ascii=False).encode()
            status, text = post_once(srv.port, "/cases", body, None)
            if status != 201:
                raise RuntimeError(f"floor answered {status} to a smoke request: {text}\n{srv.log_tail()}")
            print("  floor, closed loop ............ ", end="", flush=True)
            floor = run_load(host="127.0.0.1", port=srv.port, path="/cases", token=None, body=body, mode="closed",
                             server=srv, **load)
            print(f"{floor['throughput']:.0f} req/s", flush=True)
            srv.check_alive("the floor run")
            srv.stop()
            floor["accepted_total"] += 1  # the smoke request
            floor["rows"] = count_rows(floor_db, "floor_cases")
            results["floor"] = floor

        # 2. intake, closed loop: its maximum throughput
        var_dir = tmp / "intake"
        var_dir.mkdir()
        env, token, grid = prepare_intake(var_dir)
        extra = ("--pythonpath", args.intake_pythonpath) if args.intake_pythonpath else ()
        srv = Server("intake", args.intake_app, env, tmp, args, extra=extra)
        srv.start()
        srv.wait_ready()
        body = json.dumps(dict(CASE, grid_id=grid), ensure_ascii=False).encode()
        status, text = post_once(srv.port, "/v1/cases", body, token)
        if status != 201:
            raise RuntimeError(f"intake answered {status} to a smoke request: {text}\n{srv.log_tail()}")
        accepted = 1
        print("  intake, closed loop ........... ", end="", flush=True)
        intake = run_load(host="127.0.0.1", port=srv.port, path="/v1/cases", token=token, body=body, mode="closed",
                          idem_share=args.idempotency_share, server=srv, seed=2, **load)
        accepted += intake["accepted_total"]
        print(f"{intake['throughput']:.0f} cases/s", flush=True)
        srv.check_alive("the intake run")
        results["intake"] = intake

        # 3. intake, open loop at half its maximum throughput
        rate = max(1.0, intake["throughput"] * args.half_load)
        print(f"  intake, open loop at {rate:4.0f}/s .. ", end="", flush=True)
        half = run_load(host="127.0.0.1", port=srv.port, path="/v1/cases", token=token, body=body, mode="open",
                        rate=rate, idem_share=args.idempotency_share, server=srv, seed=3,
                        **dict(load, warmup=min(args.warmup, 1.0)))
        accepted += half["accepted_total"]
        print(f"p99 {_ms(half['latency_ms']['p99'])} ms", flush=True)
        srv.check_alive("the open-loop run")
        results["intake_half_load"] = half
        srv.stop()

        # 4. durability: every 201 is a case row and an outbox event
        db_path = var_dir / "intake.db"
        cases = count_rows(db_path, "cases")
        outbox = count_rows(db_path, "outbox", "WHERE event_type = 'case.registered'")
        idem = count_rows(db_path, "idempotency_keys")
        idem_sent = intake["idempotent_accepted_total"] + half["idempotent_accepted_total"]
        durable_ok = cases == outbox == accepted and idem == idem_sent
        results["durability"] = {"accepted": accepted, "cases": cases, "outbox": outbox,
                                 "idempotency_keys": idem, "idempotent_accepted": idem_sent, "ok": durable_ok}
        ok &= durable_ok

        # report
        rule = "=" * 78
        print("\n" + rule)
        if floor:
            lat = floor["latency_ms"]
            print(f"floor:   {floor['throughput']:6.0f} req/s    p50 {_ms(lat['p50']):>5} ms  p99 {_ms(lat['p99']):>6} ms"
                  f"{_problems(floor)}")
        lat = intake["latency_ms"]
        line = f"intake:  {intake['throughput']:6.0f} cases/s  p50 {_ms(lat['p50']):>5} ms  p99 {_ms(lat['p99']):>6} ms"
        if floor and floor["throughput"]:
            ratio = intake["throughput"] / floor["throughput"]
            meets = ratio >= args.target_ratio
            results.update(ratio=round(ratio, 3), target_ratio=args.target_ratio, meets_target=meets)
            line += (f"   (ratio {intake['throughput']:.0f}/{floor['throughput']:.0f} = {ratio:.2f}, "
                     f"target ≥ {args.target_ratio:.2f}: {'met' if meets else 'NOT MET'})")
        print(line + _problems(intake))
        lat = half["latency_ms"]
        print(f"intake at {args.half_load:.0%} load ({rate:.0f}/s, achieved {half['throughput']:.0f}/s): "
              f"p50 {_ms(lat['p50'])} ms  p99 {_ms(lat['p99'])} ms{_problems(half)}")
        print(rule)
        phases = [("floor", floor), ("intake", intake), ("50% load", half)]
        for name, phase in phases:
            if phase:
                print(f"cores used, {name + ':':9} {_cores(phase)};  server CPU "
                      f"{phase['server_cpu_ms_per_request']:.2f} ms/request")
        mark = "ok" if durable_ok else "MISMATCH"
        print(f"durable: {cases} cases, {outbox} outbox events, {accepted} accepted ({mark}); "
              f"{idem} idempotency keys for {idem_sent} keyed requests")
        if not durable_ok:
            print("!" * 78 + "\nDURABILITY MISMATCH: rows in cases/outbox differ from the 201 answers given\n"
                  + "!" * 78)
        bad = [name for name, phase in phases if phase and (phase["non_201"] or phase["errors"])]
        if bad:
            print(f"WARNING: non-201 answers or errors in: {', '.join(bad)} (see NON-201 above)")
            ok = False
        busy = [name for name, phase in phases
                if phase and phase["cpu_s"]["other"] / phase["duration_s"] > OTHER_LOAD_WARNING]
        if busy:
            print(f"WARNING: other processes used the CPUs during: {', '.join(busy)}; "
                  "the figures are unreliable (run on a quiet machine)")
        results["other_load_during"] = busy
        uneven = [name for name, phase in phases
                  if phase and phase["connections_per_worker"] and max(phase["connections_per_worker"])
                  > -(-phase["concurrency"] // len(phase["connections_per_worker"]))]
        if uneven:
            print(f"WARNING: the connections did not spread evenly over the gunicorn workers during: "
                  f"{', '.join(uneven)} (see connections_per_worker in the JSON)")

        results["runtime_s"] = round(time.monotonic() - began, 1)
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"intake-{datetime.now():%Y%m%d-%H%M%S}.json"
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"results: {out.relative_to(ROOT)}  ({results['runtime_s']:.0f}s)")
    except KeyboardInterrupt:
        print("\ninterrupted; stopping servers", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - report, clean up, fail
        print(f"\nbench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
