"""deploy/k8s: valid against the Kubernetes schemas (offline, kubernetes-validate), the same processes as the
compose file, probes on /healthz and /readyz, an autoscaler for intake's web pods, disruption budgets, one Job
for the migrations, and generated from scripts/render-k8s without drift."""
from __future__ import annotations

import importlib.util
import re

import pytest
from ruamel.yaml import YAML

from deploytools import ROOT

K8S = ROOT / "deploy" / "k8s"
VERSIONS = ("1.30.0", "1.37.0")  # the oldest Kubernetes still widely run, and the newest the package knows


def documents() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [(path.name, doc) for doc in YAML(typ="safe").load_all(path.read_text()) if doc]
    return docs


def kinds(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in documents() if doc["kind"] == kind}


def render_module():
    spec = importlib.util.spec_from_file_location("render_k8s", ROOT / "scripts" / "render-k8s",
                                                  loader=importlib.machinery.SourceFileLoader(
                                                      "render_k8s", str(ROOT / "scripts" / "render-k8s")))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(version):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    errors = []
    for name, doc in documents():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{name} {doc['kind']}/{doc['metadata']['name']}: {exc.message}")
    assert errors == []


def test_the_schema_check_rejects_a_broken_manifest():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    deployment = dict(kinds("Deployment")["intake"])
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 3}}  # a typo of replicas
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)


def test_the_committed_manifests_are_what_the_generator_writes():
    rendered = render_module().render()
    stale = [name for name, text in rendered.items() if (K8S / name).read_text() != text]
    assert stale == [], "run .venv/bin/python scripts/render-k8s"
    assert {p.name for p in K8S.glob("*.yaml")} == set(rendered)


def test_the_same_processes_as_the_compose_file():
    compose = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())["services"]
    deployments = kinds("Deployment")
    wanted = {name for name, s in compose.items() if re.match(r"(gunicorn|wangge (relay|consume|schedule))",
                                                                str(s.get("command", "")))}
    assert wanted | {"proxy"} == set(deployments)
    for name in wanted:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert " ".join(container["command"]) == " ".join(compose[name]["command"].split()), name


def test_web_pods_are_ready_on_readyz_and_alive_on_healthz_and_the_others_run_the_health_check():
    for name, deployment in kinds("Deployment").items():
        if name == "proxy":
            continue
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert pod["securityContext"]["runAsNonRoot"] is True and container["securityContext"]["readOnlyRootFilesystem"]
        if container["name"] == "web":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        else:
            probe = container["livenessProbe"]["exec"]["command"]
            assert probe[:2] == ["python", "/app/deploy/healthcheck.py"], name
            assert probe[2] == ("consumer" if container["name"] == "consumer" else "metrics"), name


def test_intake_web_scales_by_an_autoscaler_that_owns_its_replica_count():
    hpa = kinds("HorizontalPodAutoscaler")
    assert set(hpa) == {"intake"}
    target = hpa["intake"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "intake")
    assert "replicas" not in kinds("Deployment")["intake"]["spec"]
    assert 2 <= hpa["intake"]["spec"]["minReplicas"] < hpa["intake"]["spec"]["maxReplicas"]
    resources = kinds("Deployment")["intake"]["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["cpu"], "CPU utilisation needs a CPU request"


def test_every_deployment_has_a_disruption_budget_selecting_its_pods():
    budgets = kinds("PodDisruptionBudget")
    for name, deployment in kinds("Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets.values()
                    if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(matching) == 1, name


def test_one_job_migrates_every_component_then_creates_the_topics():
    jobs = kinds("Job")
    assert set(jobs) == {"wangge-migrate"}
    spec = jobs["wangge-migrate"]["spec"]["template"]["spec"]
    commands = [" ".join(c["command"]) for c in spec["initContainers"]]
    assert commands == ["wangge migrate roster", "wangge migrate intake", "wangge migrate routing",
                        "wangge migrate notify", "wangge migrate reporting", "wangge-portal migrate"]
    assert spec["containers"][0]["command"] == ["wangge", "topics", "create"]


def test_secret_files_are_mounted_where_the_configuration_points():
    config = kinds("ConfigMap")["wangge-config"]["data"]
    for _, doc in documents():
        if doc["kind"] not in ("Deployment", "Job") or doc["metadata"]["name"] == "proxy":
            continue
        pod = doc["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod.get("initContainers", []) + pod["containers"]:
            mounted = set()
            for mount in container["volumeMounts"]:
                volume = volumes[mount["name"]]
                if "secret" in volume:
                    mounted |= {f"{mount['mountPath']}/{item['path']}" for item in volume["secret"]["items"]}
            files = {v for k, v in config.items() if k.endswith("_FILE")}
            files |= {e["value"] for e in container.get("env", []) if e["name"].endswith("_FILE")}
            assert files <= mounted, (doc["metadata"]["name"], container["name"], files - mounted)


def test_the_proxy_runs_the_same_caddyfile_as_compose():
    data = kinds("ConfigMap")["wangge-proxy"]["data"]["Caddyfile"]
    assert data == (ROOT / "deploy" / "proxy" / "Caddyfile").read_text()


def test_every_kafka_client_authenticates_as_its_own_principal_with_only_its_password_mounted():
    config = kinds("ConfigMap")["wangge-config"]["data"]
    assert (config["WANGGE_KAFKA_SECURITY_PROTOCOL"], config["WANGGE_KAFKA_SASL_MECHANISM"]) == (
        "SASL_PLAINTEXT", "SCRAM-SHA-512")
    seen = set()
    for _, doc in documents():
        if doc["kind"] not in ("Deployment", "Job") or doc["metadata"]["name"] == "proxy":
            continue
        pod = doc["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod.get("initContainers", []) + pod["containers"]:
            variables = {e["name"]: e.get("value") for e in container.get("env", [])}
            users = {k: v for k, v in variables.items() if k.endswith("KAFKA_SASL_USERNAME")}
            keys = {item["key"] for mount in container["volumeMounts"] if "secret" in volumes[mount["name"]]
                    for item in volumes[mount["name"]]["secret"]["items"]}
            kafka_keys = {k for k in keys if k.startswith("kafka_")}
            if container["name"] in ("migrate-portal",) or doc["metadata"]["name"].startswith("portal"):
                assert not users and not kafka_keys, container["name"]  # the portal is no Kafka client
                continue
            (variable, principal), = users.items()
            prefix = "WANGGE" if principal == "topics" else f"WANGGE_{principal.upper()}"
            assert variable == f"{prefix}_KAFKA_SASL_USERNAME", container["name"]
            assert variables[f"{prefix}_KAFKA_SASL_PASSWORD_FILE"] == f"/run/secrets/kafka_{principal}"
            assert kafka_keys == {f"kafka_{principal}"}, (doc["metadata"]["name"], container["name"])
            seen.add(principal)
    assert seen == {"roster", "intake", "routing", "notify", "reporting", "topics"}
    readme = (K8S / "README.md").read_text()
    assert "deploy/kafka/acls.txt" in readme and "kafka_topics" in readme
