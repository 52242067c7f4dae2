"""Settings read from the environment once and passed down; nothing here connects anywhere.

Every WANGGE_* variable a service reads goes through `Settings.from_env` (service-specific ones, WANGGE_<SERVICE>_*,
reach the service's own settings class through `Settings.extra` and `Settings.count`). Variables deliberately read
elsewhere, each by the program or library that defines it:
- OTEL_* (OTEL_TRACES_EXPORTER, OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_*): the OpenTelemetry SDK's standard variables,
  read by the SDK itself (telemetry.py only picks the exporter by OTEL_TRACES_EXPORTER, as the SDK's own
  auto-configuration would, and sets OTEL_SERVICE_NAME's default for the SDK's resource);
- PROMETHEUS_MULTIPROC_DIR: prometheus_client's, read by the client library (metrics.py only asks whether it is set);
- GUNICORN_*: gunicorn's configuration file (gunicorn_conf.py), read before any service exists;
- TEST_DATABASE_URL, WANGGE_REQUIRE_BROWSER, WANGGE_CHROMIUM: the test harness's and the developer's machine, not a
  service's (testing.py, browser.py);
- a secret for a data migration run by hand with `alembic` (migrations.migration_secret), where no Settings exist.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("roster", "intake", "routing", "notify", "reporting")
DEFAULT_PORTS = {"roster": 8101, "intake": 8102, "routing": 8103, "notify": 8104, "reporting": 8105}
DEFAULT_BROKER_PORT = 9092
# Secrets a deployment may pass as files (Docker or Kubernetes secrets): NAME_FILE names a file holding NAME's
# value. WANGGE_API_KEYS_FILE predates this and is read by wangge_common.auth beside WANGGE_API_KEYS.
SECRET_NAMES = ("WANGGE_PII_KEY", "WANGGE_SERVICE_KEY", "WANGGE_REPORTING_SIGNING_KEY", "WANGGE_NOTIFY_SMS_TOKEN",
                "WANGGE_NOTIFY_ALIYUN_KEY_SECRET", "WANGGE_NOTIFY_TENCENT_KEY_SECRET")


def secret(env, name: str) -> str | None:
    """NAME's value, or the content of the file NAME_FILE names (surrounding whitespace stripped); never both."""
    path, value = env.get(f"{name}_FILE"), env.get(name)
    if not path:
        return value
    if value:
        raise ValueError(f"set {name} or {name}_FILE, not both")
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from exc


def with_database_password(env, component: str, url: str) -> str:
    """`url` with the password from WANGGE_<COMPONENT>_DATABASE_PASSWORD or else WANGGE_DATABASE_PASSWORD (or their
    _FILE variants) when one is set: the password can come from a secret file and needs no URL escaping."""
    for name in (f"WANGGE_{component.upper()}_DATABASE_PASSWORD", "WANGGE_DATABASE_PASSWORD"):
        password = secret(env, name)
        if password is None:
            continue
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            raise ValueError(f"{name} is set but the database is SQLite, which takes no password")
        return parsed.set(password=password).render_as_string(hide_password=False)
    return url


