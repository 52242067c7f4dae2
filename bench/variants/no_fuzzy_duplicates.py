"""Experiment, not the service: intake without the near-identical scan of the grid's 20 newest open cases (the
same-content and same-household look-ups stay). What the fuzzy part of the duplicate search costs under load.

    .venv/bin/python bench/intake_bench.py --intake-app no_fuzzy_duplicates:app --intake-pythonpath bench/variants
"""
from intake.queries import duplicates

# The seams this experiment replaces (services/intake/tests/test_bench_variants.py checks they exist).
PATCHES = {duplicates: ("find_related",)}

duplicates.find_related = duplicates.same_content_or_household

from intake.wsgi import app  # noqa: E402,F401
