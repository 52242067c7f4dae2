"""Routing has the one shape of docs/architecture.md ("Inside a service: one shape"): its modules carry the shared
names, none grows past ~400 lines, and the consumers' table is written out by hand."""
from pathlib import Path

import routing
from routing import consumers
from routing.service import SPEC

PACKAGE = Path(routing.__file__).parent
SHAPE = {"__init__", "app", "settings", "service", "api", "schemas", "domain", "commands", "queries", "consumers",
         "jobs", "models", "migrations", "pages", "templates", "cli", "wsgi"}


def test_every_module_has_a_name_of_the_shape():
    names = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or (p.is_dir() and p.name != "__pycache__")}
    assert names <= SHAPE, sorted(names - SHAPE)


def test_no_file_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


def test_each_consumed_type_has_its_own_on_function():
    assert SPEC.handlers is consumers.HANDLERS and "*" not in SPEC.handlers
    for event_type, handler in SPEC.handlers.items():
        assert handler.__name__ == "on_" + event_type.replace(".", "_"), event_type
