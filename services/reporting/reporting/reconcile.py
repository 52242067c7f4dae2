"""Reconciliation (对账): did every case intake accepted in a period reach routing, notify and the audit log?

Each service answers over its own API (`/v1/internal/reconcile/cases`, scope cases:read): intake lists the ids of
the cases it accepted in the period, and routing, notify and reporting say which of them they hold. Nothing reads
another service's tables, so the same code serves `wangge reconcile` (an operator's shell, any machine that reaches
the services) and reporting's scheduled job. What is missing can be re-published from intake's outbox
(`/v1/internal/outbox/republish`, scope outbox:republish): consumers drop what they already had by event id, notify
by meaning, and the audit log records an event once.
"""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests
from sqlalchemy import func, select

from wangge_common.schemas import RECONCILE_BATCH

from .models import ReconcileRun
from .runs import last_and_counts

log = logging.getLogger(__name__)

# stage label -> (service asked, what it holds of a case when it has it)
STAGES = {"intake_to_routing": "routing", "intake_to_notify": "notify", "intake_to_audit": "reporting"}
STAGE_TITLES = {"intake_to_routing": "intake → routing (no routed case / work order)",
                "intake_to_notify": "intake → notify (registration not handled, no 'registered' message)",
                "intake_to_audit": "intake → audit log (no case.registered entry)"}
REPUBLISHED_TYPES = ("case.registered",)



class ReconcileError(RuntimeError):
    """A service did not answer as reconciliation needs (down, wrong key, unexpected answer)."""


@dataclass
class ServiceClient:
    """The services' APIs as reconciliation calls them: base URLs by service name and one API key."""

    urls: dict
    key: str | None
    timeout_s: float = 30.0
    http: requests.Session = field(default_factory=requests.Session)

    def _call(self, method: str, service: str, path: str, **kwargs) -> dict:
        url = self.urls[service].rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        try:
            answer = self.http.request(method, url, headers=headers, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise ReconcileError(f"{service} did not answer at {url}: {type(exc).__name__}: {exc}") from exc
        if answer.status_code != 200:
            raise ReconcileError(f"{service} answered {answer.status_code} at {url}: {answer.text[:300]}")
        return answer.json()

    def accepted(self, since: datetime, until: datetime) -> list[str]:
        """Ids of the cases intake accepted in [since, until), oldest first."""
        ids, offset = [], 0
        while offset is not None:
            page = self._call("GET", "intake", "/v1/internal/reconcile/cases",
                              params={"since": _iso(since), "until": _iso(until), "offset": offset})
            ids += page["case_ids"]
            offset = page["next_offset"]
        return ids

    def held(self, service: str, case_ids: list[str]) -> dict:
        """{case id: what `service` holds of it} for the ids it holds."""
        found = {}
        for start in range(0, len(case_ids), RECONCILE_BATCH):
            batch = case_ids[start:start + RECONCILE_BATCH]
            found.update(self._call("POST", service, "/v1/internal/reconcile/cases", json={"case_ids": batch})["cases"])
        return found

    def republish(self, case_ids: list[str]) -> dict:
        """Ask intake to publish these cases' registrations again; {"marked", "not_in_outbox"}."""
        marked, absent = 0, []
        for start in range(0, len(case_ids), RECONCILE_BATCH):
            answer = self._call("POST", "intake", "/v1/internal/outbox/republish", json={
                "subjects": case_ids[start:start + RECONCILE_BATCH], "event_types": list(REPUBLISHED_TYPES)})
            marked += answer["marked"]
            absent += answer["subjects_not_found"]
        return {"marked": marked, "not_in_outbox": absent}


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def reconcile(client: ServiceClient, since: datetime, until: datetime) -> dict:
    """The report of one period: cases accepted, and per stage the ids missing and the ids given twice."""
    accepted = client.accepted(since, until)
    held = {stage: client.held(service, accepted) if accepted else {} for stage, service in STAGES.items()}
    audit = held["intake_to_audit"]
    missing = {
        "intake_to_routing": [c for c in accepted if c not in held["intake_to_routing"]],
        "intake_to_notify": [c for c in accepted if c not in held["intake_to_notify"]],
        "intake_to_audit": [c for c in accepted if audit.get(c, {}).get("entries", {}).get("case.registered", 0) < 1],
    }
    doubled = {
        "intake_to_routing": [],  # several work orders for one case is joint handling (联合办理), not a double
        "intake_to_notify": [c for c in accepted if held["intake_to_notify"].get(c, {}).get("doubled")],
        "intake_to_audit": [c for c in accepted if audit.get(c, {}).get("entries", {}).get("case.registered", 0) > 1],
    }
    return {"since": _iso(since), "until": _iso(until), "accepted": len(accepted), "missing": missing,
            "doubled": doubled, "clean": not any(missing.values()) and not any(doubled.values())}


def render(report: dict) -> str:
    """The report for people: counts per stage, then the ids."""
    lines = [f"reconciliation {report['since']} .. {report['until']}: {report['accepted']} cases accepted by intake"]
    for stage, title in STAGE_TITLES.items():
        missing, doubled = report["missing"][stage], report["doubled"][stage]
        lines.append(f"  {title}: {len(missing)} missing" + (f", {len(doubled)} doubled" if doubled else ""))
        lines += [f"    missing {case_id}" for case_id in missing[:200]]
        lines += [f"    doubled {case_id}" for case_id in doubled[:200]]
        if len(missing) > 200 or len(doubled) > 200:
            lines.append("    … (--json lists every id)")
    if "republished" in report:
        done = report["republished"]
        lines.append(f"  asked intake to publish again: {done['marked']} registrations marked unpublished"
                     + (f"; {len(done['not_in_outbox'])} no longer in its outbox (past retention): "
                        + ", ".join(done["not_in_outbox"][:20]) if done["not_in_outbox"] else ""))
    lines.append("nothing missing, nothing doubled" if report["clean"] else "NOT CLEAN")
    return "\n".join(lines) + "\n"


def missing_ids(report: dict) -> list[str]:
    """Every case id missing at some stage, once, in intake's order."""
    return list(dict.fromkeys(c for stage in STAGES for c in report["missing"][stage]))


# --- the scheduled job ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """How often and over what the job reconciles: every `interval`, the `window` that ended `grace` ago (cases
    younger than `grace` are still on their way)."""

    interval: timedelta
    window: timedelta
    grace: timedelta

    @classmethod
    def from_settings(cls, settings) -> "Schedule":
        """From reporting's settings (`runtime.state.settings`)."""
        return cls(settings.reconcile_interval, settings.reconcile_window, settings.reconcile_grace)


