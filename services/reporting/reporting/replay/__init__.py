"""Auditors' tools: `wangge export` (the audit log as JSON Lines) and `wangge replay` (rebuild every projection
into a fresh database from an export or from the Kafka topics, verify chain and signed checkpoints, diff every
KPI against the live service). Replay runs in memory and writes in bulk: the same `Projector` the consumer uses,
without one transaction per event.

By what each part does: `sources` (export files and Kafka topics), `rebuilding` (chain, tree and projections in
memory, the tree and projections in a forked process), `bulk` (loading a fresh database), `compare` (checkpoints,
KPI snapshots and their diff, the projection check), `report` (the command and its canonical JSON)."""
from ..models import CaseFact  # noqa: F401 - bench/reporting_replay.py counts replay.CaseFact rows
from .bulk import DEFER_INDEXES, PAGE_SIZE, BulkLoader, write
from .compare import check_checkpoints, diff, live_snapshot_http, projection_differences, snapshot, years
from .rebuilding import (LOG_COLUMNS, PARALLEL_FROM, Rebuilt, project, rebuild, rebuild_log,
                         tree_and_projections)
from .report import render, replay
from .sources import ENTRY_FIELDS, export, export_lines, records_from_file, records_from_kafka

__all__ = ["BulkLoader", "CaseFact", "DEFER_INDEXES", "ENTRY_FIELDS", "LOG_COLUMNS", "PAGE_SIZE", "PARALLEL_FROM",
           "Rebuilt", "check_checkpoints", "diff", "export", "export_lines", "live_snapshot_http", "project",
           "projection_differences", "rebuild", "rebuild_log", "records_from_file", "records_from_kafka", "render",
           "replay", "snapshot", "tree_and_projections", "write", "years"]
