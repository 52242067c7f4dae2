"""A registration's events carry its own request's trace, even when another request's thread writes them (the
group commit's leader runs the writes of the requests queued behind it)."""
from __future__ import annotations

import threading

from intake_testkit import case_body

TRACE_A, TRACE_B = "a" * 32, "b" * 32


class LeaderRunsAll:
    """The group commit's hand-off made certain: the first request to submit waits for the second, then writes
    both in its own thread, in one transaction (the real GroupCommit does this when writes queue behind a leader)."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.writes = []
        self.lock = threading.Lock()
        self.first_in, self.both_in, self.done = threading.Event(), threading.Barrier(2, timeout=10), threading.Event()

    def submit(self, write):
        with self.lock:
            self.writes.append(write)
            leader = len(self.writes) == 1
        if leader:
            self.first_in.set()
        self.both_in.wait()
        if leader:
            try:
                with self.runtime.unit_of_work(actor="system:group-commit") as uow:
                    for queued in self.writes:
                        queued(uow)
            finally:
                self.done.set()
        else:
            assert self.done.wait(10)


def test_a_link_found_in_the_leaders_transaction_carries_the_linked_requests_trace(gsvc, monkeypatch):
    batch = LeaderRunsAll(gsvc.runtime)
    monkeypatch.setattr(gsvc.runtime.state, "group_commit", batch)
    answers = {}

    def register(name, trace):
        headers = gsvc.headers(traceparent=f"00-{trace}-{'1' * 16}-01")
        answers[name] = gsvc.app.test_client().post("/v1/cases", json=case_body(), headers=headers)

    leader = threading.Thread(target=register, args=("a", TRACE_A))
    leader.start()
    assert batch.first_in.wait(10)  # A planned (nothing to link to yet) and waits to lead the batch
    follower = threading.Thread(target=register, args=("b", TRACE_B))
    follower.start()
    leader.join(20), follower.join(20)
    assert answers["a"].status_code == answers["b"].status_code == 201
    # B planned before A was written, so its link to A was found in the batch's transaction, in A's thread
    linked = [e for e in gsvc.outbox() if e.type == "case.related_linked"]
    assert len(linked) == 1 and linked[0].data["case_id"] == answers["b"].json["id"]
    assert linked[0].traceparent.split("-")[1] == TRACE_B
    registered = {e.data["case_id"]: e.traceparent.split("-")[1] for e in gsvc.outbox() if e.type == "case.registered"}
    assert registered == {answers["a"].json["id"]: TRACE_A, answers["b"].json["id"]: TRACE_B}
