"""Triage by hand (分流): a person routes a case from the manual queue, or re-routes it."""
from __future__ import annotations

import json

from sqlalchemy import select

from wangge_common.errors import Conflict, Invalid
from wangge_common.outbox import UnitOfWork

from .. import domain
from ..models import GridDeputy, RoutedCase
from ..queries import get_case
from .dispatch import dispatch, major_issue
from .lifecycle import open_orders, order_event


def triage_manually(uow: UnitOfWork, case_id: str, data: dict) -> RoutedCase:
    """Route a case from the manual queue (or re-route a returned, reopened or escalated one) by hand."""
    session = uow.session
    case = get_case(session, case_id, lock=True)
    path, reason = data["path"], data["reason"]
    domain.next_state(case.state, "escalate" if path == "major_issue" else "assign")
    departments = data.get("departments") or []
    if path in ("town", "county"):
        if len(departments) != 1:
            raise Invalid([("departments", f"a {path} path takes exactly one department")])
        departments = [{**departments[0], "role": "sole"}]
    elif path == "joint_mediation":
        _check_mediation(session, case, data, departments)
    elif departments:
        raise Invalid([("departments", "the major-issue procedure goes to the township congress presidium")])
    cancel_unsigned(uow, case, f"re-triaged by hand: {reason}")
    if path == "major_issue":
        major_issue(uow, case, reason, trigger="cannot_settle_in_grid")
        return case
    if path == "joint_mediation":
        case.convenor_deputy_id = str(data["convenor_deputy_id"])
        case.mediators = json.dumps(data["mediators"], ensure_ascii=False)
        reason = f"joint mediation (联合调解) convened by deputy {case.convenor_deputy_id}: {reason}"
    dispatch(uow, case, path=path, departments=departments, reason=reason)
    return case


def cancel_unsigned(uow, case: RoutedCase, reason: str) -> None:
    """Withdraw dispatched orders when a person routes the case otherwise; a signed order is the department's."""
    orders = open_orders(uow.session, case.case_id)
    signed = [o for o in orders if o.state != "dispatched"]
    if signed and case.state == "assigned":
        raise Conflict(f"department {signed[0].department_name} already signed work order {signed[0].id}",
                       errors=[{"field": "state", "reason": "a signed order cannot be replaced; return it first"}])
    for order in orders:
        order_event(uow, order, "work_order.cancelled", "cancel", reason)


def _check_mediation(session, case: RoutedCase, data: dict, departments: list[dict]) -> None:
    errors = []
    if len(departments) < 2:
        errors.append(("departments", "joint mediation needs at least two departments"))
    if [d.get("role") for d in departments].count("lead") != 1:
        errors.append(("departments", "exactly one department must have role lead; the others are members"))
    if len({d["code"] for d in departments}) != len(departments):
        errors.append(("departments", "lists a department twice"))
    if not data.get("mediators"):
        errors.append(("mediators", "name the mediators and legal-service workers taking part"))
    convenor = data.get("convenor_deputy_id")
    if convenor is None:
        errors.append(("convenor_deputy_id", "the deputy who convenes the mediation is required"))
    else:
        known = session.scalars(select(GridDeputy.deputy_id).where(GridDeputy.grid_id == case.grid_id)).all()
        if known and str(convenor) not in known:
            errors.append(("convenor_deputy_id", "is not a deputy assigned to the case's grid"))
    if errors:
        raise Invalid(errors)
    for d in departments:
        d.setdefault("role", "member")
