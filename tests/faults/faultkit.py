"""The fault-injection suite's tools: a bounded load of registrations, the stack's processes found by what they run,
faults (signals, a frozen broker, a locked SQLite file, dropped PostgreSQL connections), and the check that every
accepted case reached routing, notify and the audit log once — none lost, none doubled.

The oracle reads the services' databases directly (a test may; a service never does): every event in any outbox must
be in the audit log, once. `wangge reconcile` (which only uses the services' APIs) must agree.
"""
from __future__ import annotations

import collections
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

RATE = float(os.environ.get("WANGGE_FAULT_RATE", "10"))  # registrations per second during a row
SECONDS = float(os.environ.get("WANGGE_FAULT_SECONDS", "15"))  # how long each row's load runs
SETTLE_S = float(os.environ.get("WANGGE_FAULT_SETTLE_S", "300"))  # bound: all delivered this long after the fault


def case_body(grid_id: str, phone: str) -> dict:
    return {"channel": "hotline", "grid_id": grid_id, "category": "request", "topic": "road",
            "content": "村口路灯坏了三天，晚上出行不便。", "reporter": {"name": "王秀英", "phone": phone},
            "received_by": {"kind": "call_taker", "id": "ct-04"}}


# --- load -----------------------------------------------------------------------------------------------------
@dataclass
class Load:
    """Registrations at `rate` per second from a few threads, each retried (same Idempotency-Key, as an integrator
    would) when the answer is lost; keeps every 201's case id and tracking code."""

    intake_url: str
    key: str
    grid_id: str
    rate: float = RATE
    accepted: dict = field(default_factory=dict)  # case id -> tracking code
    refused: collections.Counter = field(default_factory=collections.Counter)
    latencies: list = field(default_factory=list)  # (posted at monotonic, case id)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        self._http = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=8)
        self._thread = None

    def session(self) -> requests.Session:
        if not hasattr(self._http, "session"):
            self._http.session = requests.Session()
            self._http.session.headers["Authorization"] = f"Bearer {self.key}"
        return self._http.session

    def register_one(self) -> None:
        idempotency, phone = f"fault-{uuid.uuid4()}", f"139{random.randrange(10**8):08d}"
        body = case_body(self.grid_id, phone)
        posted = time.monotonic()
        for attempt in range(4):
            try:
                answer = self.session().post(self.intake_url + "/v1/cases", json=body, timeout=15,
                                             headers={"Idempotency-Key": idempotency})
            except requests.RequestException as exc:
                self._http.__dict__.pop("session", None)
                reason = type(exc).__name__
            else:
                if answer.status_code == 201:
                    with self._lock:
                        self.accepted[answer.json()["id"]] = answer.json()["tracking_code"]
                        self.latencies.append((posted, answer.json()["id"]))
                    return
                reason = str(answer.status_code)
                if answer.status_code < 500 and answer.status_code != 429:
                    break
            time.sleep(0.5 * (attempt + 1))
        with self._lock:
            self.refused[reason] += 1

    def _run(self, seconds: float) -> None:
        interval, start, sent = 1.0 / self.rate, time.monotonic(), 0
        while not self._stop.is_set() and time.monotonic() - start < seconds:
            self._pool.submit(self.register_one)
            sent += 1
            self._stop.wait(max(0.0, start + sent * interval - time.monotonic()))

    def start(self, seconds: float = SECONDS) -> "Load":
        self._thread = threading.Thread(target=self._run, args=(seconds,), daemon=True)
        self._thread.start()
        return self

    def wait(self) -> None:
        self._thread.join()
        self._pool.shutdown(wait=True)


