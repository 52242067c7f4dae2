"""Reconciliation (对账): did every case intake accepted in a period reach routing, notify and the audit log?

Each service answers over its own API (`/v1/internal/reconcile/cases`, scope cases:read): intake lists the ids of
the cases it accepted in the period, and routing, notify and reporting say which of them they hold. Nothing reads
another service's tables, so the same code serves `wangge reconcile` (an operator's shell, any machine that reaches
the services) and reporting's scheduled job. What is missing can be re-published from intake's outbox
(`/v1/internal/outbox/republish`, scope outbox:republish): consumers drop what they already had by event id, notify
by meaning, and the audit log records an event once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import requests

from wangge_common import clock
from wangge_common.schemas import RECONCILE_BATCH


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
                              params={"since": clock.wire_time(since), "until": clock.wire_time(until),
                                      "offset": offset})
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
    return {"since": clock.wire_time(since), "until": clock.wire_time(until), "accepted": len(accepted),
            "missing": missing,
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
