"""The development stack is its own package: the production library never imports it, `wangge run` still works;
and every service keeps the one shape of docs/architecture.md (module names, no import cycle, small files and
functions), its known exceptions only shrinking."""
from __future__ import annotations

import ast
import importlib
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


# --- the shape every service keeps (docs/architecture.md, "Inside a service: one shape") --------------------------
# The services are being moved into that shape one by one. KNOWN_EXCEPTIONS lists what does not fit it yet; each
# list may only shrink: a new offender fails the test, and so does a listed one that was fixed (delete its line).
ROOT = Path(__file__).resolve().parents[3]
SERVICE_DIRS = sorted(p for p in (ROOT / "services").iterdir() if (p / p.name / "__init__.py").exists())
REQUIRED = ("app.py", "service.py", "settings.py", "models.py", "migrations/")
MODULE_OR_PACKAGE = ("api", "schemas", "commands", "queries")
MAX_LINES, MAX_COMPLEXITY = 400, 15

KNOWN_EXCEPTIONS = {
    # "<service>: <module>" the service does not have. The portal is the backend-for-frontend for people: it plugs
    # into no ServiceSpec (it consumes and publishes nothing) and serves pages from views/, not an API of its own
    # (docs/architecture.md).
    "missing": {"portal: api", "portal: service.py"},
    # import cycles among a service's modules, imports inside functions included (modules sorted, " <-> ")
    "cycles": set(),
    # source files over MAX_LINES lines (tests and migrations aside)
    "long_files": set(),
    # functions (path::qualified name) over cyclomatic complexity MAX_COMPLEXITY, as radon counts it
    "complex_functions": set(),
    # "<module> -> <module>" imports across layers that LAYERS does not allow. Roster's imports parse each row of a
    # file with the API's own request schemas: a row is the same request as a POST body and is refused for the same
    # reasons (docs/architecture.md, "Where a service departs").
    "layers": {"roster.commands.transfer -> roster.schemas.deputies",
               "roster.commands.transfer -> roster.schemas.grids"},
}

# What each layer of a service may import of the service's other layers (the table in docs/architecture.md; a
# layer always imports itself). `None`: anything. Modules outside the table (roster's planner, reporting's merkle,
# notify's channel adapters …) are helpers, not layers: anyone may import them, and they are not checked here.
LAYERS = {
    "app": None, "service": None, "wsgi": None,
    "settings": {"domain"},
    "models": set(),
    "domain": set(),
    "schemas": {"domain"},
    "api": {"schemas", "commands", "queries", "domain"},
    "commands": {"domain", "models", "queries", "settings"},
    "queries": {"domain", "models"},
    "consumers": {"commands", "queries", "domain", "models"},
    "jobs": {"commands", "queries", "domain", "models", "settings"},
    "pages": {"queries", "domain"},
    "views": {"schemas", "commands", "queries", "domain", "settings"},  # the portal's pages: its api
    "cli": {"commands", "queries", "domain", "models", "settings"},
}


def missing_modules() -> set[str]:
    """`<service>: <module>` for each module of the shape a service lacks."""
    found = set()
    for service_dir in SERVICE_DIRS:
        name, package = service_dir.name, service_dir / service_dir.name
        for required in REQUIRED:
            if not (package / required.rstrip("/")).exists():
                found.add(f"{name}: {required}")
        for module in MODULE_OR_PACKAGE:
            if not (package / f"{module}.py").exists() and not (package / module / "__init__.py").exists():
                found.add(f"{name}: {module}")
        if (package / "service.py").exists() and importlib.import_module(f"{name}.service").SPEC.consumes:
            consumers = package / "consumers.py"
            if not consumers.exists():  # or a package of the same name (notify's: cases, roster, projects)
                consumers = package / "consumers" / "__init__.py"
            if not consumers.exists():
                found.update({f"{name}: consumers.py", f"{name}: consumers.HANDLERS"})
            elif not _has_handlers_dict(consumers):
                found.add(f"{name}: consumers.HANDLERS")
    return found