# --- the stack's processes --------------------------------------------------------------------------------------
def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def processes() -> list[dict]:
    """Every process of this user: pid, parent, argv and WANGGE_VAR_DIR."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        argv = [a.decode(errors="replace") for a in _read(f"/proc/{entry}/cmdline").split(b"\0") if a]
        if not argv:
            continue
        status = _read(f"/proc/{entry}/status").decode(errors="replace")
        ppid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")), 0)
        env = dict(item.split(b"=", 1) for item in _read(f"/proc/{entry}/environ").split(b"\0") if b"=" in item)
        found.append({"pid": int(entry), "ppid": ppid, "argv": argv,
                      "var_dir": env.get(b"WANGGE_VAR_DIR", b"").decode(errors="replace")})
    return found


def pids_of(stack, role: str, service: str) -> list[int]:
    """The pids running `wangge <role> <service>` (relay, consume, schedule) for this stack, innermost first."""
    var_dir = str(stack.var_dir)
    mine = [p for p in processes() if p["var_dir"] == var_dir and "wangge_common.cli" in " ".join(p["argv"])
            and p["argv"][-2:] == [role, service]]
    pids = {p["pid"] for p in mine}
    return [p["pid"] for p in mine if not any(q["ppid"] == p["pid"] for q in mine)] or sorted(pids)


def web_workers(stack, service: str) -> list[int]:
    """gunicorn worker pids of a service (the children of its master)."""
    bind = f"127.0.0.1:{stack.ports[service]}"
    mine = [p for p in processes() if p["var_dir"] == str(stack.var_dir) and "gunicorn" in " ".join(p["argv"])
            and bind in p["argv"]]
    masters = {p["pid"] for p in mine if not any(q["pid"] == p["ppid"] for q in mine)}
    return [p["pid"] for p in mine if p["ppid"] in masters]


def broker_pid(stack) -> int:
    wanted = f"tcp://127.0.0.1:{stack.broker_port}"
    found = [p["pid"] for p in processes() if any("tansu" in a for a in p["argv"][:2]) and wanted in p["argv"]]
    assert len(found) == 1, f"expected one broker advertising {wanted}, found {found}"
    return found[0]


def kill(pids: list[int], sig=signal.SIGKILL) -> None:
    assert pids, "no process to signal"
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def wait_for_new(find, old: list[int], timeout: float = 90) -> list[int]:
    """Wait until `find()` returns processes other than `old` (the supervisor restarted them); [] on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = find()
        if now and not set(now) & set(old):
            return now
        time.sleep(0.5)
    return []


# --- database faults --------------------------------------------------------------------------------------------
def database_url(stack, service: str) -> str:
    return stack.database_urls.get(service) or f"sqlite:///{stack.var_dir / (service + '.db')}"


def lock_sqlite(stack, service: str, seconds: float) -> None:
    """Hold the SQLite file's write lock (BEGIN EXCLUSIVE) for `seconds`: a backup, a long migration, an operator."""
    path = database_url(stack, service).removeprefix("sqlite:///")
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def terminate_postgres_connections(stack, admin_url: str) -> int:
    """pg_terminate_backend on every connection to the stack's databases: what a PostgreSQL restart does to them."""
    names = [url.rsplit("/", 1)[1].split("?")[0] for url in stack.database_urls.values()]
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY(:names)"
                " AND pid <> pg_backend_pid()"), {"names": names}).all())
    finally:
        engine.dispose()


# --- the oracle ---------------------------------------------------------------------------------------------------
def _rows(url: str, sql: str, **params) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


@dataclass
class Verdict:
    accepted: int
    lost: dict  # what -> case ids
    doubled: dict  # what -> case ids (or event ids)

    @property
    def clean(self) -> bool:
        return not any(self.lost.values()) and not any(self.doubled.values())

    def counts(self) -> dict:
        return {"accepted": self.accepted, **{f"lost_{k}": len(v) for k, v in self.lost.items()},
                **{f"doubled_{k}": len(v) for k, v in self.doubled.items()}}


def judge(stack, load: Load, sms_messages: list[dict]) -> Verdict:
    """For every accepted case: one work order, every event once in the audit log, one message per recipient and
    channel (and one SMS per text), the registration told to the reporter."""
    cases = dict(load.accepted)
    ids = list(cases)
    orders = collections.Counter(r[0] for r in _rows(
        database_url(stack, "routing"), "SELECT case_id FROM work_orders"))
    audit = _rows(database_url(stack, "reporting"), "SELECT event_id, event_type, subject FROM audit_log")
    audit_ids = collections.Counter(r[0] for r in audit)
    registered_in_audit = collections.Counter(r[2] for r in audit if r[1] == "case.registered")
    emitted = set()  # every event about these cases, from every service's outbox
    for service in ("intake", "routing", "notify"):
        for event_id, subject, payload in _rows(database_url(stack, service),
                                                "SELECT event_id, message_key, payload FROM outbox"):
            if subject in cases or json.loads(payload).get("data", {}).get("case_id") in cases:
                emitted.add(event_id)
    deliveries = _rows(database_url(stack, "notify"),
                       "SELECT case_id, event_type, recipient_ref, channel, COUNT(*) FROM deliveries"
                       " GROUP BY case_id, event_type, recipient_ref, channel")
    told = collections.defaultdict(set)
    doubled_messages = []
    for case_id, event_type, _recipient, channel, count in deliveries:
        told[case_id].add((event_type, channel))
        if count > 1 and case_id in cases:
            doubled_messages.append(case_id)
    sms_by_text = collections.Counter((m["to"], m["text"]) for m in sms_messages)
    sms_registered = collections.Counter(code for m in sms_messages for code in (_tracking_code(m["text"]),)
                                         if code and "已受理" in m["text"])
    wanted = {("case.registered", "inbox"), ("case.registered", "sms"), ("case.triaged", "inbox")}
    lost = {
        "work_order": [c for c in ids if orders[c] == 0],
        "audit": sorted(emitted - set(audit_ids)),  # event ids about these cases, from every service
        "audit_registration": [c for c in ids if registered_in_audit[c] == 0],
        "notify": [c for c in ids if not wanted <= told.get(c, set())],
        "sms": [c for c in ids if sms_registered[cases[c]] == 0],
    }
    doubled = {
        "work_order": [c for c in ids if orders[c] > 1],
        "audit": [e for e in emitted if audit_ids[e] > 1] + [c for c in ids if registered_in_audit[c] > 1],
        "notify": sorted(set(doubled_messages)),
        "sms": [f"{to} {text}" for (to, text), n in sms_by_text.items() if n > 1],
    }
    return Verdict(len(ids), lost, doubled)


