"""Experiment, not the service: intake with no duplicate search at all (neither before nor inside the write
transaction). What the whole search costs under load.

    .venv/bin/python bench/intake_bench.py --intake-app no_duplicates:app --intake-pythonpath bench/variants
"""
from intake.queries import duplicates

# The seams this experiment replaces (services/intake/tests/test_bench_variants.py checks they exist).
PATCHES = {duplicates: ("find_related", "same_content_or_household")}

duplicates.find_related = lambda connection, case, now, grid_ids=None: None
duplicates.same_content_or_household = lambda connection, case, now, grid_ids=None: None

from intake.wsgi import app  # noqa: E402,F401
