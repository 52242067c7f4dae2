"""The scheduler runs each periodic job on its interval, survives a failing job, and leads alone."""
from __future__ import annotations

import dataclasses

from wangge_common.runtime import Periodic, Runtime
from wangge_common.scheduler import Scheduler


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def with_jobs(runtime, *jobs) -> Runtime:
    spec = dataclasses.replace(runtime.spec, periodic=tuple(jobs))
    new = Runtime(spec, runtime.settings)
    new.db.engine.dispose()
    new.db = runtime.db  # one engine, disposed with the fixture's runtime
    return new


def test_jobs_run_on_their_interval_and_a_failing_one_does_not_stop_the_rest(runtime_factory):
    calls = []

    def fine(runtime, now):
        calls.append(("fine", now))
        return 2

    def broken(runtime, now):
        calls.append(("broken", now))
        raise RuntimeError("boom")

    clock = FakeClock()
    scheduler = Scheduler(with_jobs(runtime_factory(), Periodic("fine", 10, fine), Periodic("broken", 30, broken)),
                          clock=clock)
    assert scheduler.tick() == 10
    assert [c[0] for c in calls] == ["fine", "broken"]
    clock.now += 5
    assert scheduler.tick() == 5  # nothing due yet
    assert len(calls) == 2
    clock.now += 5
    scheduler.tick()
    assert [c[0] for c in calls] == ["fine", "broken", "fine"]  # broken waits for its own interval
    clock.now += 20
    scheduler.tick()
    assert [c[0] for c in calls][-2:] == ["fine", "broken"]


def test_only_one_scheduler_of_a_service_leads(runtime_factory):
    runtime = runtime_factory()
    first = Scheduler(with_jobs(runtime, Periodic("x", 1, lambda r, n: 0)))
    second = Scheduler(with_jobs(runtime, Periodic("x", 1, lambda r, n: 0)))
    assert first.lock.acquire()
    try:
        assert not second.lock.acquire()
    finally:
        first.lock.release()
    assert second.lock.acquire()
    second.lock.release()