def _has_handlers_dict(path: Path) -> bool:
    """A module-level `HANDLERS = {...}` written out as a dict (not computed)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else \
            node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and target.id == "HANDLERS":
            return isinstance(node.value, ast.Dict)
    return False


def _modules(package: Path) -> dict[str, Path]:
    """Dotted name (from the package's root) of every module in the package, migrations aside."""
    found = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules `module` imports anywhere in its file (inside functions too)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {t for t in targets if t in modules and t != module}


def import_cycles() -> set[str]:
    """Every set of a service's modules that import each other in a ring."""
    return set().union(*(cycles_in(d / d.name) for d in SERVICE_DIRS))


def cycles_in(package: Path) -> set[str]:
    """The rings among a package's modules (Tarjan's strongly connected components of its import graph)."""
    found, modules = set(), _modules(package)
    graph = {m: _imported(m, p, modules) for m, p in modules.items()}
    index, low, stack, on_stack = {}, {}, [], set()

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            ring = []
            while not ring or ring[-1] != node:
                ring.append(stack.pop())
                on_stack.discard(ring[-1])
            if len(ring) > 1:
                found.add(" <-> ".join(sorted(ring)))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def layer_crossings() -> set[str]:
    """Every import of one of a service's layers into another that LAYERS does not allow."""
    return set().union(*(crossings_in(d / d.name) for d in SERVICE_DIRS))


def crossings_in(package: Path) -> set[str]:
    found, modules = set(), _modules(package)
    layer = {m: m.split(".")[1] if "." in m else None for m in modules}
    for module, path in modules.items():
        allowed = LAYERS.get(layer[module], None)
        if allowed is None:
            continue
        for target in _imported(module, path, modules):
            if layer[target] in LAYERS and layer[target] not in allowed | {layer[module]}:
                found.add(f"{module} -> {target}")
    return found


def test_an_import_across_layers_is_found(tmp_path):
    package = tmp_path / "svc"
    (package / "queries").mkdir(parents=True)
    for name in ("__init__.py", "queries/__init__.py", "commands.py", "models.py", "planner.py"):
        (package / name).write_text("")
    (package / "queries" / "cases.py").write_text(
        "from .. import models, planner\n\ndef f():\n    from ..commands import x\n")
    assert crossings_in(package) == {"svc.queries.cases -> svc.commands"}


def test_a_cycle_hidden_in_a_function_is_found(tmp_path):
    package = tmp_path / "svc"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .sub import b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("def later():\n    from ..a import x\n")
    (package / "c.py").write_text("from . import a\n")
    assert cycles_in(package) == {"svc.a <-> svc.sub.b"}


def _source_files():
    for top in ("services", "libs"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts or ".venv" in parts:
                continue
            yield path


def long_files() -> set[str]:
    return {str(p.relative_to(ROOT)) for p in _source_files()
            if len(p.read_text(encoding="utf-8").splitlines()) > MAX_LINES}


def complex_functions() -> set[str]:
    from radon.complexity import cc_visit

    def walk(blocks, prefix=""):
        for block in blocks:
            name = f"{prefix}{block.fullname if hasattr(block, 'fullname') else block.name}"
            if hasattr(block, "closures"):
                yield name, block.complexity
                yield from walk(block.closures, f"{name}.")

    found = set()
    for path in _source_files():
        functions = [b for b in cc_visit(path.read_text(encoding="utf-8")) if hasattr(b, "closures")]
        for name, complexity in walk(functions):
            if complexity > MAX_COMPLEXITY:
                found.add(f"{path.relative_to(ROOT)}::{name}")
    return found


@pytest.mark.parametrize("kind, measure", [("missing", missing_modules), ("cycles", import_cycles),
                                           ("long_files", long_files), ("complex_functions", complex_functions),
                                           ("layers", layer_crossings)])
def test_the_shape_holds_and_its_known_exceptions_only_shrink(kind, measure):
    found, known = measure(), KNOWN_EXCEPTIONS[kind]
    assert sorted(found - known) == [], f"new {kind}: fix them (docs/architecture.md), do not list them"
    assert sorted(known - found) == [], f"fixed {kind}: delete them from KNOWN_EXCEPTIONS"