def reconcile_job(runtime, now: datetime, client: ServiceClient | None = None) -> int:
    """Periodic job: when the last run is older than the interval, reconcile the window, record the run (for
    /metrics and /v1/audit/reconciliations) and return how many cases are missing."""
    schedule = Schedule.from_settings(runtime.state.settings)
    with runtime.db.sessions() as session:
        last = session.scalar(select(func.max(ReconcileRun.started_at)))
    if last is not None and now - last < schedule.interval:
        return 0
    client = client or ServiceClient(runtime.settings.service_urls, runtime.settings.service_key)
    until = now - schedule.grace
    since = until - schedule.window
    run = ReconcileRun(id=str(uuid.uuid4()), started_at=now, since=since, until=until)
    try:
        report = reconcile(client, since, until)
    except ReconcileError as exc:
        log.error("reconciliation failed: %s", exc)
        run.outcome, run.detail = "error", json.dumps({"error": str(exc)})
    else:
        run.outcome = "clean" if report["clean"] else "missing"
        run.accepted = report["accepted"]
        run.missing_routing, run.missing_notify, run.missing_audit = (
            len(report["missing"][stage]) for stage in STAGES)
        run.doubled = sum(len(ids) for ids in report["doubled"].values())
        run.detail = json.dumps({"missing": report["missing"], "doubled": report["doubled"]})
        if not report["clean"]:
            log.error("reconciliation %s .. %s: missing %s, doubled %s", report["since"], report["until"],
                      {s: len(ids) for s, ids in report["missing"].items()},
                      {s: len(ids) for s, ids in report["doubled"].items()})
    with runtime.db.transaction() as session:
        session.add(run)
    return (run.missing_routing or 0) + (run.missing_notify or 0) + (run.missing_audit or 0)


class ReconcileCollector:
    """reconcile_missing{stage} and reconcile_runs_total{outcome}, read from the recorded runs at scrape time, so
    the web app's /metrics shows what the scheduler process found."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        missing = GaugeMetricFamily("reconcile_missing", "Cases accepted by intake and missing downstream, by stage "
                                    "(last completed reconciliation)", labels=["stage"])
        runs = CounterMetricFamily("reconcile_runs", "Reconciliation runs by outcome (clean, missing, error)",
                                   labels=["outcome"])
        try:
            with self.runtime.db.sessions() as session:
                last, counts = last_and_counts(session, ReconcileRun)
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is down
            return
        if last is not None:
            for stage, value in zip(STAGES, (last.missing_routing, last.missing_notify, last.missing_audit)):
                missing.add_metric([stage], value or 0)
        for outcome in ("clean", "missing", "error"):
            runs.add_metric([outcome], counts.get(outcome, 0))
        yield missing
        yield runs


def recent_runs(session, limit: int = 20) -> list[ReconcileRun]:
    return session.scalars(select(ReconcileRun).order_by(ReconcileRun.started_at.desc()).limit(limit)).all()
