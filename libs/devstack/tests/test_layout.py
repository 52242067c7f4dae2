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


def test_the_production_library_never_imports_the_development_stack():
    offenders = []
    for path in COMMON.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("wangge_devstack")]
    assert offenders == []
    assert not (COMMON / "stack.py").exists() and not (COMMON / "gate.py").exists()
