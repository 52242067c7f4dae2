"""Broker authentication in docker-compose.yml, read statically: the broker refuses unauthenticated clients, every
wangge process authenticates as its own principal, each principal may write only its own topics (deploy/kafka/
acls.txt, generated from the code), and deploy/kafka/setup.sh creates every user and ACL without ever putting a
password on a command line (run against stand-ins of Kafka's tools that log their arguments)."""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, replace

import pytest
from ruamel.yaml import YAML

from wangge_common.cli import load_spec
from wangge_common.consumer import default_group_id
from wangge_common.contracts import RELAY_MARKERS_TOPIC, TOPICS, all_topic_specs
from wangge_common.kafka import client_security
from wangge_common.settings import SERVICES, Settings

from deploytools import ROOT

COMPOSE = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())
SERVICES_ = COMPOSE["services"]
KAFKA_ENV = {k: str(v) for k, v in SERVICES_["kafka"]["environment"].items()}
ACLS = ROOT / "deploy" / "kafka" / "acls.txt"
SETUP = ROOT / "deploy" / "kafka" / "setup.sh"
PRINCIPALS = (*SERVICES, "topics")


def render_module():
    path = str(ROOT / "scripts" / "render-kafka-acls")
    loader = importlib.machinery.SourceFileLoader("render_kafka_acls", path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("render_kafka_acls", loader))
    loader.exec_module(module)
    return module


def parse_acls(text: str) -> dict[str, dict[str, set[str]]]:
    """principal -> operation -> resources, from the ACL file's lines."""
    table: dict[str, dict[str, set[str]]] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        principal, operation, *resources = line.split()
        table.setdefault(principal, {}).setdefault(operation, set()).update(resources)
    return table


def env(service: dict) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def listeners() -> dict[str, str]:
    """listener name -> host:port it binds."""
    found = {}
    for item in KAFKA_ENV["KAFKA_LISTENERS"].split(","):
        name, address = item.split("://")
        found[name] = address
    return found


# --- the broker -------------------------------------------------------------------------------------------------

