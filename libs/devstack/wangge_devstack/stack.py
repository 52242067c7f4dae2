"""The whole suite on one machine: Tansu broker, five services under gunicorn, relays, consumers and schedulers,
supervised by supervisord (see supervision.py and watch.py). This module holds the Stack (its ports, folders, keys,
and starting and stopping it); programs.py the programs and their environments; foreground.py `make run`.

Used by `make run` (foreground, demo data) and by tests/integration (temporary directory, free ports): both go
through the same Supervisor, so a test that kills a process sees the restart an operator gets.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from wangge_common import auth, crypto, tokens
from wangge_common.cli import known_scopes
from wangge_common.settings import DEFAULT_BROKER_PORT, DEFAULT_PORTS, SERVICES

from .ports import free_port, port_open, tansu_binary, wait_for_port  # noqa: F401 - imported from here by tests
from .programs import METRICS_ROLES, StackPrograms  # noqa: F401 - METRICS_ROLES: kept importable here
from .supervision import STOP_ORDER, SupervisionPolicy, Supervisor

DEFAULT_SUPERVISION_METRICS_PORT = 8109
PORTAL_PORT = 8100  # the portal (people's pages): WANGGE_PORTAL_PORT
# `make run`: relays, consumers and schedulers serve /metrics from here up, one port each (see process_metrics_port)
DEFAULT_PROCESS_METRICS_BASE_PORT = 9110
# The local SMS gateway and SMTP sink with their page (messages.py), as MailHog's ports: WANGGE_MESSAGES_PORT and
# WANGGE_MESSAGES_SMTP_PORT
MESSAGES_PORT, MESSAGES_SMTP_PORT = 8025, 1025


@dataclass
class Process:
    """A handle on one supervised program, for tests and `make run`."""

    supervisor: Supervisor
    name: str

    @property
    def log_path(self) -> Path:
        return self.supervisor.program(self.name).log_path

    @property
    def info(self) -> dict:
        return self.supervisor.info(self.name)

    @property
    def pid(self) -> int:
        return self.info["pid"]

    @property
    def running(self) -> bool:
        return self.supervisor.alive and self.info["statename"] in ("STARTING", "RUNNING")

    def start(self) -> None:
        self.supervisor.start_program(self.name)

    def stop(self) -> None:
        self.supervisor.stop_program(self.name)

    def kill(self) -> int:
        """SIGKILL the program and its process group (a crash, no clean shutdown); returns the pid killed.
        The supervision restarts it."""
        pid = self.pid
        if pid:
            os.killpg(pid, signal.SIGKILL)
        return pid


@dataclass
class Stack(StackPrograms):
    """Everything one machine runs, with the ports, files and keys it uses; the programs it supervises and their
    environments come from StackPrograms (programs.py), `make run`'s foreground loop from foreground.py."""

    var_dir: Path
    ports: dict = field(default_factory=lambda: {**DEFAULT_PORTS, "portal": PORTAL_PORT})
    broker_port: int = DEFAULT_BROKER_PORT
    database_urls: dict = field(default_factory=dict)  # service -> URL; SQLite files under var_dir otherwise
    session_timeout_ms: int = 6000
    web_workers: int = 2
    extra_env: dict = field(default_factory=dict)  # wins over everything (tests)
    # The environment the services inherit. Its WANGGE_* settings pass through only with inherit_settings
    # (`make run`); tests leave it off so a developer's shell cannot point the test stack at real data.
    base_env: dict = field(default_factory=lambda: dict(os.environ))
    inherit_settings: bool = False
    supervision_metrics_port: int = 0  # wangge_process_restarts_total and friends; 0 = not served
    # First of the ports relays, consumers and schedulers serve /metrics on (three per service); 0 = none
    process_metrics_base_port: int = 0
    policy: SupervisionPolicy = field(default_factory=SupervisionPolicy)
    broker_args: list = field(default_factory=list)  # extra flags for `tansu broker`
    console: bool = False  # supervision messages on this terminal (make run) rather than logs/supervisord.out
    gated: bool = True  # accepted for older callers: the broker is always behind its gate now (broker.py)
    # The local SMS gateway and SMTP sink notify sends to unless the environment names others; None: free ports
    messages_port: int | None = None
    messages_smtp_port: int | None = None

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
        self.messages_port = self.messages_port or free_port()
        self.messages_smtp_port = self.messages_smtp_port or free_port()
        self.sms_token = self._persistent_secret("sms-gateway-token.key", lambda: os.urandom(16).hex())
        self.supervisor: Supervisor | None = None
        self.processes: dict[str, Process] = {}

    @classmethod
    def from_env(cls, environ=None, **overrides) -> Stack:
        """`make run`'s stack: ports and folders from the documented WANGGE_* settings, which also reach every
        service (WANGGE_NOTIFY_SMS_URL, WANGGE_LOG_LEVEL, ...)."""
        env = dict(os.environ if environ is None else environ)

        def port(name: str, default: int) -> int:
            raw = env.get(name)
            return int(raw) if raw else default

        return cls(var_dir=Path(env.get("WANGGE_VAR_DIR", "var")),
                   ports={s: port(f"WANGGE_{s.upper()}_PORT", p)
                          for s, p in {**DEFAULT_PORTS, "portal": PORTAL_PORT}.items()},
                   broker_port=port("WANGGE_BROKER_PORT", DEFAULT_BROKER_PORT),
                   session_timeout_ms=port("WANGGE_KAFKA_SESSION_TIMEOUT_MS", 6000),
                   supervision_metrics_port=port("WANGGE_SUPERVISION_METRICS_PORT", DEFAULT_SUPERVISION_METRICS_PORT),
                   process_metrics_base_port=port("WANGGE_PROCESS_METRICS_BASE_PORT",
                                                  DEFAULT_PROCESS_METRICS_BASE_PORT),
                   messages_port=port("WANGGE_MESSAGES_PORT", MESSAGES_PORT),
                   messages_smtp_port=port("WANGGE_MESSAGES_SMTP_PORT", MESSAGES_SMTP_PORT),
                   policy=SupervisionPolicy.from_env(env), base_env=env, inherit_settings=True, **overrides)

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
            scopes = known_scopes()  # every installed service's: the demo key may do anything anywhere
            demo_raw, demo_entry = auth.new_key("demo", sorted(scopes), known=scopes)
            service_raw, service_entry = auth.new_key("services", self.SERVICE_SCOPES, known=scopes)
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

    def demo_accounts(self) -> str:
        """Create (once) and list the portal's demo accounts, one per role, with their passwords."""
        done = subprocess.run([sys.executable, "-m", "portal.cli", "demo-accounts"], env=self.env_for("portal"),
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"creating the portal's demo accounts failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def _supervise(self) -> Supervisor:
        if self.supervisor is None or not self.supervisor.alive:
            programs = [self.broker_program()] + [p for s in SERVICES for p in self.service_programs(s)]
            programs += [self.portal_program(), self.messages_program()]
            self.supervisor = Supervisor(self.var_dir / "supervisor", self.log_dir, programs,
                                         metrics_port=self.supervision_metrics_port, policy=self.policy,
                                         console=self.console)
            self.supervisor.start()
            self.processes = {p.name: Process(self.supervisor, p.name) for p in programs}
        return self.supervisor

    # --- the broker -------------------------------------------------------------------------------------
    def start_broker(self, timeout: float = 60) -> None:
        """Start the broker; returns once it answers on its port with the suite's topics created."""
        self._supervise().start_program("broker")
        deadline = time.monotonic() + timeout
        while not port_open(self.broker_port):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the broker does not answer on {self.broker_port}; see {self.log_dir}/broker.log")
            time.sleep(0.1)

    def stop_broker(self) -> None:
        """Stop the broker; with Tansu's memory storage its topics and offsets are gone after. Alone in the
        stack (benchmarks), supervisord stops too."""
        if self.supervisor is None or not self.supervisor.alive:
            return
        if any(p.running for name, p in self.processes.items() if name != "broker"):
            self.processes["broker"].stop()
        else:
            self.stop()

    def cut_broker(self) -> None:
        """Make the broker unreachable (connection refused) while it keeps its data: a broker outage."""
        os.kill(self.processes["broker"].pid, signal.SIGUSR1)
        wait_for_port(self.broker_port, 10, open_=False)

    def restore_broker(self) -> None:
        """The broker answers again, with every record and committed offset it had."""
        os.kill(self.processes["broker"].pid, signal.SIGUSR2)
        wait_for_port(self.broker_port, 10)

    # --- the services -----------------------------------------------------------------------------------
    def migrate(self) -> None:
        for service in (*SERVICES, "portal"):
            argv = ["-m", "portal.cli", "migrate"] if service == "portal" else ["-m", "wangge_common.cli", "migrate",
                                                                                 service]
            done = subprocess.run([sys.executable, *argv],
                                  env=self.env_for(service), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  check=False)
            if done.returncode != 0:
                raise RuntimeError(f"migrating {service} failed:\n{done.stderr[-3000:]}")

    def start_services(self, timeout: float = 240) -> None:
        self.migrate()
        supervisor = self._supervise()
        for service in SERVICES:
            prom = self.var_dir / "prometheus" / service
            shutil.rmtree(prom, ignore_errors=True)
            prom.mkdir(parents=True)
        for group in reversed(STOP_ORDER):  # start in the opposite order to stopping
            if group != "broker":
                supervisor.start_group(group)
        for service in (*SERVICES, "portal"):
            self.wait_healthy(service, timeout)
        wait_for_port(self.messages_port, 30)

    def wait_healthy(self, service: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        web = self.processes[f"{service}-web"]
        while time.monotonic() < deadline:
            if web.info["statename"] in ("FATAL", "EXITED", "STOPPED"):
                raise RuntimeError(f"{service} web is {web.info['statename']}; see {web.log_path}")
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
        """Stop everything in order: HTTP, relays (drain the outbox), consumers, schedulers, the broker."""
        if self.supervisor is not None:
            self.supervisor.shutdown()

    def given_up(self) -> list[str]:
        """Programs the supervision no longer restarts (FATAL, or exited and left so)."""
        if self.supervisor is None or not self.supervisor.alive:
            return []
        return [i["name"] for i in self.supervisor.call("getAllProcessInfo")
                if i["statename"] in ("FATAL", "EXITED") and i["name"] != "watch"]
