"""docker-compose.yml read as an operator would: every process restarts and is health-checked, secrets only as
files, messages link to the public address, metrics reachable, the proxy the only public entry."""
from __future__ import annotations

import re

import pytest
from ruamel.yaml import YAML

from wangge_common.settings import SECRET_NAMES, SERVICES

from deploytools import ROOT

COMPOSE = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())
SERVICES_ = COMPOSE["services"]
WANGGE = {name: s for name, s in SERVICES_.items() if s.get("image", "").startswith("${WANGGE_IMAGE")}
DAEMONS = {name: s for name, s in WANGGE.items() if s.get("restart") != "no"}
SECRETISH = re.compile(r"(KEY|KEYS|PASSWORD|SECRET|TOKEN)$")


def env(service) -> dict:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def test_every_wangge_process_and_the_portal_runs_the_one_image_built_here():
    assert {s["build"] for s in WANGGE.values()} == {"."}
    for component in (*SERVICES, "portal"):
        assert component in WANGGE and f"{component}-migrate" in WANGGE, component
    assert "portal.wsgi:app" in SERVICES_["portal"]["command"] and ":8100" in SERVICES_["portal"]["command"]


def test_every_long_running_process_restarts_and_has_a_health_check():
    for name, service in DAEMONS.items():
        assert service["restart"] == "unless-stopped", name
        test = service["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "/app/deploy/healthcheck.py"], name
        command = service["command"]
        kind = test[3]
        if command.startswith("gunicorn"):
            assert kind == "http", name
        elif command.startswith("wangge consume"):
            assert kind == "consumer" and "--stall-after" in test, name
        else:
            assert kind == "metrics", name
    for name in ("kafka", "postgres", "proxy", "prometheus", "grafana"):
        assert SERVICES_[name]["restart"] == "unless-stopped", name


def test_no_secret_is_an_environment_variable_each_is_a_mounted_file():
    defined = set(COMPOSE["secrets"])
    for name, service in SERVICES_.items():
        mounted = set(service.get("secrets", []))
        for key, value in env(service).items():
            if key.endswith(("_FILE", "__FILE")):
                secret = value.removeprefix("/run/secrets/")
                assert value.startswith("/run/secrets/") and secret in mounted and secret in defined, (name, key)
            else:
                assert not SECRETISH.search(key), f"{name}: {key} carries a secret in the environment"
                assert "://" not in value or "@" not in value.split("://", 1)[1].split("/")[0] \
                    or ":" not in value.split("://", 1)[1].split("@")[0], f"{name}: {key} has a password in a URL"


def test_the_code_reads_every_secret_the_compose_file_passes_as_a_file():
    """A *_FILE the code does not read would leave the service without its key."""
    read_by_code = {f"{name}_FILE" for name in SECRET_NAMES} | {"WANGGE_API_KEYS_FILE", "WANGGE_DATABASE_PASSWORD_FILE"}
    # the Kafka principals' passwords (settings.py; test_kafka_auth.py shows a client configured from them)
    read_by_code |= {f"WANGGE_{s.upper()}_KAFKA_SASL_PASSWORD_FILE" for s in SERVICES} | {
        "WANGGE_KAFKA_SASL_PASSWORD_FILE"}
    # Read by images other than ours (their documented *_FILE variables) and by the portal (parallel work).
    others = {"POSTGRES_PASSWORD_FILE", "GF_SECURITY_ADMIN_PASSWORD__FILE"}
    expected_from_parallel_work = {"WANGGE_PORTAL_SECRET_KEY_FILE", "WANGGE_PORTAL_SIGNING_KEY_FILE"}
    used = {key for service in SERVICES_.values() for key in env(service) if key.endswith("FILE")}
    assert used - read_by_code - others - expected_from_parallel_work == set()


def test_services_that_sign_or_encrypt_get_their_keys():
    for name, service in WANGGE.items():
        variables = env(service)
        assert variables.get("WANGGE_PII_KEY_FILE") == "/run/secrets/pii_key" or name == "topics", name
        if name.startswith("reporting"):
            assert variables["WANGGE_REPORTING_SIGNING_KEY_FILE"] == "/run/secrets/reporting_signing_key", name
        url = next((v for k, v in variables.items() if k.endswith("_DATABASE_URL")), None)
        if url:
            assert url.startswith("postgresql://wangge@postgres:5432/"), name
            assert variables["WANGGE_DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password", name
    assert env(SERVICES_["postgres"])["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"


def test_messages_link_to_the_public_address_not_to_a_container():
    for name in ("notify", "notify-consumer", "notify-scheduler", "notify-relay"):
        public = env(SERVICES_[name])["WANGGE_NOTIFY_PUBLIC_URL"]
        assert public.startswith("${WANGGE_PUBLIC_URL:?"), (name, public)
    assert env(SERVICES_["portal"])["WANGGE_PORTAL_ISSUER"].startswith("${WANGGE_PUBLIC_URL:?")
    # the services check people's tokens against the portal's issuer name and its key set, inside the network
    for name, service in WANGGE.items():
        if name != "topics":
            assert env(service)["WANGGE_TOKEN_ISSUER"] == env(SERVICES_["portal"])["WANGGE_PORTAL_ISSUER"], name
            assert env(service)["WANGGE_TOKEN_JWKS"] == "http://portal:8100/.well-known/jwks.json", name


def test_relays_consumers_and_schedulers_serve_metrics_on_every_interface():
    for name, service in DAEMONS.items():
        command = service["command"]
        match = re.match(r"wangge (relay|consume|schedule) (\w+)", command)
        if not match:
            continue
        variables = env(service)
        assert variables["WANGGE_METRICS_HOST"] == "0.0.0.0", name
        assert variables[f"WANGGE_{match.group(2).upper()}_METRICS_PORT"] == "9100", name


def test_gunicorn_adds_up_its_workers_metrics_in_a_fresh_directory():
    for name, service in DAEMONS.items():
        if service["command"].startswith("gunicorn"):
            directory = env(service)["PROMETHEUS_MULTIPROC_DIR"]
            assert directory in service["tmpfs"] and service["read_only"] is True, name


def test_only_the_proxy_is_public_and_monitoring_listens_on_loopback():
    for name, service in SERVICES_.items():
        for port in service.get("ports", []):
            if name == "proxy":
                assert port.endswith((":80", ":443")), port
            else:
                assert port.startswith("127.0.0.1:"), (name, port)


def test_the_services_trust_forwarded_headers_from_the_proxy_address_only():
    proxy_ip = SERVICES_["proxy"]["networks"]["default"]["ipv4_address"]
    assert proxy_ip == "${WANGGE_PROXY_IP:-172.31.240.10}"
    subnet = COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert subnet == "${WANGGE_SUBNET:-172.31.240.0/24}"
    import ipaddress

    assert ipaddress.ip_address("172.31.240.10") in ipaddress.ip_network("172.31.240.0/24")
    for name, service in WANGGE.items():
        if name != "topics":
            assert env(service)["WANGGE_TRUSTED_PROXIES"] == proxy_ip, name
    assert env(SERVICES_["portal"])["WANGGE_PORTAL_TRUSTED_PROXIES"] == proxy_ip
    assert "./deploy/proxy/Caddyfile:/etc/caddy/Caddyfile:ro" in SERVICES_["proxy"]["volumes"]


@pytest.mark.parametrize("path", ["deploy/prometheus/prometheus.yml", "deploy/prometheus/alerts.yml",
                                  "deploy/grafana/provisioning", "deploy/grafana/dashboards",
                                  "deploy/proxy/Caddyfile", "deploy/postgres/init.sql"])
def test_every_mounted_file_exists(path):
    mounted = [v.split(":")[0] for s in SERVICES_.values() for v in s.get("volumes", []) if v.startswith("./")]
    assert f"./{path}" in mounted and (ROOT / path).exists()


def test_postgres_creates_a_database_for_every_component():
    created = set(re.findall(r"CREATE DATABASE (\w+);", (ROOT / "deploy/postgres/init.sql").read_text()))
    assert created == {*SERVICES, "portal"}
