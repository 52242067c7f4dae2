"""Experiment, not the service: intake answering a canned 201 once auth, request parsing (webargs, marshmallow)
and flask-smorest have run. What the HTTP stack costs per request, before any registration work.

    .venv/bin/python bench/intake_bench.py --intake-app framework_only:app --intake-pythonpath bench/variants

Nothing is stored, so the durability check reports a mismatch (and the exit status is 1).
"""
import uuid

from intake.api import cases, common

# The seams this experiment replaces (services/intake/tests/test_bench_variants.py checks they exist).
PATCHES = {cases: ("idempotent", "registration")}


def _canned(work, **_kwargs):
    return common.answer(201, {"id": str(uuid.uuid4()), "tracking_code": "WG00000000"})


cases.idempotent = _canned  # what POST /v1/cases calls
cases.registration = lambda data, answer: None

from intake.wsgi import app  # noqa: E402,F401
