"""The rebuild: chain, log rows, Merkle tree and every projection from records in log order, in memory, with the
same `Projector` the live consumer uses. The tree and the projections can be computed by a forked process while
this one hashes the chain (see docs: the forked rebuild)."""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import traceback
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from .. import domain, merkle
from ..projections import MemoryStore, Projector

# audit_log columns in the order replay keeps and writes them (recorded_at is added when written)
LOG_COLUMNS = ("seq", "event_id", "topic", "partition", "offset", "event_type", "source", "subject", "event_time",
               "payload", "prev_hash", "hash")


@dataclass
class Rebuilt:
    """What a replay rebuilt. `tree` and `store` may still be computing in a forked process (see `rebuild`):
    reading them waits for it."""
    rows: list[tuple] = field(default_factory=list)  # audit_log rows, LOG_COLUMNS order
    head_hash: str = domain.GENESIS
    duplicates: int = 0
    chain_problem: dict | None = None
    derived: object = None  # (MemoryTree, MemoryStore), or the _Forked process computing them

    @property
    def entries(self) -> int:
        return len(self.rows)

    def close(self) -> None:
        """Stop a forked process whose result is no longer wanted."""
        if isinstance(self.derived, _Forked):
            self.derived.close()
            self.derived = None

    def _derived(self) -> tuple:
        if isinstance(self.derived, _Forked):
            self.derived = self.derived.result()
        return self.derived

    @property
    def tree(self) -> merkle.MemoryTree:
        return self._derived()[0]

    @property
    def store(self) -> MemoryStore:
        return self._derived()[1]


def rebuild(records: list[dict], *, parallel: bool = False) -> Rebuilt:
    """Chain, log rows, Merkle tree and every projection from records in log order, in memory. With `parallel`
    (and a platform that forks) the tree and the projections are computed by a forked process while this one
    hashes the chain and writes the log; `Rebuilt.tree` and `.store` wait for them. The result is the same."""
    forked = _Forked(tree_and_projections, records) \
        if parallel and len(records) >= PARALLEL_FROM and _can_fork() else None
    try:
        out = rebuild_log(records)
    except BaseException:
        if forked:
            forked.close()
        raise
    out.derived = forked or tree_and_projections(records)
    return out


def _unique(records: Iterable[dict]) -> Iterator[tuple[int, dict]]:
    """(seq, record) for the first record of each event id, as the log stores them."""
    seen: set[str] = set()
    remember, seq = seen.add, 0
    for r in records:
        if r["event_id"] not in seen:
            remember(r["event_id"])
            seq += 1
            yield seq, r


def tree_and_projections(records: Iterable[dict]) -> tuple[merkle.MemoryTree, MemoryStore]:
    """The Merkle tree over the log entries, and every projection (see `project`)."""
    tree = merkle.MemoryTree()
    add_leaf, sha, canonical_entry = tree.append, hashlib.sha256, domain.canonical_entry
    for seq, r in _unique(records):
        add_leaf(sha(b"\x00" + canonical_entry(seq, r["topic"], r["partition"], r["offset"], r["event_id"],
                                                r["payload"])).digest())
    return tree, project(records)


def rebuild_log(records: Iterable[dict]) -> Rebuilt:
    """Chain and log rows. Records from an export carry their stored seq, prev_hash and hash: the first
    that differs from the recomputed chain is reported. The loop is written for speed (a million records): names
    bound once, each entry hashed from its canonical bytes once."""
    out = Rebuilt()
    seen: set[str] = set()
    remember, keep = seen.add, out.rows.append
    sha, canonical_entry = hashlib.sha256, domain.canonical_entry
    prev, seq = domain.GENESIS, 0
    for r in records:
        event_id = r["event_id"]
        if event_id in seen:
            out.duplicates += 1
            continue
        remember(event_id)
        seq += 1
        topic, partition, offset, payload = r["topic"], r["partition"], r["offset"], r["payload"]
        canonical = canonical_entry(seq, topic, partition, offset, event_id, payload)
        digest = sha((prev + "\n").encode() + canonical).hexdigest()
        if out.chain_problem is None and "hash" in r:
            if r["seq"] != seq:
                out.chain_problem = {"seq": seq, "reason": f"entry {seq} is missing (found {r['seq']} next)"}
            elif r["prev_hash"] != prev:
                out.chain_problem = {"seq": seq, "reason": "prev_hash does not match the previous entry's hash"}
            elif r["hash"] != digest:
                out.chain_problem = {"seq": seq, "reason": "hash does not match the entry's content"}
        keep((seq, event_id, topic, partition, offset, r["event_type"], r["source"], r["subject"], r["event_time"],
              payload, prev, digest))
        prev = digest
    out.head_hash = prev
    return out


def project(records: Iterable[dict]) -> MemoryStore:
    """Every projection from records in log order (the first of each event id counts, as in the log), with the
    same `Projector` the live consumer uses; KPI cells summed once at the end."""
    store = MemoryStore()
    projector = Projector(store, incremental_cells=False)
    apply, loads = projector.apply, json.loads
    for seq, r in _unique(records):
        apply(event_id=r["event_id"], event_type=r["event_type"], subject=r["subject"],
              data=loads(r["payload"]).get("data") or {}, time=r["event_time"], seq=seq)
    projector.build_cells()
    return store


PARALLEL_FROM = 50_000  # below this a second process costs more than it saves


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class _Forked:
    """`function(records)` in a forked child (the records are inherited, not copied through a pipe); the result
    comes back pickled. The child touches no database and no file."""

    def __init__(self, function, records):
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_run_child, args=(function, records, send), daemon=True)
        self.process.start()
        send.close()

    def result(self):
        try:
            kind, value = self.receive.recv()
        except EOFError:
            self.close()
            raise RuntimeError(f"the replay's second process died (exit code {self.process.exitcode})") from None
        self.process.join()
        self.receive.close()
        if kind == "error":
            raise RuntimeError(f"the replay's second process failed:\n{value}")
        return value

    def close(self) -> None:
        """Stop the child if its result will not be read (the parent failed first)."""
        if self.process.exitcode is None:
            self.process.terminate()
        self.process.join()
        self.receive.close()


def _run_child(function, records, send) -> None:
    try:
        result = ("ok", function(records))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        result = ("error", traceback.format_exc())
    send.send(result)
    send.close()
