"""Auditors' replay against the running stack: from Kafka and from an export, the KPIs match the live service."""
from __future__ import annotations

import io
import time

from wangge_common.testing import create_test_database
from reporting import replay

from stackhelpers import case_body, eventually


def _quiet(stack, api, seconds=2.0):
    """Wait until reporting's log stops growing (the relays and consumers have caught up)."""
    last = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        size = api.get(stack.url("reporting") + "/v1/audit/verify").json()["entries"]
        if size == last:
            return size
        last = size
        time.sleep(seconds)
    return last


def _only_in_the_live_log(stack, api) -> list[dict]:
    """When the counts differ: the live log's entries whose events the topics do not hold (type, source, subject)."""
    logged, page = [], 1
    while True:
        found = api.get(stack.url("reporting") + "/v1/audit/events", params={"page": page, "page_size": 1000}).json()
        logged += found["items"]
        if not found["items"] or page * 1000 >= found["total"]:
            break
        page += 1
    topics = ["roster.v1", "cases.v1", "notify.v1"]
    held = {r["event_id"] for r in replay.records_from_kafka(stack.bootstrap, topics, idle_s=2.0)}
    return [{k: e.get(k) for k in ("seq", "event_type", "event_id", "subject")}
            for e in logged if e.get("event_id") not in held]


def test_replay_from_kafka_and_from_an_export_match_the_live_kpis(stack, api, grid, tmp_path):
    case_ids = []
    for i in range(3):
        posted = api.post(stack.url("intake") + "/v1/cases", json=case_body(grid, content=f"回放测试第{i}件。"))
        assert posted.status_code == 201, posted.text
        case_ids.append(posted.json()["id"])
    eventually(lambda: all(api.get(stack.url("reporting") + "/v1/audit/events", params={"subject": c}).json()["items"]
                           for c in case_ids), 30, "reporting logs the new cases")
    _quiet(stack, api)
    live_url = stack.database_urls.get("reporting") or f"sqlite:///{stack.var_dir / 'reporting.db'}"

    def attempt(name, **source):
        into, drop = create_test_database(f"replay_{name}", tmp_path / name)
        try:
            return replay.replay(into=into, live_url=stack.url("reporting"), api_key=stack.demo_key, idle_s=2.0,
                                 **source)
        finally:
            drop()

    # Compare against a live service at rest: it had logged as many events as the topics hold, and logged none
    # while the replay read the topics and the live KPIs. Until then (a relay or consumer still busy after the
    # earlier tests, notify's sender still retrying) a difference says only that the live service is behind.
    def entries():
        return api.get(stack.url("reporting") + "/v1/audit/verify").json()["entries"]

    for round_ in range(10):
        (tmp_path / f"kafka{round_}").mkdir()
        before = entries()
        from_kafka = attempt(f"kafka{round_}", kafka_bootstrap=stack.bootstrap)
        after = entries()
        if before == after == from_kafka["entries"]:
            break
        _quiet(stack, api)
    assert before == after == from_kafka["entries"], (before, after, from_kafka["entries"],
                                                      _only_in_the_live_log(stack, api))
    assert from_kafka["kpis_vs_live"] == {"identical": True, "differences": []}, from_kafka
    assert from_kafka["entries"] >= 3 and from_kafka["rebuilt_log_verifies"] is True

    out = io.StringIO()
    replay.export(live_url, out)
    (tmp_path / "export").mkdir()
    from_export = attempt("export", source_file=io.StringIO(out.getvalue()))
    assert from_export["chain"] == {"valid": True, "first_bad": None}
    assert all(c["valid"] for c in from_export["checkpoints"])
    assert from_export["kpis_vs_live"] == {"identical": True, "differences": []}, from_export
    assert from_export["root_hash"] == api.get(stack.url("reporting") + "/v1/audit/verify").json()["root_hash"]
