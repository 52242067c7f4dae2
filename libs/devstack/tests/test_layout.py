"""The development stack is its own package: the production library never imports it, `wangge run` still works."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from wangge_common import cli

COMMON = Path(cli.__file__).parent


def test_wangge_run_is_registered_from_devstack(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["run", "--help"])
    assert done.value.code == 0
    assert "--no-demo" in capsys.readouterr().out


SERVICES = ("roster", "intake", "routing", "notify", "reporting", "portal")


def imports_of_common(prefixes: tuple[str, ...]) -> list[str]:
    """Every import in the production library (libs/common) of a module starting with one of `prefixes`."""
    offenders = []
    for path in COMMON.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in prefixes]
    return offenders


def test_the_production_library_never_imports_the_development_stack():
    assert imports_of_common(("wangge_devstack",)) == []
    assert not (COMMON / "stack.py").exists() and not (COMMON / "gate.py").exists()


def test_the_shared_library_imports_no_service_and_reporting_brings_its_own_commands(capsys):
    assert imports_of_common(SERVICES) == []
    with pytest.raises(SystemExit) as done:
        cli.main(["reconcile", "--help"])
    assert done.value.code == 0
    assert "--republish" in capsys.readouterr().out