def test_the_broker_refuses_unauthenticated_clients_off_its_loopback():
    protocols = dict(item.split(":") for item in KAFKA_ENV["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    for name, address in listeners().items():
        host = address.rsplit(":", 1)[0]
        if protocols[name] in ("PLAINTEXT", "SSL"):  # no authentication of the client
            assert host == "127.0.0.1", f"{name} takes unauthenticated clients on {address or 'every interface'}"
        else:
            assert protocols[name] in ("SASL_PLAINTEXT", "SASL_SSL"), name
    advertised = dict(item.split("://") for item in KAFKA_ENV["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert advertised["SASL_PLAINTEXT"] == "kafka:9092" and listeners()["SASL_PLAINTEXT"] == ":9092"
    assert all(address.startswith("127.0.0.1:") for name, address in advertised.items() if name != "SASL_PLAINTEXT")
    assert KAFKA_ENV["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@127.0.0.1:9093"
    assert KAFKA_ENV["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    jaas = KAFKA_ENV["KAFKA_LISTENER_NAME_SASL__PLAINTEXT_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
    assert jaas.startswith("org.apache.kafka.common.security.scram.ScramLoginModule required")
    assert "ports" not in SERVICES_["kafka"]


def test_the_broker_denies_what_no_acl_allows():
    assert KAFKA_ENV["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert KAFKA_ENV["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    # the only super user is the credential-less principal of the loopback listeners
    assert KAFKA_ENV["KAFKA_SUPER_USERS"] == "User:ANONYMOUS"
    assert KAFKA_ENV["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_the_health_check_and_the_setup_job_use_the_loopback_admin_listener():
    test = SERVICES_["kafka"]["healthcheck"]["test"]
    assert test[test.index("--bootstrap-server") + 1] == listeners()["LOCAL"] == "127.0.0.1:9094"
    setup = SERVICES_["kafka-setup"]
    assert setup["network_mode"] == "service:kafka" and setup["restart"] == "no"
    assert setup["image"] == SERVICES_["kafka"]["image"], "the admin tools of the broker's own version"
    assert setup["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert env(setup)["WANGGE_KAFKA_ADMIN_BOOTSTRAP"] == "127.0.0.1:9094"
    assert setup["entrypoint"] == ["/bin/bash", "/etc/wangge/kafka/setup.sh"]
    assert "./deploy/kafka:/etc/wangge/kafka:ro" in setup["volumes"]
    assert env(setup)["WANGGE_KAFKA_ACLS"] == "/etc/wangge/kafka/acls.txt"
    assert "/tmp" in setup["tmpfs"]  # where the passwords' properties files are written
    assert set(setup["secrets"]) == {f"kafka_{p}" for p in PRINCIPALS}
    assert SERVICES_["topics"]["depends_on"] == {"kafka-setup": {"condition": "service_completed_successfully"}}


# --- the clients --------------------------------------------------------------------------------------------------

def kafka_processes() -> dict[str, tuple[str, dict]]:
    """Every wangge container of a service (its web, relay, consumer, scheduler and migration) -> (service, it)."""
    found = {}
    for name, service in SERVICES_.items():
        command = str(service.get("command", ""))
        match = (re.match(r"wangge (?:relay|consume|schedule|migrate) (\w+)$", command)
                 or re.match(r"gunicorn .* (\w+)\.wsgi:app$", command))
        if match and match.group(1) in SERVICES:
            found[name] = (match.group(1), service)
    return found


def test_every_process_of_a_service_authenticates_as_that_service_with_its_mounted_secret(tmp_path):
    processes = kafka_processes()
    assert {service for service, _ in processes.values()} == set(SERVICES)
    assert {name for name, (service, _) in processes.items() if name.endswith(("-relay", "-consumer"))} == {
        f"{s}-relay" for s in SERVICES if load_spec(s).publishes} | {
        f"{s}-consumer" for s in SERVICES if load_spec(s).consumes}
    for name, (service, container) in processes.items():
        variables = env(container)
        upper = service.upper()
        assert variables["WANGGE_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", name
        assert variables["WANGGE_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512", name
        assert variables[f"WANGGE_{upper}_KAFKA_SASL_USERNAME"] == service, name
        secret = f"kafka_{service}"
        assert variables[f"WANGGE_{upper}_KAFKA_SASL_PASSWORD_FILE"] == f"/run/secrets/{secret}", name
        assert secret in container["secrets"] and secret in COMPOSE["secrets"], name
        # no other service's password is mounted into it
        assert not {s for s in container["secrets"] if s.startswith("kafka_")} - {secret}, name
        # and the code reads exactly these: the settings' principal, and a client configured with its password
        password = tmp_path / secret
        password.write_text(f"pw-of-{service}-0123456789\n")
        # (the other secret files and ${...} interpolations are not there outside the container)
        local = {k: v for k, v in variables.items() if "${" not in v and not k.endswith("_FILE")}
        local[f"WANGGE_{upper}_KAFKA_SASL_PASSWORD_FILE"] = str(password)
        settings = Settings.from_env(service, local)
        config = client_security(settings)
        assert (config["security_protocol"], config["sasl_mechanism"]) == ("SASL_PLAINTEXT", "SCRAM-SHA-512")
        assert config["sasl_plain_username"] == service, name
        assert config["sasl_plain_password"] == f"pw-of-{service}-0123456789", name


def test_the_topics_job_authenticates_as_topics(tmp_path):
    topics = SERVICES_["topics"]
    variables = env(topics)
    assert variables["WANGGE_KAFKA_SASL_USERNAME"] == "topics"
    assert variables["WANGGE_KAFKA_SASL_PASSWORD_FILE"] == "/run/secrets/kafka_topics"
    assert topics["secrets"] == ["kafka_topics"]
    password = tmp_path / "kafka_topics"
    password.write_text("topics-password-0123456789")
    # `wangge topics create` reads intake's settings (cli.cmd_topics): no intake principal may shadow `topics`
    settings = Settings.from_env("intake", {**variables, "WANGGE_KAFKA_SASL_PASSWORD_FILE": str(password)})
    assert client_security(settings)["sasl_plain_username"] == "topics"


def test_every_kafka_secret_is_a_file_under_deploy_secrets():
    for principal in PRINCIPALS:
        assert COMPOSE["secrets"][f"kafka_{principal}"] == {"file": f"./deploy/secrets/kafka_{principal}"}
    readme = (ROOT / "deploy" / "README.md").read_text()
    for principal in PRINCIPALS:
        assert f"kafka_{principal}" in readme, principal


# --- the ACLs -----------------------------------------------------------------------------------------------------

ACL_TABLE = parse_acls(ACLS.read_text())


def test_the_committed_acl_file_is_what_the_generator_writes():
    assert ACLS.read_text() == render_module().render(), "run .venv/bin/python scripts/render-kafka-acls"


def test_there_is_a_principal_per_service_and_one_for_the_topics_job():
    assert set(ACL_TABLE) == set(PRINCIPALS)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_writes_only_its_own_topics_and_its_dead_letters(service):
    spec = load_spec(service)
    owned = {name for name, topic in TOPICS.items() if service in topic.writers}
    assert owned == set(spec.publishes)
    writes = {r.removeprefix("topic:") for r in ACL_TABLE[service].get("Write", set())}
    dead_letters = {TOPICS[name].dead_letter for name in spec.consumes}
    markers = {RELAY_MARKERS_TOPIC} if spec.publishes else set()
    assert writes == owned | dead_letters | markers
    others = {name for name, topic in TOPICS.items() if service not in topic.writers}
    assert not writes & others, f"{service} may write another service's topic"
    assert set(ACL_TABLE[service]) <= {"Read", "Write"}, "no Create, Alter, Delete or cluster rights"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reads_what_it_consumes_as_its_own_group(service):
    spec = load_spec(service)
    reads = ACL_TABLE[service].get("Read", set())
    topics = {r.removeprefix("topic:") for r in reads if r.startswith("topic:")}
    groups = {r.removeprefix("group:") for r in reads if r.startswith("group:")}
    markers = {RELAY_MARKERS_TOPIC} if spec.publishes else set()
    assert topics == set(spec.consumes) | markers
    assert groups == ({default_group_id(service)} if spec.consumes else set())


def test_the_topics_principal_creates_and_describes_the_suites_topics_only():
    wanted = {f"topic:{name}" for name in all_topic_specs()}
    assert ACL_TABLE["topics"] == {"Create": wanted, "Describe": wanted}
    assert not any("*" in r for ops in ACL_TABLE.values() for rs in ops.values() for r in rs), "no wildcard"


@dataclass(frozen=True)
class FakeSpec:
    publishes: tuple = ()
    consumes: tuple = ()


def test_the_generator_refuses_a_writer_the_topic_registry_does_not_name():
    module = render_module()
    specs = {s: FakeSpec(load_spec(s).publishes, load_spec(s).consumes) for s in SERVICES}
    table = module.grants(specs, TOPICS, markers_topic=RELAY_MARKERS_TOPIC, all_topics=sorted(all_topic_specs()),
                          group_id=default_group_id)
    assert "topic:notify.v1" in table["notify"]["Write"]
    specs["notify"] = replace(specs["notify"], publishes=("notify.v1", "cases.v1"))
    wanted = (r"cases\.v1: Topic.writers \['intake', 'routing'\] "
              r"but publishes in ServiceSpec \['intake', 'notify', 'routing'\]")
    with pytest.raises(module.RegistryMismatch, match=wanted):
        module.grants(specs, TOPICS, markers_topic=RELAY_MARKERS_TOPIC, all_topics=[], group_id=default_group_id)
    specs["notify"] = replace(specs["notify"], publishes=("notify.v1",), consumes=("audit.v9",))
    with pytest.raises(module.RegistryMismatch, match="audit.v9"):
        module.grants(specs, TOPICS, markers_topic=RELAY_MARKERS_TOPIC, all_topics=[], group_id=default_group_id)


# --- the setup script, against stand-ins of Kafka's tools -----------------------------------------------------------

STUB = """#!/bin/bash
# Logs its name and arguments, one per line, and the content of an --add-config-file it is given.
{ echo "== $(basename "$0")"; printf '%s\\n' "$@"; } >> "$STUB_LOG"
prev=
for arg in "$@"; do
    if [[ $prev == --add-config-file ]]; then
        { echo "-- file $arg mode $(stat -c %a "$arg")"; cat "$arg"; } >> "$STUB_LOG"
    fi
    prev=$arg
done
exit "${STUB_EXIT:-0}"
"""


@pytest.fixture
def stubs(tmp_path):
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("bash is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("kafka-configs.sh", "kafka-acls.sh"):
        (bin_dir / tool).write_text(STUB)
        (bin_dir / tool).chmod(0o755)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    passwords = {p: f"{p}-Secret-{i}0123456789abcdef" for i, p in enumerate(PRINCIPALS)}
    for principal, password in passwords.items():
        (secrets / f"kafka_{principal}").write_text(password + "\n")
    work = tmp_path / "tmp"
    work.mkdir()
    log = tmp_path / "log"

    def run(**extra):
        log.unlink(missing_ok=True)
        environ = {"PATH": os.environ["PATH"], "WANGGE_KAFKA_BIN": str(bin_dir),
                   "WANGGE_KAFKA_SECRETS_DIR": str(secrets), "WANGGE_KAFKA_ACLS": str(ACLS),
                   "TMPDIR": str(work), "STUB_LOG": str(log), **extra}
        result = subprocess.run([bash, str(SETUP)], env=environ, capture_output=True, text=True, timeout=60)
        return result, (log.read_text() if log.exists() else "")

    return run, passwords, secrets, work


def calls(log: str) -> list[list[str]]:
    """The tools' invocations: [tool, arg, ...] (file contents left out)."""
    found, current, in_file = [], None, False
    for line in log.splitlines():
        if line.startswith("== "):
            current, in_file = [line[3:]], False
            found.append(current)
        elif line.startswith("-- file "):
            in_file = True
        elif not in_file:
            current.append(line)
    return found


def test_the_setup_script_creates_every_user_from_its_secret_without_a_password_in_argv(stubs):
    run, passwords, _, work = stubs
    result, log = run()
    assert result.returncode == 0, result.stderr
    users = [c for c in calls(log) if c[0] == "kafka-configs.sh"]
    assert sorted(c[c.index("--entity-name") + 1] for c in users) == sorted(PRINCIPALS)
    for call in users:
        principal = call[call.index("--entity-name") + 1]
        assert call[call.index("--bootstrap-server") + 1] == "127.0.0.1:9094"
        assert {"--alter", "--add-config-file"} <= set(call) and "--add-config" not in call
        assert call[call.index("--entity-type") + 1] == "users"
        config = call[call.index("--add-config-file") + 1]
        assert config.startswith(str(work)), "the properties file is on the job's tmpfs"
        assert f"-- file {config} mode 600\nSCRAM-SHA-512=iterations=8192,password={passwords[principal]}\n" in log
    for call in calls(log):
        for password in passwords.values():
            assert not any(password in arg for arg in call), call
    for password in passwords.values():
        assert password not in result.stdout + result.stderr
    assert list(work.iterdir()) == [], "the password files are removed"


def test_the_setup_script_adds_every_acl_of_the_file(stubs):
    run, _, _, _ = stubs
    result, log = run()
    assert result.returncode == 0, result.stderr
    added: dict[str, dict[str, set[str]]] = {}
    for call in (c for c in calls(log) if c[0] == "kafka-acls.sh"):
        assert "--add" in call and call[call.index("--bootstrap-server") + 1] == "127.0.0.1:9094"
        principal = call[call.index("--allow-principal") + 1].removeprefix("User:")
        operation = call[call.index("--operation") + 1]
        resources = {f"{flag[2:]}:{call[i + 1]}" for i, flag in enumerate(call) if flag in ("--topic", "--group")}
        added.setdefault(principal, {}).setdefault(operation, set()).update(resources)
    assert added == ACL_TABLE


def test_the_setup_script_stops_before_touching_the_broker_when_a_secret_is_missing(stubs):
    run, _, secrets, _ = stubs
    (secrets / "kafka_notify").unlink()
    result, log = run()
    assert result.returncode != 0 and "kafka_notify" in result.stderr
    assert log == "", "nothing was sent to the broker"


@pytest.mark.parametrize("content, reason", [("", "empty"), ("short", "16 characters"),
                                             ("has,comma]and-more-chars", "letters, digits")])
def test_the_setup_script_refuses_an_unusable_password(stubs, content, reason):
    run, _, secrets, _ = stubs
    (secrets / "kafka_routing").write_text(content)
    result, log = run()
    assert result.returncode != 0 and reason in result.stderr and "kafka_routing" in result.stderr
    assert log == ""


def test_the_setup_script_fails_when_a_kafka_tool_fails(stubs):
    run, _, _, work = stubs
    result, log = run(STUB_EXIT="1")
    assert result.returncode != 0
    assert len(calls(log)) == 1, "it stops at the first failure"
    assert list(work.iterdir()) == [], "the password file is removed on failure too"


def test_the_setup_script_hands_an_admin_config_to_every_tool_call(stubs, tmp_path):
    run, _, _, _ = stubs
    admin = tmp_path / "admin.properties"
    admin.write_text("security.protocol=SASL_SSL\n")
    result, log = run(WANGGE_KAFKA_ADMIN_CONFIG=str(admin), WANGGE_KAFKA_ADMIN_BOOTSTRAP="kafka-0:9095")
    assert result.returncode == 0, result.stderr
    for call in calls(log):
        assert call[call.index("--command-config") + 1] == str(admin), call
        assert call[call.index("--bootstrap-server") + 1] == "kafka-0:9095", call
    result, log = run(WANGGE_KAFKA_ADMIN_CONFIG=str(tmp_path / "missing"))
    assert result.returncode != 0 and "WANGGE_KAFKA_ADMIN_CONFIG" in result.stderr and log == ""


def test_the_setup_script_refuses_a_malformed_acl_line(stubs, tmp_path):
    run, _, _, _ = stubs
    broken = tmp_path / "acls.txt"
    broken.write_text(ACLS.read_text() + "intake Write cluster:kafka-cluster\n")
    result, log = run(WANGGE_KAFKA_ACLS=str(broken))
    assert result.returncode != 0 and "cluster:kafka-cluster" in result.stderr
    assert log == "", "the whole file is checked before anything is sent to the broker"
