"""bench/variants replace intake's functions to measure what they cost; a rename must fail here, not silently
leave an experiment measuring the real service."""
from __future__ import annotations

import ast
import importlib.util
import sys
import types
from pathlib import Path

import pytest

VARIANTS = Path(__file__).resolve().parents[3] / "bench" / "variants"


def assigned_attributes(path: Path) -> set[tuple[str, str]]:
    """(module alias, attribute) of every `alias.attribute = ...` at the top of a variant."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                    found.add((target.value.id, target.attr))
    return found


@pytest.mark.parametrize("path", sorted(VARIANTS.glob("*.py")), ids=lambda p: p.stem)
def test_every_name_a_variant_patches_exists(path, monkeypatch):
    import intake.api.cases  # noqa: F401 - the modules variants patch, imported as the service imports them
    import intake.queries.duplicates  # noqa: F401

    before = {name: dict(vars(module)) for name, module in sys.modules.items()
              if name.startswith("intake.") and module is not None}
    monkeypatch.setitem(sys.modules, "intake.wsgi", types.SimpleNamespace(app=None))  # no app built here
    spec = importlib.util.spec_from_file_location(f"bench_variant_{path.stem}", path)
    variant = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(variant)
        patches = variant.PATCHES
        for module, names in patches.items():
            missing = [n for n in names if n not in before[module.__name__]]
            assert not missing, f"{path.name} patches {module.__name__}.{missing}, which the service no longer has"
            assert all(not n.startswith("_") for n in names), f"{path.name} patches a private name: {names}"
        aliases = {alias for alias, module in vars(variant).items() if isinstance(module, types.ModuleType)}
        declared = {(alias, n) for alias in aliases for module, names in patches.items()
                    if vars(variant)[alias] is module for n in names}
        patched = {(a, n) for a, n in assigned_attributes(path) if a in aliases}
        assert patched <= declared, f"{path.name} patches {patched - declared} without declaring it in PATCHES"
    finally:  # the service's modules as they were: the rest of the suite runs the real thing
        for name, saved in before.items():
            current = vars(sys.modules[name]) if sys.modules.get(name) is not None else {}
            for attribute, value in saved.items():
                if current.get(attribute) is not value:
                    current[attribute] = value
