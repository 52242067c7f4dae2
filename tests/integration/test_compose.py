"""docker-compose.yml: valid against the compose spec offline; run for real where a Docker engine exists."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from ruamel.yaml import YAML

from wangge_common.auth import new_key
from wangge_common.cli import load_spec
from wangge_common.crypto import new_key as new_pii_key
from wangge_common.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def test_compose_file_matches_the_compose_spec():
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(COMPOSE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_kafka_in_kraft_mode_postgres_and_every_process():
    services = YAML(typ="safe").load(COMPOSE.read_text())["services"]
    kafka_env = services["kafka"]["environment"]
    assert "controller" in kafka_env["KAFKA_PROCESS_ROLES"] and "KAFKA_ZOOKEEPER_CONNECT" not in kafka_env
    assert services["postgres"]["image"].startswith("postgres:")
    publishers = {"roster", "intake", "routing", "notify"}
    for service in SERVICES:
        assert f"{service}.wsgi:app" in services[service]["command"]
        assert "healthcheck" in services[service]
        assert services[f"{service}-migrate"]["command"] == f"wangge migrate {service}"
        assert (f"{service}-relay" in services) == (service in publishers)
        assert (f"{service}-consumer" in services) == (service != "roster")
        assert (f"{service}-scheduler" in services) == bool(load_spec(service).periodic)
    assert services["topics"]["command"] == "wangge topics create"
    assert "portal.wsgi:app" in services["portal"]["command"] and "portal-migrate" in services


@pytest.fixture(scope="session")
def docker_compose_file():
    return str(COMPOSE)


@pytest.fixture(scope="session")
def docker_setup(tmp_path_factory):
    """Keys for the compose run: the hashed entries into deploy/api_keys.json, every secret file under
    deploy/secrets/ (both ignored by git and the image's build context), the public address into the environment."""
    import os

    raw, entry = new_key("compose-test", ["cases:write", "cases:read", "roster:admin", "roster:read"])
    service_raw, service_entry = new_key("services", ["cases:read", "roster:read", "contacts:read"])
    (ROOT / "deploy" / "api_keys.json").write_text(json.dumps([entry, service_entry]))
    secrets = ROOT / "deploy" / "secrets"
    secrets.mkdir(exist_ok=True)
    for name, value in {"pii_key": new_pii_key(), "service_key": service_raw,
                        "reporting_signing_key": os.urandom(32).hex(), "postgres_password": os.urandom(16).hex(),
                        "portal_secret_key": os.urandom(32).hex(), "portal_signing_key": os.urandom(32).hex(),
                        "grafana_admin_password": os.urandom(12).hex()}.items():
        (secrets / name).write_text(value + "\n")
        (secrets / name).chmod(0o644)  # the containers run as uid 10001
    os.environ.setdefault("WANGGE_PUBLIC_URL", "http://localhost")
    os.environ.setdefault("WANGGE_HTTP_PORT", "18080")
    os.environ.setdefault("WANGGE_HTTPS_PORT", "18443")
    os.environ["WANGGE_COMPOSE_TEST_KEY"] = raw
    return ["up --build -d"]


@pytest.mark.docker
def test_the_compose_stack_serves_a_case(docker_setup, docker_services, docker_ip):
    import os

    headers = {"Authorization": f"Bearer {os.environ['WANGGE_COMPOSE_TEST_KEY']}"}
    proxy = f"http://{docker_ip}:{docker_services.port_for('proxy', 80)}"
    base = {s: f"{proxy}/api/{s}" for s in ("roster", "intake")}

    def ready():
        try:  # /readyz is not public: the intake API answering through the proxy is
            return requests.get(base["intake"] + "/openapi.json", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    docker_services.wait_until_responsive(check=ready, timeout=300, pause=2)
    grid = requests.post(base["roster"] + "/v1/grids", headers=headers,
                         json={"code": "DC-01", "name": "容器乡", "level": 1, "kind": "rural_village"}).json()["id"]

    def accepted():
        body = {"channel": "hotline", "grid_id": grid, "category": "request", "content": "容器环境测试来电。",
                "reporter": None, "received_by": {"kind": "call_taker", "id": "ct"}}
        return requests.post(base["intake"] + "/v1/cases", headers=headers, json=body).status_code == 201

    docker_services.wait_until_responsive(check=accepted, timeout=120, pause=1)
