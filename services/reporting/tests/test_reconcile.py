"""Reconciliation: what is missing where, the scheduled job, its metrics, and the audit log's part over HTTP."""
import copy
import dataclasses
import json
import uuid
from datetime import datetime, timedelta, timezone

from wangge_common import contracts
from wangge_common.testing import event
from reporting.service import ReportingState
from reporting import jobs, reconcile

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc)


def registered(case_id):
    data = copy.deepcopy(contracts.contract("case.registered", 1).schema["examples"][0])
    data["case_id"] = case_id
    return event("case.registered", case_id, data, source="/wangge/intake")


@dataclasses.dataclass
class FakeServices:
    """What intake accepted and what each other service holds, as their reconcile endpoints would answer."""

    accepted_ids: list
    holds: dict
    down: str | None = None
    republished: list = dataclasses.field(default_factory=list)
    periods: list = dataclasses.field(default_factory=list)

    def accepted(self, since, until):
        self.periods.append((since, until))
        if self.down == "intake":
            raise reconcile.ReconcileError("intake did not answer")
        return list(self.accepted_ids)

    def held(self, service, case_ids):
        if self.down == service:
            raise reconcile.ReconcileError(f"{service} did not answer")
        return {c: v for c, v in self.holds[service].items() if c in case_ids}

    def republish(self, case_ids):
        self.republished += case_ids
        return {"marked": len(case_ids), "not_in_outbox": []}


def world(n=4):
    ids = [str(uuid.uuid4()) for _ in range(n)]
    holds = {"routing": {c: {"work_orders": 1, "state": "assigned"} for c in ids},
             "notify": {c: {"registered": 4, "messages": 5, "doubled": []} for c in ids},
             "reporting": {c: {"entries": {"case.registered": 1, "case.triaged": 1}} for c in ids}}
    return ids, FakeServices(ids, holds)


def test_everything_delivered_is_clean():
    ids, services = world()
    report = reconcile.reconcile(services, NOW - timedelta(hours=1), NOW)
    assert report["clean"] and report["accepted"] == 4
    assert "nothing missing, nothing doubled" in reconcile.render(report)


def test_each_stage_names_the_cases_it_misses_and_doubles():
    ids, services = world(5)
    del services.holds["routing"][ids[0]]
    del services.holds["notify"][ids[1]]
    services.holds["reporting"][ids[2]] = {"entries": {"case.triaged": 1}}  # the registration never reached the log
    del services.holds["reporting"][ids[3]]
    services.holds["notify"][ids[4]]["doubled"] = [["case.registered", "rp_1", "sms", 2]]
    services.holds["reporting"][ids[4]]["entries"]["case.registered"] = 2
    report = reconcile.reconcile(services, NOW - timedelta(hours=1), NOW)
    assert not report["clean"]
    assert report["missing"] == {"intake_to_routing": [ids[0]], "intake_to_notify": [ids[1]],
                                 "intake_to_audit": [ids[2], ids[3]]}
    assert report["doubled"] == {"intake_to_routing": [], "intake_to_notify": [ids[4]], "intake_to_audit": [ids[4]]}
    assert reconcile.missing_ids(report) == ids[:4]
    text = reconcile.render(report)
    assert f"missing {ids[0]}" in text and "NOT CLEAN" in text and "1 missing" in text


def test_the_job_records_each_run_and_metrics_show_the_last(svc):
    ids, services = world(3)
    del services.holds["routing"][ids[0]]
    assert jobs.reconcile_job(svc.runtime, NOW, client=services) == 1
    (alarm,) = svc.client.get("/v1/audit/alarms", headers=svc.headers()).json  # the auditors are told
    assert alarm["kind"] == "reconcile_missing" and alarm["detail"].startswith("1 accepted cases missing")
    assert services.periods == [(NOW - timedelta(seconds=120) - timedelta(hours=1), NOW - timedelta(seconds=120))]
    assert jobs.reconcile_job(svc.runtime, NOW + timedelta(seconds=60), client=services) == 0  # not due yet
    assert len(services.periods) == 1
    services.holds["routing"][ids[0]] = {"work_orders": 1, "state": "assigned"}
    services.down = "notify"
    assert jobs.reconcile_job(svc.runtime, NOW + timedelta(seconds=301), client=services) == 0
    metrics = svc.client.get("/metrics").get_data(as_text=True)
    assert 'reconcile_missing{stage="intake_to_routing"} 1.0' in metrics  # the last run that could tell
    assert 'reconcile_runs_total{outcome="error"} 1.0' in metrics
    assert 'reconcile_runs_total{outcome="missing"} 1.0' in metrics
    services.down = None
    jobs.reconcile_job(svc.runtime, NOW + timedelta(seconds=602), client=services)
    assert svc.client.get("/v1/audit/alarms", headers=svc.headers()).json == []  # clean again: no alarm stands
    metrics = svc.client.get("/metrics").get_data(as_text=True)
    assert 'reconcile_missing{stage="intake_to_routing"} 0.0' in metrics
    assert 'reconcile_runs_total{outcome="clean"} 1.0' in metrics
    runs = svc.client.get("/v1/audit/reconciliations", headers=svc.headers())
    assert runs.status_code == 200
    assert [r["outcome"] for r in runs.json] == ["clean", "error", "missing"]
    assert runs.json[2]["detail"]["missing"]["intake_to_routing"] == [ids[0]]
    assert "notify did not answer" in runs.json[1]["detail"]["error"]


