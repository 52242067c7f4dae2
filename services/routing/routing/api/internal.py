"""Service-to-service reads: reconciliation."""
from __future__ import annotations

from wangge_common.http import reconcile_blueprint

from .. import queries

internal = reconcile_blueprint(
    "routing", queries.reconcile_cases,
    summary="Of these case ids, the ones routing holds, with their state and work orders (for `wangge reconcile`).")
