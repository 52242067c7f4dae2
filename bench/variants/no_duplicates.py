"""Experiment, not the service: intake with no duplicate search at all (neither before nor inside the write
transaction). What the whole search costs under load.

    .venv/bin/python bench/intake_bench.py --intake-app no_duplicates:app --intake-pythonpath bench/variants
"""
from intake.handlers import cases

cases._find_related = lambda connection, case, now, grid_ids=None: None
cases._same_content_or_household = lambda connection, case, now, grid_ids=None: None

from intake.wsgi import app  # noqa: E402,F401