def test_the_interval_and_window_come_from_the_settings(svc):
    svc.runtime.settings = dataclasses.replace(svc.settings, extra={
        "WANGGE_REPORTING_RECONCILE_INTERVAL_S": "60", "WANGGE_REPORTING_RECONCILE_WINDOW_S": "600",
        "WANGGE_REPORTING_RECONCILE_GRACE_S": "30"})
    svc.runtime.state = ReportingState.build(svc.runtime)  # settings are read once, when the state is built
    _, services = world(1)
    jobs.reconcile_job(svc.runtime, NOW, client=services)
    jobs.reconcile_job(svc.runtime, NOW + timedelta(seconds=61), client=services)
    assert services.periods[0] == (NOW - timedelta(seconds=630), NOW - timedelta(seconds=30))
    assert len(services.periods) == 2


def test_the_audit_log_counts_its_entries_by_case(svc):
    held, absent = str(uuid.uuid4()), str(uuid.uuid4())
    svc.deliver(registered(held), "cases.v1")
    svc.deliver(registered(held), "cases.v1")  # a second registration event (new id) is an entry of its own
    answer = svc.client.post("/v1/internal/reconcile/cases", json={"case_ids": [held, absent]},
                             headers=svc.headers("reader"))
    assert answer.status_code == 200, answer.json
    assert answer.json == {"cases": {held: {"entries": {"case.registered": 2}}}}
    bad = svc.client.post("/v1/internal/reconcile/cases", json={"case_ids": []}, headers=svc.headers("reader"))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"].startswith("case_ids")
    assert svc.client.post("/v1/internal/reconcile/cases", json={"case_ids": [held]},
                           headers=svc.headers("none")).status_code == 403


def test_the_client_pages_intake_and_batches_the_others():
    calls = []

    class Http:
        def request(self, method, url, headers, timeout, **kwargs):
            calls.append((method, url, kwargs))

            class Answer:
                status_code = 200

                def json(self_inner):
                    if method == "GET":
                        offset = kwargs["params"]["offset"]
                        return {"case_ids": [f"c{offset}"], "next_offset": offset + 1 if offset < 2 else None}
                    return {"cases": {c: {} for c in kwargs["json"]["case_ids"]}}
            return Answer()

    client = reconcile.ServiceClient({"intake": "http://i", "routing": "http://r/"}, "wg_key", http=Http())
    assert client.accepted(NOW - timedelta(hours=1), NOW) == ["c0", "c1", "c2"]
    assert calls[0][2]["params"]["since"] == "2026-12-06T01:00:00Z"
    many = [str(i) for i in range(4500)]
    assert len(client.held("routing", many)) == 4500
    assert [len(c[2]["json"]["case_ids"]) for c in calls[3:]] == [2000, 2000, 500]
    assert calls[3][1] == "http://r/v1/internal/reconcile/cases"


def test_a_service_that_refuses_is_an_error_naming_it():
    class Http:
        def request(self, *args, **kwargs):
            class Answer:
                status_code, text = 403, json.dumps({"title": "Forbidden"})
            return Answer()

    client = reconcile.ServiceClient({"intake": "http://i"}, "wg_key", http=Http())
    try:
        client.accepted(NOW, NOW + timedelta(hours=1))
    except reconcile.ReconcileError as exc:
        assert "intake answered 403" in str(exc)
    else:
        raise AssertionError("no error")
