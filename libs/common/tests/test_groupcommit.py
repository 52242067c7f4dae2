"""Group commit: concurrent requests' writes share one transaction, and one write's failure stays its own."""
import copy
import threading

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError

from wangge_common import contracts
from wangge_common.groupcommit import GroupCommit
from wangge_common.settings import Settings

CASE = copy.deepcopy(contracts.contract("case.registered", 1).schema["examples"][0])


def note_write(runtime, text, subject):
    """A request's write: prepared outside (as intake does), then only statements and a prepared event."""
    notes = runtime.spec.metadata.tables["notes"]
    prepared = runtime.unit_of_work(actor=f"user:{text}").prepare("case.registered", subject, dict(CASE))

    def write(uow):
        uow.session.connection().execute(insert(notes), {"text": text})
        uow.emit_prepared(prepared, new_subject=True)

    return write


def counts(runtime):
    notes, outbox = runtime.spec.metadata.tables["notes"], runtime.tables.outbox
    with runtime.db.sessions() as session:
        return (session.scalars(select(notes.c.text).order_by(notes.c.text)).all(),
                session.scalar(select(func.count()).select_from(outbox)))


def transactions(runtime) -> list:
    begun = []
    event.listen(runtime.db.engine, "commit", lambda conn: begun.append("commit"))
    event.listen(runtime.db.engine, "rollback", lambda conn: begun.append("rollback"))
    return begun


def run_batched(group, writes, first_started, release):
    """Submit writes[0] from one thread and hold its transaction open until every other write is queued, so the
    rest land in the next batch together."""
    errors = {}

    def submit(index, write):
        try:
            group.submit(write)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertions
            errors[index] = exc

    threads = [threading.Thread(target=submit, args=(0, writes[0]))]
    threads[0].start()
    assert first_started.wait(10)
    threads += [threading.Thread(target=submit, args=(i, w)) for i, w in enumerate(writes[1:], start=1)]
    for thread in threads[1:]:
        thread.start()
    while len(group._queue) < len(writes) - 1:
        threading.Event().wait(0.001)
    release.set()
    for thread in threads:
        thread.join(10)
    return errors


def blocking(write, started, release):
    def held(uow):
        write(uow)
        started.set()
        assert release.wait(10)

    return held


def test_writes_queued_together_commit_in_one_transaction(runtime_factory):
    runtime = runtime_factory()
    group = GroupCommit(runtime)
    started, release = threading.Event(), threading.Event()
    writes = [blocking(note_write(runtime, "a0", "case-0"), started, release)]
    writes += [note_write(runtime, f"a{i}", f"case-{i}") for i in range(1, 6)]
    log = transactions(runtime)
    assert run_batched(group, writes, started, release) == {}
    assert log == ["commit", "commit"]  # the first alone, then the five queued behind it in one
    assert counts(runtime) == ([f"a{i}" for i in range(6)], 6)


def test_a_failing_write_fails_alone_and_the_others_commit(runtime_factory):
    runtime = runtime_factory()
    with runtime.db.transaction() as session:
        session.execute(insert(runtime.spec.metadata.tables["notes"]), {"text": "taken"})
    group = GroupCommit(runtime)
    started, release = threading.Event(), threading.Event()
    writes = [blocking(note_write(runtime, "b0", "case-0"), started, release),
              note_write(runtime, "b1", "case-1"), note_write(runtime, "taken", "case-2"),
              note_write(runtime, "b3", "case-3")]
    log = transactions(runtime)
    errors = run_batched(group, writes, started, release)
    assert list(errors) == [2] and isinstance(errors[2], IntegrityError)
    # the batch of three rolled back (its events with it), then each write ran alone
    assert log[:2] == ["commit", "rollback"] and sorted(log[2:]) == ["commit", "commit", "rollback"]
    assert counts(runtime) == (["b0", "b1", "b3", "taken"], 3)


def test_a_failing_write_alone_raises_to_its_request(runtime_factory):
    runtime = runtime_factory()
    group = GroupCommit(runtime)
    group.submit(note_write(runtime, "c", "case-1"))
    with pytest.raises(IntegrityError):
        group.submit(note_write(runtime, "c", "case-2"))
    assert counts(runtime) == (["c"], 1)
    group.submit(note_write(runtime, "d", "case-3"))  # the failure left nothing behind
    assert counts(runtime) == (["c", "d"], 2)


def test_a_batch_holds_at_most_max_batch_writes(runtime_factory):
    runtime = runtime_factory()
    group = GroupCommit(runtime, max_batch=2)
    started, release = threading.Event(), threading.Event()
    writes = [blocking(note_write(runtime, "e0", "case-0"), started, release)]
    writes += [note_write(runtime, f"e{i}", f"case-{i}") for i in range(1, 6)]
    log = transactions(runtime)
    assert run_batched(group, writes, started, release) == {}
    assert log == ["commit"] * 4  # 1, then 2 + 2 + 1
    assert counts(runtime) == ([f"e{i}" for i in range(6)], 6)


def test_the_setting_is_a_positive_count():
    def settings(value):
        return Settings(service="intake", database_url="sqlite://", kafka_bootstrap="x", var_dir=".",
                        extra={"WANGGE_INTAKE_GROUP_COMMIT_MAX": value})

    assert settings("8").count("GROUP_COMMIT_MAX", 64) == 8
    assert settings("").count("GROUP_COMMIT_MAX", 64) == 64
    with pytest.raises(ValueError, match="WANGGE_INTAKE_GROUP_COMMIT_MAX must be at least 1"):
        settings("0").count("GROUP_COMMIT_MAX", 64)
    with pytest.raises(ValueError, match="must be an integer, got 'many'"):
        settings("many").count("GROUP_COMMIT_MAX", 64)
    with pytest.raises(ValueError):
        GroupCommit(None, max_batch=0)


class Interrupted(BaseException):
    pass


def test_a_write_raising_any_exception_fails_alone(runtime_factory):
    runtime = runtime_factory()
    group = GroupCommit(runtime)
    started, release = threading.Event(), threading.Event()
    plain = [note_write(runtime, f"f{i}", f"case-{i}") for i in range(4)]

    def interrupting(uow):
        raise Interrupted()

    writes = [blocking(plain[0], started, release), plain[1], interrupting, plain[2], plain[3]]
    errors = run_batched(group, writes, started, release)
    assert list(errors) == [2] and isinstance(errors[2], Interrupted)  # not raised in the leader's thread
    assert counts(runtime) == ([f"f{i}" for i in range(4)], 4)
    assert not group._leading and not group._queue