def log_level(env=None) -> str:
    """WANGGE_LOG_LEVEL (INFO by default), upper-cased: for Settings, and for a process without them (the portal)."""
    env = os.environ if env is None else env
    return (env.get("WANGGE_LOG_LEVEL") or "INFO").strip().upper()


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _kafka_settings(env, upper: str) -> dict:
    """The broker's address, timeouts and this service's credentials."""
    session_timeout = _int(env, "WANGGE_KAFKA_SESSION_TIMEOUT_MS", 10000)
    return dict(
        kafka_bootstrap=env.get("WANGGE_KAFKA_BOOTSTRAP", f"127.0.0.1:{DEFAULT_BROKER_PORT}"),
        kafka_session_timeout_ms=session_timeout,
        # Kafka wants heartbeats at most a third of the session timeout.
        kafka_heartbeat_interval_ms=_int(env, "WANGGE_KAFKA_HEARTBEAT_INTERVAL_MS", max(300, session_timeout // 3)),
        kafka_request_timeout_ms=_int(env, "WANGGE_KAFKA_REQUEST_TIMEOUT_MS", 30000),
        kafka_security_protocol=(env.get("WANGGE_KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT").upper(),
        kafka_sasl_mechanism=(env.get("WANGGE_KAFKA_SASL_MECHANISM") or "").upper() or None,
        # the per-service principal (WANGGE_INTAKE_KAFKA_SASL_USERNAME) wins over a shared one
        kafka_sasl_username=env.get(f"WANGGE_{upper}_KAFKA_SASL_USERNAME") or env.get("WANGGE_KAFKA_SASL_USERNAME"),
        kafka_sasl_password_file=(env.get(f"WANGGE_{upper}_KAFKA_SASL_PASSWORD_FILE")
                                  or env.get("WANGGE_KAFKA_SASL_PASSWORD_FILE")),
        kafka_ssl_cafile=env.get("WANGGE_KAFKA_SSL_CAFILE") or None,
    )


def _public_endpoint_settings(env) -> dict:
    """Rate limits of the public endpoints and the proxies whose X-Forwarded-For is believed."""
    return dict(
        ratelimit_storage_uri=env.get("WANGGE_RATELIMIT_STORAGE_URI") or "memory://",
        trusted_proxies=env.get("WANGGE_TRUSTED_PROXIES", ""),
        trusted_proxy_hops=_int(env, "WANGGE_TRUSTED_PROXY_HOPS", 1),
        ratelimits={k.removeprefix("WANGGE_RATELIMIT_"): v for k, v in env.items()
                    if k.startswith("WANGGE_RATELIMIT_") and k != "WANGGE_RATELIMIT_STORAGE_URI" and v},
    )


@dataclass(frozen=True)
class Settings:
    """Everything a service process needs to know about its surroundings."""

    service: str
    database_url: str
    kafka_bootstrap: str
    var_dir: Path
    kafka_session_timeout_ms: int = 10000
    kafka_heartbeat_interval_ms: int = 3000
    kafka_request_timeout_ms: int = 30000
    relay_poll_interval_s: float = 0.2
    relay_batch_size: int = 500
    relay_drain_s: float = 10.0  # on stop, how long the relay goes on publishing what the outbox still holds
    consumer_max_retries: int = 3
    consumer_retry_backoff_s: float = 0.2
    # /readyz reports a consumer whose partition has lag and has not advanced for this long, or that has not
    # written its progress for this long; it writes its progress at most every consumer_progress_interval_s.
    consumer_stall_s: float = 120.0
    consumer_progress_interval_s: float = 5.0
    # Published outbox rows are kept this long (what a relay can publish again to a broker that forgot).
    outbox_retention_hours: float = 168.0
    # How often a relay checks that the broker still holds its marker (and before publishing after a reconnect).
    relay_check_interval_s: float = 0.5
    api_keys_json: str | None = None
    api_keys_file: str | None = None
    pii_key: str | None = None
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"  # 0.0.0.0 in containers, so Prometheus can reach relays and consumers
    # Service-to-service calls (notify asking intake or roster for contact details, ...): where each service
    # answers (WANGGE_<SERVICE>_URL) and the API key this service presents (WANGGE_SERVICE_KEY).
    service_urls: dict = field(default_factory=dict)
    service_key: str | None = None
    # People's access tokens (RFC 9068 JWTs): the issuer trusted (the portal, or the province's OIDC provider) and
    # its public keys (a JWKS file path or URL); unset: API keys only.
    token_issuer: str | None = None
    token_jwks: str | None = None
    token_audience: str = "wangge"
    extra: dict = field(default_factory=dict)
    # Public endpoints' rate limits (ratelimit.py): shared storage, proxies whose X-Forwarded-For is believed,
    # and overrides of each limit (WANGGE_RATELIMIT_TRACK=30/minute → {"TRACK": "30/minute"}).
    # Broker authentication (kafka.py client_security): one principal per service in production
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password_file: str | None = None
    kafka_ssl_cafile: str | None = None
    ratelimit_storage_uri: str = "memory://"
    trusted_proxies: str = ""
    trusted_proxy_hops: int = 1
    ratelimits: dict = field(default_factory=dict)
    log_level: str = "INFO"  # WANGGE_LOG_LEVEL: the root logger's level (telemetry.configure)

    @classmethod
    def from_env(cls, service: str, env: dict | None = None) -> "Settings":
        """Build settings for `service`; per-service variables win over the shared ones."""
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
        env = dict(os.environ if env is None else env)
        env.update({name: secret(env, name) for name in SECRET_NAMES if env.get(f"{name}_FILE")})
        upper = service.upper()
        var_dir = Path(env.get("WANGGE_VAR_DIR", "var")).resolve()
        database_url = (
            env.get(f"WANGGE_{upper}_DATABASE_URL")
            or env.get("DATABASE_URL")
            or f"sqlite:///{var_dir / (service + '.db')}"
        )
        database_url = with_database_password(env, service, database_url)
        return cls(
            service=service,
            database_url=database_url,
            var_dir=var_dir,
            **_kafka_settings(env, upper),
            relay_poll_interval_s=_int(env, "WANGGE_RELAY_POLL_MS", 200) / 1000,
            relay_batch_size=_int(env, "WANGGE_RELAY_BATCH_SIZE", 500),
            relay_drain_s=_int(env, "WANGGE_RELAY_DRAIN_MS", 10000) / 1000,
            consumer_max_retries=_int(env, "WANGGE_CONSUMER_MAX_RETRIES", 3),
            consumer_retry_backoff_s=_int(env, "WANGGE_CONSUMER_RETRY_BACKOFF_MS", 200) / 1000,
            consumer_stall_s=float(_int(env, "WANGGE_CONSUMER_STALL_SECONDS", 120)),
            consumer_progress_interval_s=_int(env, "WANGGE_CONSUMER_PROGRESS_INTERVAL_MS", 5000) / 1000,
            outbox_retention_hours=float(_int(env, "WANGGE_OUTBOX_RETENTION_HOURS", 168)),
            relay_check_interval_s=_int(env, "WANGGE_RELAY_CHECK_INTERVAL_MS", 500) / 1000,
            api_keys_json=env.get("WANGGE_API_KEYS"),
            api_keys_file=env.get("WANGGE_API_KEYS_FILE"),
            pii_key=env.get("WANGGE_PII_KEY"),
            metrics_port=_int(env, f"WANGGE_{upper}_METRICS_PORT", 0),
            metrics_host=env.get("WANGGE_METRICS_HOST") or "127.0.0.1",
            service_urls={
                name: env.get(f"WANGGE_{name.upper()}_URL", f"http://127.0.0.1:{port}")
                for name, port in DEFAULT_PORTS.items()
            },
            service_key=env.get("WANGGE_SERVICE_KEY"),
            token_issuer=env.get("WANGGE_TOKEN_ISSUER") or None,
            token_jwks=env.get("WANGGE_TOKEN_JWKS") or None,
            token_audience=env.get("WANGGE_TOKEN_AUDIENCE") or "wangge",
            extra={k: v for k, v in env.items() if k.startswith(f"WANGGE_{upper}_")},
            **_public_endpoint_settings(env),
            log_level=log_level(env),
        )

    def count(self, suffix: str, default: int) -> int:
        """A per-service count, WANGGE_<SERVICE>_<suffix> (at least 1), or `default` when unset."""
        name = f"WANGGE_{self.service.upper()}_{suffix}"
        value = _int(self.extra, name, default)
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
        return value

    def metrics_port_for(self, role: str) -> int:
        """WANGGE_<SERVICE>_<ROLE>_METRICS_PORT (relay, consumer, scheduler on one machine need one each), else
        WANGGE_<SERVICE>_METRICS_PORT, else 0 (no metrics server)."""
        return _int(self.extra, f"WANGGE_{self.service.upper()}_{role.upper()}_METRICS_PORT", self.metrics_port)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
