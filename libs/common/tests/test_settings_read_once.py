"""Settings are read one way: WANGGE_* through Settings.from_env; the few variables read elsewhere are listed (and
explained) in settings.py's docstring, and this test keeps the list honest."""
from __future__ import annotations

import ast
from pathlib import Path

import wangge_common
from wangge_common.settings import Settings

PACKAGE = Path(wangge_common.__file__).parent
# module -> the environment variables it may read itself (see the docstring of wangge_common.settings)
READ_ELSEWHERE = {
    "settings.py": {None},  # from_env(env=None) and log_level(env=None): os.environ is where Settings come from
    "telemetry.py": {"OTEL_SERVICE_NAME", "OTEL_TRACES_EXPORTER"},
    "metrics.py": {"PROMETHEUS_MULTIPROC_DIR"},
    "gunicorn_conf.py": {"GUNICORN_WORKER_CLASS", "GUNICORN_THREADS", "GUNICORN_GRACEFUL_TIMEOUT",
                         "GUNICORN_ACCESSLOG", "PROMETHEUS_MULTIPROC_DIR"},
    "browser.py": {"WANGGE_CHROMIUM"},
    "testing.py": {"TEST_DATABASE_URL", "WANGGE_REQUIRE_BROWSER"},
    "migrations.py": {None},  # migration_secret: alembic run by hand, no Settings
}


def _environment_reads(tree: ast.AST):
    """The variable names read through os.environ / os.getenv in a module (None where the name is not a literal)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            yield node
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "environ":
            arg = node.args[0] if node.args else None
            yield arg.value if isinstance(arg, ast.Constant) else None


def test_only_the_listed_modules_read_the_environment_and_only_what_is_listed():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        reads = list(_environment_reads(ast.parse(path.read_text(encoding="utf-8"))))
        if not reads:
            continue
        names = {r for r in reads if not isinstance(r, ast.AST)}
        allowed = READ_ELSEWHERE.get(path.name)
        if allowed is None or not names <= allowed | {None}:
            offenders[str(path.relative_to(PACKAGE))] = sorted(map(str, names))
    assert offenders == {}, "read these through Settings, or list and explain them in settings.py"


def test_the_log_level_is_a_setting():
    assert Settings.from_env("roster", {"WANGGE_LOG_LEVEL": "debug"}).log_level == "DEBUG"
    assert Settings.from_env("roster", {}).log_level == "INFO"
