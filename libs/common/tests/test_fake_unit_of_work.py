"""FakeUnitOfWork: rule tests emit through it without a database, with the real contract checks and numbering."""
from __future__ import annotations

import copy
import time

import pytest

from wangge_common import contracts
from wangge_common.testing import FakeUnitOfWork

CASE = copy.deepcopy(contracts.contract("case.registered", 1).schema["examples"][0])


def test_it_collects_events_with_type_subject_data_and_numbers_them_per_subject():
    with FakeUnitOfWork("intake", actor="person:p-1") as uow:
        first = uow.emit("case.registered", "case-a", CASE, new_subject=True)
        uow.emit("case.registered", "case-b", CASE)
        again = uow.emit("case.registered", "case-a", CASE)
    assert uow.committed and not uow.rolled_back
    assert uow.events == [("case.registered", "case-a", CASE), ("case.registered", "case-b", CASE),
                          ("case.registered", "case-a", CASE)]
    assert (first.sequence, again.sequence) == (1, 2)
    assert first.source == "/wangge/intake" and first.actor == "person:p-1"
    assert again.correlationid == first.correlationid  # one unit of work, one correlation, as the real one
    assert [e.subject for e in uow.of_type("case.registered")] == ["case-a", "case-b", "case-a"]


def test_it_refuses_an_event_its_contract_refuses():
    uow = FakeUnitOfWork("intake")
    with pytest.raises(contracts.ContractError):
        uow.emit("case.registered", "case-a", {**CASE, "category": 12})
    with pytest.raises(KeyError):
        uow.emit("case.never_heard_of", "case-a", {})


def test_it_continues_from_the_numbers_the_database_would_hold():
    uow = FakeUnitOfWork("intake", sequences={"case-a": 4})
    assert [e.sequence for e in uow.emit_many([("case.registered", "case-a", CASE),
                                               ("case.registered", "case-b", CASE)])] == [5, 1]
    with pytest.raises(AssertionError, match="not a new subject"):
        uow.emit("case.registered", "case-a", CASE, new_subject=True)


def test_an_exception_drops_what_was_emitted_as_a_rollback_does():
    uow = FakeUnitOfWork("intake")
    with pytest.raises(RuntimeError), uow:
        uow.emit("case.registered", "case-a", CASE)
        raise RuntimeError("refused")
    assert uow.rolled_back and uow.events == []


def test_it_carries_the_services_state_for_the_code_under_test():
    state = object()
    assert FakeUnitOfWork("routing", state=state).runtime.state is state


def test_a_thousand_events_take_milliseconds_not_a_database():
    started = time.perf_counter()
    with FakeUnitOfWork("intake") as uow:
        for i in range(1000):
            uow.emit("case.registered", f"case-{i}", CASE)
    assert len(uow.emitted) == 1000
    assert time.perf_counter() - started < 2.0  # generous for a loaded machine; typically ~50 ms
