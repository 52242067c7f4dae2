"""Reporting's rules, pure Python (no Flask, no SQLAlchemy, no Kafka, no clock read): the audit chain
(`chain`), how events shape a case's figures (`cases`), the KPI definitions (`kpis`), the excellent-grid
ranking (`ranking`) and deputy performance (`performance`). Every name is also importable from `domain` itself."""
from .cases import (CASE_CHANGES, CASE_EVENT_PREFIXES, RATINGS, STATE_FOLLOWING_EVENTS, apply_case_event, new_case,
                    seconds_between)
from .chain import (GENESIS, Walk, canonical_entry, checkpoint_message, entry_bytes, entry_hash, walk_log)
from .kpis import (CELL_DIMENSIONS, COUNTERS, DIMENSIONS, KPIS, NO_KEY, PERIOD, add_counts, add_hour,
                   case_cells, case_contribution, case_keys, case_vector, cell_periods, is_period, kpi_row, p90_of,
                   percentile_hours, project_figures, rate)
from .performance import (CASE_COUNTS, CONTACT_KINDS, SETTLED_OUTCOMES, case_figures, cases_received,
                          contact_households, count_cases, deputy_performance, deputy_year, five_ones,
                          households_by_month, meetings_per_link, reach_by_quarter, reception_figures, visit_figures)
from .ranking import LOWER_IS_BETTER, RANKING_FORMULA, RANKING_FORMULA_ZH, RANKING_WEIGHTS, rank_grids

__all__ = ["CASE_CHANGES", "CASE_COUNTS", "CASE_EVENT_PREFIXES", "CELL_DIMENSIONS", "CONTACT_KINDS", "COUNTERS",
           "DIMENSIONS", "GENESIS", "KPIS", "LOWER_IS_BETTER", "NO_KEY", "PERIOD", "RANKING_FORMULA",
           "RANKING_FORMULA_ZH",
           "RANKING_WEIGHTS", "RATINGS", "SETTLED_OUTCOMES", "STATE_FOLLOWING_EVENTS", "Walk", "add_counts",
           "add_hour", "apply_case_event", "canonical_entry", "case_cells", "case_contribution", "case_figures",
           "case_keys", "case_vector", "cases_received", "cell_periods", "checkpoint_message", "contact_households",
           "count_cases", "deputy_performance", "deputy_year", "entry_bytes", "entry_hash", "five_ones",
           "households_by_month", "is_period", "kpi_row", "meetings_per_link", "new_case", "p90_of",
           "percentile_hours",
           "project_figures",
           "rank_grids", "rate", "reach_by_quarter", "reception_figures", "seconds_between", "visit_figures",
           "walk_log"]
