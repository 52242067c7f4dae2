"""supervisord for the one-machine stack: the programs, their order, and a client for its XML-RPC interface.

`make run` and tests/integration use this same class, so a test that kills a process sees the supervision an
operator gets. The policy (restart with backoff, give up on a program that keeps dying, metrics) is in watch.py.

Programs belong to groups; supervisord starts groups in ascending priority and stops them in descending priority,
waiting for each group to be down before stopping the next. So on SIGTERM HTTP stops first (gunicorn stops
accepting and finishes its requests), then relays (they publish what is left in the outbox), then consumers (they
finish their batch and commit), then schedulers, then the broker.
"""
from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path

from .launch import die_with_parent

# Lower starts first and stops last.
GROUP_PRIORITY = {"broker": 100, "schedulers": 200, "consumers": 300, "relays": 400, "web": 500}
STOP_ORDER = tuple(sorted(GROUP_PRIORITY, key=GROUP_PRIORITY.get, reverse=True))


@dataclass
class Program:
    """One supervised process."""

    name: str
    group: str
    argv: list[str]
    env: dict
    log_path: Path
    stop_wait_s: float = 20  # after SIGTERM, then SIGKILL to its whole process group

    @property
    def namespec(self) -> str:
        return f"{self.group}:{self.name}"


@dataclass
class SupervisionPolicy:
    start_s: float = 3  # a program that dies sooner failed to start: supervisord retries it 1, 2, 3 s apart
    start_retries: int = 3  # ... and then gives up (FATAL)
    max_restarts: int = 5  # deaths after a good start restarted within window_s; the next is not restarted
    window_s: float = 600
    backoff_max_s: float = 30

    @classmethod
    def from_env(cls, env=os.environ) -> SupervisionPolicy:
        return cls(max_restarts=int(env.get("WANGGE_SUPERVISION_MAX_RESTARTS", cls.max_restarts)),
                   window_s=float(env.get("WANGGE_SUPERVISION_WINDOW_S", cls.window_s)),
                   backoff_max_s=float(env.get("WANGGE_SUPERVISION_BACKOFF_MAX_S", cls.backoff_max_s)))


def _ini(value) -> str:
    """A value for supervisord's configuration, where `%` starts an expansion."""
    return str(value).replace("%", "%%")


