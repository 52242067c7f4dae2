"""Prometheus metrics: per-request figures, and a registry that works under several gunicorn workers."""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone

from flask import Response, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest,
                               multiprocess)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "endpoint", "status"])
LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency", ["service", "method", "endpoint"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


class OutboxCollector:
    """outbox_pending and outbox_oldest_pending_age_seconds, read from the database at scrape time so every
    replica reports the truth."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        from .outbox import oldest_pending_since, pending_count

        service = self.runtime.service
        gauge = GaugeMetricFamily("outbox_pending", "Outbox events not yet published", labels=["service"])
        age = GaugeMetricFamily("outbox_oldest_pending_age_seconds", "Age of the oldest event waiting to be "
                                "published (since it was written, or put back to be published again); 0 when none",
                                labels=["service"])
        try:
            with self.runtime.db.reads() as session:  # a scrape never waits for a writer
                gauge.add_metric([service], pending_count(session, self.runtime.tables))
                since = oldest_pending_since(session, self.runtime.tables)
            age.add_metric([service], 0.0 if since is None else
                           max(0.0, (datetime.now(timezone.utc) - since).total_seconds()))
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is down
            gauge.add_metric([service], float("nan"))
            age.add_metric([service], float("nan"))
        yield gauge
        yield age


class _ProcessMetrics:
    """This process's own metrics (the default registry), when there is no multi-process directory."""

    def collect(self):
        from prometheus_client import REGISTRY

        return REGISTRY.collect()


def registry_for(runtime) -> CollectorRegistry:
    """A registry per app: all workers' metrics under gunicorn (PROMETHEUS_MULTIPROC_DIR), plus outbox_pending."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # prometheus_client's own variable (see settings.py)
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    registry.register(OutboxCollector(runtime))
    for collector in runtime.spec.collectors:
        registry.register(collector(runtime))
    return registry


def install(app, runtime) -> None:
    service = runtime.service
    registry = registry_for(runtime)

    @app.before_request
    def _start():
        g._started = time.perf_counter()

    @app.after_request
    def _observe(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(service, request.method, endpoint, str(response.status_code)).inc()
        if hasattr(g, "_started"):
            LATENCY.labels(service, request.method, endpoint).observe(time.perf_counter() - g._started)
        return response


    def metrics_view():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    return metrics_view
