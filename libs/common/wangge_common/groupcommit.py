"""Group commit: the writes of concurrent requests in one process, committed in one transaction.

A request that has done all its reads and built everything it will write (rows, prepared events) hands its write
to the process's GroupCommit and waits. The first waiting thread becomes the leader: it takes every write queued
at that moment, runs them in one transaction (one BEGIN, one outbox INSERT, one COMMIT, one turn of SQLite's
write lock) and wakes the others. A request is answered only after the commit that holds its write, so an
accepted request is as durable as with one transaction per request.

If the batch fails (a unique key lost to another instance, a clash of generated codes), it is rolled back and
every write in it is run again in a transaction of its own, so one request's failure reaches that request only.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from prometheus_client import Counter, Histogram

BATCHES = Counter("group_commit_batches_total", "Transactions that committed the writes of several requests, by "
                  "outcome (committed, or fallback: rolled back and run one write at a time)", ["service", "outcome"])
BATCH_SIZE = Histogram("group_commit_batch_size", "Writes committed together", ["service"],
                       buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32, 64))


class _Write:
    __slots__ = ("write", "done", "error", "promoted", "wake")

    def __init__(self, write):
        self.write = write
        self.done = False  # committed, or failed alone with `error`
        self.error: BaseException | None = None
        self.promoted = False  # handed the lead by the leader before it
        self.wake = threading.Lock()  # held until the write is done or promoted: its waiter blocks on it
        self.wake.acquire()


class GroupCommit:
    """Commit the writes of concurrent requests together; `submit(write)` returns once `write` is committed.

    `write(uow)` runs inside a unit of work it shares with other requests' writes: it must only execute
    statements and emit prepared events (no reads whose answer it returns, no work that cannot be repeated, since
    it runs again alone when the batch fails). Its exception, if it fails alone, is raised from submit().
    """

    def __init__(self, runtime, *, max_batch: int = 64, actor: str = "system:group-commit"):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.runtime = runtime
        self.max_batch = max_batch
        self.actor = actor  # the transaction's own actor; every event in it was prepared with its request's actor
        self._mutex = threading.Lock()
        self._queue: list[_Write] = []
        self._leading = False

    def submit(self, write: Callable) -> None:
        mine = _Write(write)
        while True:
            with self._mutex:
                lead = mine.promoted or not self._leading
                if lead:
                    self._leading, mine.promoted = True, False
                else:
                    self._queue.append(mine)
            if lead:
                self._lead(mine)
                break
            mine.wake.acquire()  # until a leader committed this write, or handed this thread the lead
            if mine.done:
                break
        if mine.error is not None:
            raise mine.error

    def _lead(self, mine: _Write) -> None:
        """Commit this write with those queued before it, wake their threads, hand the lead to the next one."""
        with self._mutex:
            batch = [mine] + self._queue[:self.max_batch - 1]
            del self._queue[:self.max_batch - 1]
        try:
            self._run(batch)
        finally:
            with self._mutex:
                successor = self._queue.pop(0) if self._queue else None
                if successor is None:
                    self._leading = False
                else:
                    successor.promoted = True
            for item in batch[1:]:
                item.wake.release()  # done, or (if this thread was interrupted) back to queue up again
            if successor is not None:
                successor.wake.release()

    def _run(self, batch: list[_Write]) -> None:
        service = self.runtime.service
        if len(batch) > 1:
            try:
                with self.runtime.unit_of_work(actor=self.actor) as uow:
                    for item in batch:
                        item.write(uow)
            except BaseException:  # noqa: BLE001 - each write runs again alone; its own failure reaches its request
                BATCHES.labels(service, "fallback").inc()
            else:
                BATCHES.labels(service, "committed").inc()
                BATCH_SIZE.labels(service).observe(len(batch))
                for item in batch:
                    item.done = True
                return
        for item in batch:
            try:
                with self.runtime.unit_of_work(actor=self.actor) as uow:
                    item.write(uow)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting request, which raises it
                item.error = exc
            else:
                BATCH_SIZE.labels(service).observe(1)
            item.done = True