@dataclass
class Supervisor:
    """One supervisord owning `programs`; nothing starts until asked (start_group/start)."""

    state_dir: Path
    log_dir: Path
    programs: list[Program]
    metrics_port: int = 0
    policy: SupervisionPolicy = field(default_factory=SupervisionPolicy)
    console: bool = False  # make run: supervision messages on this terminal; tests: into logs/supervisord.out
    popen: subprocess.Popen | None = None

    def __post_init__(self):
        self.state_dir, self.log_dir = Path(self.state_dir), Path(self.log_dir)
        self.config_path = self.state_dir / "supervisord.conf"
        self._password = secrets.token_hex(16)
        self._port = 0

    # --- configuration ---------------------------------------------------------------------------------
    def _launch_command(self, program: Program) -> str:
        spec = self.state_dir / f"{program.name}.json"
        spec.write_text(json.dumps({"argv": program.argv, "env": program.env}))
        spec.chmod(0o600)
        return shlex.join([sys.executable, "-m", "wangge_devstack.launch", str(spec)])

    def write_config(self, port: int) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._port = port
        p = self.policy
        lines = [
            "[supervisord]", f"logfile={_ini(self.log_dir / 'supervisord.log')}", "logfile_maxbytes=10MB",
            "logfile_backups=2", f"pidfile={_ini(self.state_dir / 'supervisord.pid')}", "nodaemon=true",
            "silent=true", f"childlogdir={_ini(self.log_dir)}", "identifier=wangge",
            *(["user=root"] if os.geteuid() == 0 else []),  # says so, instead of a CRIT line in the log
            "",
            "[inet_http_server]", f"port=127.0.0.1:{port}", "username=wangge", f"password={self._password}", "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "", "[supervisorctl]", f"serverurl=http://127.0.0.1:{port}", "username=wangge",
            f"password={self._password}", "",
            "[eventlistener:watch]",
            "command=" + _ini(shlex.join([
                sys.executable, "-m", "wangge_devstack.watch", "--metrics-port", str(self.metrics_port),
                "--log-dir", str(self.log_dir), "--max-restarts", str(p.max_restarts), "--window-s", str(p.window_s),
                "--backoff-max-s", str(p.backoff_max_s)])),
            "events=PROCESS_STATE,TICK_5", "buffer_size=1000", "priority=1", "autostart=true", "autorestart=true",
            "startsecs=1",
            f"environment=SUPERVISOR_USERNAME=\"wangge\",SUPERVISOR_PASSWORD=\"{self._password}\"",
            "stdout_logfile=NONE",  # its stdout is supervisord's event protocol
            "stderr_logfile=/dev/stderr", "stderr_logfile_maxbytes=0", "",
        ]
        for group in GROUP_PRIORITY:
            members = [prog for prog in self.programs if prog.group == group]
            if members:
                lines += [f"[group:{group}]", "programs=" + ",".join(prog.name for prog in members),
                          f"priority={GROUP_PRIORITY[group]}", ""]
        for prog in self.programs:
            lines += [
                f"[program:{prog.name}]", "command=" + _ini(self._launch_command(prog)),
                "autostart=false", "autorestart=false",  # restarts are watch.py's decision
                f"startsecs={p.start_s:g}", f"startretries={p.start_retries}",
                "stopsignal=TERM", f"stopwaitsecs={prog.stop_wait_s:g}",
                "stopasgroup=false",  # gunicorn's master stops its workers gracefully itself
                "killasgroup=true",  # ... but a SIGKILL takes the whole process group
                "redirect_stderr=true", f"stdout_logfile={_ini(prog.log_path)}", "stdout_logfile_maxbytes=0", "",
            ]
        self.config_path.write_text("\n".join(lines))
        self.config_path.chmod(0o600)

    # --- supervisord ------------------------------------------------------------------------------------
    def start(self, timeout: float = 30) -> None:
        from wangge_common.testing import free_port

        self.write_config(free_port())
        out = None if self.console else open(self.log_dir / "supervisord.out", "ab")
        # A session of its own: Ctrl-C reaches `wangge run`, which then stops supervisord in order.
        self.popen = subprocess.Popen([sys.executable, "-m", "supervisor.supervisord", "-c", str(self.config_path)],
                                      stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                                      preexec_fn=die_with_parent)
        if out is not None:
            out.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(f"supervisord exited with {self.popen.returncode}; see {self.log_dir}")
            try:
                if self.call("getState")["statename"] == "RUNNING":
                    return
            except (OSError, xmlrpc.client.Error):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("supervisord does not answer")
            time.sleep(0.1)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def call(self, method: str, *args):
        """One XML-RPC call to supervisord (`supervisor.<method>`), on a connection closed after it."""
        with xmlrpc.client.ServerProxy(f"http://wangge:{self._password}@127.0.0.1:{self._port}/RPC2") as proxy:
            return getattr(proxy.supervisor, method)(*args)

    def program(self, name: str) -> Program:
        return next(prog for prog in self.programs if prog.name == name)

    def start_group(self, group: str) -> None:
        for prog in self.programs:
            if prog.group == group:
                self.start_program(prog.name)

    def start_program(self, name: str) -> None:
        try:
            self.call("startProcess", self.program(name).namespec, False)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" not in fault.faultString:
                raise

    def stop_program(self, name: str) -> None:
        try:
            self.call("stopProcess", self.program(name).namespec, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString:
                raise

    def info(self, name: str) -> dict:
        return self.call("getProcessInfo", self.program(name).namespec)

    def shutdown(self, timeout: float = 180) -> None:
        """Stop every program in order (see STOP_ORDER), then supervisord; SIGKILL whatever is left after timeout."""
        if not self.alive:
            return
        try:
            self.call("shutdown")
        except (OSError, xmlrpc.client.Error):
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)
