"""The scheduler process (`wangge schedule <service>`): runs a service's periodic jobs, one leader per service.

Deadline scans, delivery retries and checkpoints must not run twice at once when a service is scaled out, so the
scheduler takes the same kind of leader lock as the outbox relay (PostgreSQL advisory lock, or a file lock beside
the SQLite file); a standby waits and takes over when the leader dies. A job that raises is logged and retried at
its next tick; it never stops the others.
"""
from __future__ import annotations

import logging
import threading
import time

from prometheus_client import Counter

from .db import utcnow
from .leader import RelayLock
from .runtime import Runtime

log = logging.getLogger(__name__)

JOB_RUNS = Counter("wangge_scheduler_runs", "Periodic job runs, by job and outcome", ["service", "job", "outcome"])
JOB_ITEMS = Counter("wangge_scheduler_items", "Things periodic jobs did (orders marked, messages sent...)",
                    ["service", "job"])


class Scheduler:
    def __init__(self, runtime: Runtime, clock=time.monotonic):
        self.runtime = runtime
        self.jobs = runtime.spec.periodic
        self.clock = clock
        self.lock = RelayLock(runtime, purpose="scheduler")
        self.next_run = {job.name: 0.0 for job in self.jobs}

    def tick(self) -> float:
        """Run every job that is due; returns seconds until the next one is."""
        now = self.clock()
        for job in self.jobs:
            if now < self.next_run[job.name]:
                continue
            self.next_run[job.name] = now + job.every_s
            try:
                done = job.run(self.runtime, utcnow()) or 0
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                log.exception("periodic job %s failed; next try in %.1f s", job.name, job.every_s)
                JOB_RUNS.labels(self.runtime.service, job.name, "error").inc()
                continue
            JOB_RUNS.labels(self.runtime.service, job.name, "ok").inc()
            if done:
                JOB_ITEMS.labels(self.runtime.service, job.name).inc(done)
                log.info("periodic job %s: %d done", job.name, done)
        return max(0.0, min(self.next_run.values()) - self.clock()) if self.jobs else 1.0

    def run(self, stop: threading.Event) -> None:
        if not self.jobs:
            log.info("%s has no periodic jobs; the scheduler idles", self.runtime.service)
        while not stop.is_set() and not self.lock.acquire():
            stop.wait(1.0)  # a standby: another scheduler of this service leads
        try:
            while not stop.is_set():
                if not self.lock.still_held():
                    log.warning("scheduler lost its leader lock; waiting to take it again")
                    self.lock.release()
                    while not stop.is_set() and not self.lock.acquire():
                        stop.wait(1.0)
                    continue
                stop.wait(min(self.tick(), 1.0))
        finally:
            self.lock.release()
