"""The programs the stack supervises (broker, each service's web, relay, consumer and scheduler, the portal, the
local message sink) and the environment each is given: the Stack's mixin, reading the Stack's ports, keys and
folders."""
from __future__ import annotations

import json
import sys

from wangge_common.settings import SERVICES

from .ports import tansu_binary
from .supervision import Program

METRICS_ROLES = ("relay", "consumer", "scheduler")


class StackPrograms:
    """What runs and with which environment; mixed into Stack (stack.py), whose fields it reads."""

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
