"""Prometheus config, alert rules and the Grafana dashboard: valid offline (promtool), the alerts fire on the
series they are meant for (promtool test rules), and every metric they name is one the code exports."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from deploytools import ROOT

PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
DATASOURCES = ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"

# Metrics the alerts need from the delivery guarantees and reconciliation (issue 12): exported since those landed.
LANDED_WITH_ISSUE_12 = {
    "outbox_oldest_pending_age_seconds",  # {service}, age of the oldest unpublished outbox row
    "consumer_dead_letters_total",        # {group, topic, reason}, records sent to <topic>.dlt
    "reconcile_missing",                  # {stage}, accepted cases missing at a stage
}
# Series Prometheus makes itself for every target.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool",
    "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "abs", "absent",
    "absent_over_time", "clamp_min", "clamp_max", "time", "vector", "scalar", "label_replace", "changes", "resets",
    "max_over_time", "min_over_time", "avg_over_time", "sum_over_time", "count_over_time", "last_over_time",
    "predict_linear", "round", "sort", "sort_desc", "timestamp", "inf", "nan",
}


def exported_metrics() -> set[str]:
    """Every series name the code's metric definitions produce (prometheus_client's naming rules)."""
    names = set()
    definition = re.compile(r'\b(Counter|Gauge|Histogram|Summary|Info|Enum|CounterMetricFamily|GaugeMetricFamily|'
                            r'HistogramMetricFamily|SummaryMetricFamily)\(\s*["\']([a-zA-Z_:][a-zA-Z0-9_:]*)["\']')
    sources = [p for top in (ROOT / "libs", ROOT / "services") for p in top.rglob("*.py")
               if "tests" not in p.parts and ".venv" not in p.parts]
    for path in sources:
        for kind, name in definition.findall(path.read_text(encoding="utf-8")):
            if kind.startswith("Counter"):
                base = name.removesuffix("_total")
                names |= {base + "_total", base + "_created"}
            elif kind.startswith(("Histogram", "Summary")):
                names |= {name + "_bucket", name + "_sum", name + "_count", name + "_created", name}
            elif kind == "Info":
                names.add(name + "_info")
            else:
                names.add(name)
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)                    # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)                   # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\boffset\s+\d+[smhdwy]", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word, after = match.group(0), text[match.end():].lstrip()[:1]
        if word in PROMQL_WORDS or after == "(" or re.fullmatch(r"\d+[smhdwy]?", word):
            continue
        names.add(word)
    return names


def rule_exprs() -> dict[str, str]:
    rules = YAML(typ="safe").load((PROMETHEUS / "alerts.yml").read_text())
    return {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}


def panel_exprs(dashboard: Path) -> dict[str, str]:
    found = {}
    for panel in json.loads(dashboard.read_text())["panels"]:
        for target in panel.get("targets", []):
            found[f"{panel['title']} / {target['refId']}"] = target["expr"]
    return found


def run(argv, cwd=None):
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_prometheus_config_is_valid(promtool, tmp_path):
    config = (PROMETHEUS / "prometheus.yml").read_text().replace("/etc/prometheus/alerts.yml", "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(config)
    (tmp_path / "alerts.yml").write_text((PROMETHEUS / "alerts.yml").read_text())
    assert "SUCCESS" in run([promtool, "check", "config", str(tmp_path / "prometheus.yml")])


def test_the_alert_rules_are_valid_and_fire_on_what_they_are_for(promtool):
    assert "SUCCESS" in run([promtool, "check", "rules", "alerts.yml"], cwd=PROMETHEUS)
    assert "SUCCESS" in run([promtool, "test", "rules", "alerts.test.yml"], cwd=PROMETHEUS)


def test_every_dashboard_query_is_valid_promql(promtool, tmp_path):
    """promtool parses each panel's query as a recording rule's expression."""
    rules = {"groups": [{"name": "panels", "rules": [
        {"record": f"panel:{i}", "expr": expr} for dashboard in DASHBOARDS
        for i, expr in enumerate(panel_exprs(dashboard).values())]}]}
    (tmp_path / "panels.yml").write_text(json.dumps(rules))
    assert "SUCCESS" in run([promtool, "check", "rules", str(tmp_path / "panels.yml")])


def test_the_name_extraction_finds_metrics_and_skips_functions_and_labels():
    expr = ('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="intake", '
            'endpoint="/v1/cases"}[5m]))) > 1 unless max(routing_work_orders_overdue offset 6h) or up == 0')
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "routing_work_orders_overdue", "up"}


@pytest.mark.parametrize("source", ["alert rules", "dashboards"])
def test_rules_and_panels_name_only_metrics_the_code_exports(source):
    exprs = rule_exprs() if source == "alert rules" else {
        f"{d.name}: {k}": v for d in DASHBOARDS for k, v in panel_exprs(d).items()}
    known = exported_metrics() | SYNTHETIC
    unknown = {name: sorted(metric_names(expr) - known) for name, expr in exprs.items() if metric_names(expr) - known}
    assert unknown == {}


def test_the_delivery_and_reconciliation_metrics_are_exported():
    """Every metric the lag, dead-letter, outbox-age and reconciliation alerts need is one the code exports."""
    assert sorted(LANDED_WITH_ISSUE_12 - exported_metrics()) == []


def test_the_metrics_this_work_added_are_exported_and_used():
    exported = exported_metrics()
    used = set().union(*(metric_names(e) for e in rule_exprs().values()))
    for name in ("audit_verify_failures_total", "routing_work_orders_overdue", "consumer_lag", "outbox_pending",
                 "http_requests_total", "wangge_scheduler_runs_total"):
        assert name in exported and name in used, name


def test_the_dashboard_covers_what_operators_watch_and_uses_the_provisioned_data_source():
    datasource = YAML(typ="safe").load(DATASOURCES.read_text())["datasources"][0]
    assert DASHBOARDS, "no dashboard provisioned"
    for dashboard in DASHBOARDS:
        body = json.loads(dashboard.read_text())
        panels = [p for p in body["panels"] if p["type"] != "row"]
        assert len({p["id"] for p in body["panels"]}) == len(body["panels"])
        assert all(p["datasource"]["uid"] == datasource["uid"] for p in panels)
        names = set().union(*(metric_names(e) for e in panel_exprs(dashboard).values()))
        # intake throughput and latency, lag per group, outbox age, dead letters, a KPI trend
        for needed in ("http_requests_total", "http_request_duration_seconds_bucket", "consumer_lag",
                       "outbox_oldest_pending_age_seconds", "consumer_dead_letters_total",
                       "consumer_handle_seconds_count"):
            assert needed in names, needed
        cells = set()
        for panel in body["panels"]:  # no two panels drawn over each other
            pos = panel["gridPos"]
            mine = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
            assert not (cells & mine), panel["title"]
            cells |= mine


def test_prometheus_scrapes_every_web_relay_consumer_and_scheduler_of_the_compose_file():
    services = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())["services"]
    config = YAML(typ="safe").load((PROMETHEUS / "prometheus.yml").read_text())
    scraped = {(name, sd["port"]) for job in config["scrape_configs"] for sd in job.get("dns_sd_configs", [])
               for name in sd["names"]}
    expected = set()
    for name, service in services.items():
        if name == "portal":  # serves no /metrics yet
            continue
        command = str(service.get("command", ""))
        if command.startswith("gunicorn"):
            expected.add((name, int(re.search(r"--bind 0\.0\.0\.0:(\d+)", command).group(1))))
        elif re.match(r"wangge (relay|consume|schedule) ", command):
            expected.add((name, 9100))
    assert expected and expected <= scraped, sorted(expected - scraped)
    assert {n for n, _ in scraped} <= set(services), "a scrape target names no compose service"


def test_every_alert_has_its_section_in_the_runbook():
    rules = YAML(typ="safe").load((PROMETHEUS / "alerts.yml").read_text())
    headings = {line[4:].strip().lower() for line in (ROOT / "docs" / "operations.md").read_text().splitlines()
                if line.startswith("### ")}
    for group in rules["groups"]:
        for rule in group["rules"]:
            anchor = rule["annotations"]["runbook"].split("#", 1)[1]
            assert anchor in headings, (rule["alert"], anchor)
            assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
