"""What every routing endpoint shares: the unit of work of a request, the evaluation links' key, and the checks
that a case or work order is in the caller's data scope."""
from __future__ import annotations

from flask import request

from wangge_common.auth import actor, department_scope, grid_scope, require_department, require_grid
from wangge_common.http import runtime

from .. import queries
from ..queries import get_case

CONFLICT = {"description": "the action is not allowed in the current state (problem+json names both)"}


def unit_of_work():
    return runtime().unit_of_work(actor=actor(), correlation_id=request.headers.get("X-Correlation-Id"))


def link_secret() -> str:
    return runtime().state.token_secret


def case_detail(case_id) -> dict:
    with runtime().db.sessions() as session:
        return queries.case_detail(session, str(case_id))


def case_in_scope(case_id) -> None:
    """403 unless the case is in the caller's grids (a person's token); API keys pass."""
    if grid_scope() is not None:
        with runtime().db.sessions() as session:
            require_grid(get_case(session, str(case_id)).grid_id, "case")


def order_in_scope(order_id) -> None:
    """403 unless the work order is the caller's department's and its case in the caller's grids."""
    if grid_scope() is None and department_scope() is None:
        return
    with runtime().db.sessions() as session:
        order = queries.get_work_order(session, str(order_id))
        require_department(order.department_code)
        if grid_scope() is not None:
            require_grid(get_case(session, order.case_id).grid_id, "work order's case")


def sorted_scope(scope):
    return sorted(scope) if scope is not None else None
