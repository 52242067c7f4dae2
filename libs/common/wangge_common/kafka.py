"""Kafka clients configured the same way everywhere, and W3C trace context in record headers."""
from __future__ import annotations

import logging
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError, TopicAlreadyExistsError
from opentelemetry import propagate
from opentelemetry.propagators.textmap import Getter

from .contracts import TOPIC_CONFIGS, all_topic_specs
from .settings import Settings

log = logging.getLogger(__name__)


PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN")


def client_security(settings: Settings) -> dict:
    """The broker-authentication part of every client's configuration, from the settings (empty: PLAINTEXT).

    SASL needs a mechanism, the service's user name and a file holding its password (never the password in the
    environment, where `ps e` and crash reports show it). PLAIN sends the password as it is: only over TLS."""
    protocol = settings.kafka_security_protocol
    if protocol not in PROTOCOLS:
        raise ValueError(f"WANGGE_KAFKA_SECURITY_PROTOCOL must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    config: dict = {} if protocol == "PLAINTEXT" else {"security_protocol": protocol}
    if protocol.endswith("SSL"):
        config["ssl_check_hostname"] = True
        if settings.kafka_ssl_cafile:
            config["ssl_cafile"] = settings.kafka_ssl_cafile
    if protocol.startswith("SASL"):
        mechanism = settings.kafka_sasl_mechanism
        if mechanism not in MECHANISMS:
            raise ValueError(f"WANGGE_KAFKA_SASL_MECHANISM must be one of {', '.join(MECHANISMS)} with "
                             f"{protocol}, got {mechanism!r}")
        if mechanism == "PLAIN" and protocol != "SASL_SSL":
            raise ValueError("SASL PLAIN sends the password in clear: use it with SASL_SSL only (or SCRAM)")
        if not settings.kafka_sasl_username or not settings.kafka_sasl_password_file:
            raise ValueError(f"{protocol} needs WANGGE_KAFKA_SASL_USERNAME (or WANGGE_{settings.service.upper()}"
                             "_KAFKA_SASL_USERNAME) and WANGGE_KAFKA_SASL_PASSWORD_FILE")
        try:
            password = Path(settings.kafka_sasl_password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"cannot read the Kafka password file {settings.kafka_sasl_password_file}: "
                             f"{exc.strerror}") from exc
        if not password:
            raise ValueError(f"the Kafka password file {settings.kafka_sasl_password_file} is empty")
        config.update(sasl_mechanism=mechanism, sasl_plain_username=settings.kafka_sasl_username,
                      sasl_plain_password=password)
    return config


def producer(settings: Settings, **overrides) -> KafkaProducer:
    """An idempotent producer (acks=all): retries cannot duplicate or reorder a partition's records."""
    request_timeout_ms = min(settings.kafka_request_timeout_ms, 10000)
    config = dict(
        bootstrap_servers=settings.kafka_bootstrap, client_id=f"wangge-{settings.service}",
        acks="all", enable_idempotence=True, linger_ms=5, compression_type=None,
        request_timeout_ms=request_timeout_ms, max_block_ms=10000,
        # Bound the retries: a send that cannot complete fails, and the caller keeps the record to try again.
        delivery_timeout_ms=request_timeout_ms + 5000,
        **client_security(settings),
    )
    config.update(overrides)
    return KafkaProducer(**config)


def consumer(settings: Settings, topics: list[str], *, group_id: str, **overrides) -> KafkaConsumer:
    """A group consumer that never auto-commits: offsets are committed after the database commit."""
    config = dict(
        bootstrap_servers=settings.kafka_bootstrap, client_id=f"wangge-{settings.service}", group_id=group_id,
        enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=500,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        request_timeout_ms=max(settings.kafka_request_timeout_ms, settings.kafka_session_timeout_ms + 5000),
        **client_security(settings),
    )
    config.update(overrides)
    found = KafkaConsumer(**config)
    found.subscribe(topics)
    return found


def delivery_timeout_s(producer) -> float:
    return producer.config["delivery_timeout_ms"] / 1000


def close_producer(producer, timeout: float = 5) -> None:
    """Close a producer for certain, even one with records it could not deliver.

    kafka-python 3.0's close() flushes first and raises when the flush times out, before it stops the sender
    thread, which then spins on forever. Force the sender down in that case.
    """
    try:
        producer.close(timeout=timeout)
    except KafkaError:
        sender = getattr(producer, "_sender", None)
        if sender is not None and sender.is_alive():
            sender.force_close()
            sender.join(timeout)
        log.warning("producer closed with undelivered records; they stay pending and are sent again")


def ensure_topics(bootstrap: str, specs: dict[str, int] | None = None, *, timeout_ms: int = 30000,
                  security: dict | None = None) -> list[str]:
    """Create the suite's topics with explicit partition counts; existing topics are left alone. `security` is
    client_security(settings) where the broker wants authentication."""
    specs = specs or all_topic_specs()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="wangge-topics", request_timeout_ms=timeout_ms,
                             **(security or {}))
    try:
        existing = set(admin.list_topics())
        wanted = {name: {"num_partitions": n, "replication_factor": 1,
                         **({"configs": TOPIC_CONFIGS[name]} if name in TOPIC_CONFIGS else {})}
                  for name, n in specs.items() if name not in existing}
        if wanted:
            try:
                admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
        return sorted(wanted)
    finally:
        admin.close()


def headers_from(carrier: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in carrier.items() if v]


class _RecordHeaderGetter(Getter):
    def get(self, carrier, key):
        values = [v.decode("utf-8", "replace") for k, v in (carrier or []) if k == key and v is not None]
        return values or None

    def keys(self, carrier):
        return [k for k, _ in (carrier or [])]


def extract_context(record_headers):
    """The trace context a producer put into a record's headers (manual: see STACK_NOTES)."""
    return propagate.extract(record_headers or [], getter=_RecordHeaderGetter())


def header(record_headers, name: str) -> str | None:
    for key, value in record_headers or []:
        if key == name and value is not None:
            return value.decode("utf-8", "replace")
    return None