def _tracking_code(message: str) -> str | None:
    start = message.find("WG")
    return message[start:start + 10] if start >= 0 else None


def settle(stack, load: Load, sms_messages, timeout: float = SETTLE_S) -> tuple[Verdict, float]:
    """Poll the verdict until clean or `timeout`; returns the last verdict and how long it took."""
    started = time.monotonic()
    verdict = judge(stack, load, sms_messages())
    while not verdict.clean and time.monotonic() - started < timeout:
        time.sleep(2)
        verdict = judge(stack, load, sms_messages())
    return verdict, time.monotonic() - started


def reconcile(stack, since: datetime, *, republish: bool = False, wait_s: float = 0) -> tuple[int, dict]:
    """`wangge reconcile --json` against the stack, as an operator runs it; (exit code, report)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANGGE_")}
    env.update({f"WANGGE_{name.upper()}_URL": stack.url(name) for name in stack.ports})
    env["WANGGE_API_KEY"] = stack.demo_key
    until = datetime.now(timezone.utc) + timedelta(seconds=1)
    argv = [sys.executable, "-m", "wangge_common.cli", "reconcile", "--json", "--since", _iso(since),
            "--until", _iso(until), "--wait-s", str(wait_s)] + (["--republish"] if republish else [])
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120 + wait_s)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return done.returncode, json.loads(done.stdout)


STAGES = ("intake_to_routing", "intake_to_notify", "intake_to_audit")


def metrics_text(stack) -> str:
    try:
        return requests.get(stack.url("reporting") + "/metrics", timeout=5).text
    except requests.RequestException as exc:
        return repr(exc)


def gauges(stack) -> dict:
    """reconcile_missing by stage, as reporting's /metrics shows it now."""
    found = {}
    for line in metrics_text(stack).splitlines():
        if line.startswith("reconcile_missing{"):
            stage = line.split('stage="', 1)[1].split('"', 1)[0]
            found[stage] = float(line.rsplit(" ", 1)[1])
    return found


def reconcile_runs(stack) -> float:
    """How many scheduled reconciliations reporting has completed (reconcile_runs_total, every outcome)."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics_text(stack).splitlines()
               if line.startswith("reconcile_runs_total{"))


def eventually(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1)
    return False


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def record(row: str, backend: str, verdict: Verdict, seconds: float, note: str = "") -> None:
    """Append the row's figures to $WANGGE_FAULT_REPORT (JSON lines) for the table in the report."""
    line = {"row": row, "database": backend, **verdict.counts(), "settled_s": round(seconds, 1), "note": note}
    print("FAULT-ROW " + json.dumps(line, ensure_ascii=False), flush=True)
    target = os.environ.get("WANGGE_FAULT_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def describe(verdict: Verdict) -> str:
    parts = [f"{what}: {len(ids)} (e.g. {ids[:3]})" for what, ids in verdict.lost.items() if ids]
    parts += [f"doubled {what}: {len(ids)} (e.g. {ids[:3]})" for what, ids in verdict.doubled.items() if ids]
    return f"{verdict.accepted} accepted; lost/doubled — " + "; ".join(parts)


def log_tail(stack, name: str, lines: int = 30) -> str:
    path = Path(stack.var_dir) / "logs" / f"{name}.log"
    if not path.exists():
        return f"(no {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
