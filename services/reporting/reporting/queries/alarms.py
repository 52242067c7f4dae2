"""What auditors must be told (告警): the log no longer holds against its last signed checkpoint, the latest
projection check found figures that differ from the log (or could not run), the latest reconciliation found
accepted cases missing somewhere. Read on demand, so an alarm stands until what caused it is put right; the
auditor desk shows them on every auditor page, beside the metric and alert rule operators get."""
from __future__ import annotations

from .audit import last_checkpoint_problem
from .runs import recent_checks, recent_runs


def current(session) -> list[dict]:
    """The standing alarms, most serious first: {kind, at, detail}."""
    found = []
    problem = last_checkpoint_problem(session)
    if problem:
        found.append({"kind": "checkpoint", "at": None, "detail": problem})
    checks = recent_checks(session, limit=1)
    if checks and checks[0].outcome in ("differs", "error"):
        check = checks[0]
        found.append({"kind": f"projection_{check.outcome}", "at": check.started_at,
                      "detail": f"{check.differences or 0} projection rows differ from the log"
                      if check.outcome == "differs" else "the projection check could not run"})
    runs = recent_runs(session, limit=1)
    if runs and runs[0].outcome in ("missing", "error"):
        run = runs[0]
        missing = sum(n or 0 for n in (run.missing_routing, run.missing_notify, run.missing_audit))
        found.append({"kind": f"reconcile_{run.outcome}", "at": run.started_at,
                      "detail": f"{missing} accepted cases missing downstream, {run.doubled or 0} doubled"
                      if run.outcome == "missing" else "the reconciliation could not run"})
    return found
