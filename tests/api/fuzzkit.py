"""Schemathesis against each service's own OpenAPI document: one migrated service on a free local port, the
pinned `st` CLI run against it with a key holding every scope, and the run's totals read from its JSON report.

Used by test_schemathesis.py (bounded examples, in `make test`) and runnable by hand for a longer run:
`.venv/bin/python tests/api/fuzzkit.py [--examples N] [--checks all] [service ...]`.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wangge_common.testing import ServiceHarness, live_server

SERVICES = ("roster", "intake", "routing", "notify", "reporting")
# What CI holds at zero: no 5xx, and every response (status, media type, headers, body) as the document says.
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance")
ST = str(Path(sys.executable).with_name("st"))


@dataclass
class Totals:
    service: str
    operations: int
    requests: int
    failures: dict  # check name -> how many distinct failures
    exit_code: int
    output: str
    where: dict = None  # check name -> operations it failed on

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


def harness(service: str, tmp_path: Path) -> ServiceHarness:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access line per generated request is noise
    app_module = importlib.import_module(f"{service}.app")
    spec = importlib.import_module(f"{service}.service").SPEC
    return ServiceHarness(spec, app_module.create_app, tmp_path)


def run(service: str, tmp_path: Path, *, examples: int = 10, checks: str = CHECKS, seed: int = 1,
        phases: str = "examples,coverage,fuzzing", timeout: float = 600) -> Totals:
    """Serve one service and run schemathesis against it; the totals come from schemathesis' own report."""
    svc = harness(service, tmp_path)
    report = tmp_path / f"{service}-report.json"
    try:
        with live_server(svc.app) as url:
            argv = [ST, "run", f"{url}/openapi.json", "--checks", checks, "--max-examples", str(examples),
                    "--seed", str(seed), "--phases", phases, "--generation-database", "none", "--no-color",
                    "--workers", "1", "--request-timeout", "30", "--warnings", "off",
                    # notify's template keys are `<path:key>`: most generated strings are filtered out, by design
                    "--suppress-health-check", "filter_too_much",
                    "-H", f"Authorization: Bearer {svc.keys['all']}",
                    "--report", "json", "--report-json-path", str(report)]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)
    finally:
        svc.close()
    return _totals(service, report, done.returncode, done.stdout + done.stderr)


def _totals(service: str, report: Path, exit_code: int, output: str) -> Totals:
    if not report.exists():
        return Totals(service, 0, 0, {"no report": 1}, exit_code, output)
    data = json.loads(report.read_text())
    failures = {f"{f['code']} {f['title']}": f["count"] for f in data.get("failures", [])}
    if data.get("errors"):
        failures["errors"] = len(data["errors"])
    return Totals(service, data["operations"]["tested"], data["test_cases"]["generated"], failures, exit_code, output,
                  {f"{f['code']} {f['title']}": f["operations"] for f in data.get("failures", [])})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("services", nargs="*", default=list(SERVICES))
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--checks", default=CHECKS)
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", action="store_true", help="list the operations each failing check failed on")
    parser.add_argument("--output", action="store_true", help="print schemathesis' own output")
    args = parser.parse_args(argv)
    bad = 0
    for service in args.services:
        with tempfile.TemporaryDirectory() as tmp:
            totals = run(service, Path(tmp), examples=args.examples, checks=args.checks, phases=args.phases,
                         seed=args.seed)
        if args.output:
            print(totals.output)
        print(f"{service}: {totals.operations} operations, {totals.requests} test cases, "
              f"failures {totals.failures or 0}, exit {totals.exit_code}", flush=True)
        if args.show:
            for check, operations in (totals.where or {}).items():
                print(f"  {check}: {', '.join(operations)}")
        bad += totals.failed
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
