"""Reads of the audit log (审计日志): its entries, size, inclusion and consistency proofs, the full verification of
chain, Merkle tree and signed checkpoints, and the checkpoints themselves."""
from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from prometheus_client import Counter
from sqlalchemy import and_, func, or_, select

from wangge_common.errors import Invalid, NotFound
from wangge_common.paging import paginate

from .. import domain, merkle
from ..models import AuditEntry, ChainHead, Checkpoint, MerkleNode

# What the AuditLogVerifyFailed alert watches. check="verify": GET /v1/audit/verify found the log broken;
# check="checkpoint": the checkpoint job found the log no longer reaches its last signed root and signed nothing.
VERIFY_FAILURES = Counter("audit_verify_failures", "Audit-log checks that found the log does not hold", ["check"])


# --- read side -----------------------------------------------------------------------------------------------------
def tree_size(session) -> int:
    head = session.get(ChainHead, 1)
    return head.seq if head else 0


def leaf_hashes(session, start: int, end: int) -> list[bytes]:
    """Leaf hashes of the entries at 0-based positions [start, end) (seq start+1 .. end), recomputed from them."""
    rows = session.execute(select(AuditEntry.seq, AuditEntry.topic, AuditEntry.partition, AuditEntry.offset,
                                  AuditEntry.event_id, AuditEntry.payload)
                           .where(AuditEntry.seq > start, AuditEntry.seq <= end).order_by(AuditEntry.seq)).all()
    if [r[0] for r in rows] != list(range(start + 1, end + 1)):
        raise LookupError(f"audit entries {start + 1}..{end} are not all stored")
    return [merkle.leaf_hash(domain.canonical_entry(*r)) for r in rows]


def stored_tree(session, plan) -> merkle.Tree:
    """A tree over what `plan(tree)` needs, fetched in few queries: a dry run of `plan` records which stored
    subtrees and which short runs of entries it reads, then those rows are loaded together (a proof over 1 M
    entries reads ~40 nodes and at most two runs of 16 entries)."""
    wanted: set[tuple[int, int]] = set()
    runs: set[tuple[int, int]] = set()

    def record(level, idx):
        wanted.add((level, idx))
        return b""

    def record_leaves(start, end):
        runs.add((start, end))
        return [b""] * (end - start)

    plan(merkle.Tree(record, record_leaves))
    found = {}
    keys = sorted(wanted)
    for start in range(0, len(keys), 200):
        part = keys[start:start + 200]
        rows = session.execute(select(MerkleNode.level, MerkleNode.idx, MerkleNode.hash).where(
            or_(*(and_(MerkleNode.level == level, MerkleNode.idx == idx) for level, idx in part))))
        found.update({(level, idx): bytes.fromhex(value) for level, idx, value in rows})
    leaves = {}
    for start, end in _merged(runs):
        leaves.update(zip(range(start, end), leaf_hashes(session, start, end)))

    def lookup(level, idx):
        if (level, idx) not in found:
            raise LookupError(f"Merkle node ({level}, {idx}) is missing")
        return found[(level, idx)]

    return merkle.Tree(lookup, lambda start, end: [leaves[i] for i in range(start, end)])


def _merged(runs) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for start, end in sorted(runs):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(start, end) for start, end in out]


def _size_arg(session, size: int | None, field: str) -> int:
    current = tree_size(session)
    if size is None:
        return current
    if not 0 < size <= current:
        raise Invalid([(field, f"must be between 1 and the log's size {current}")])
    return size


def inclusion_proof(session, *, event_id: str | None = None, seq: int | None = None, tree_size_: int | None = None) -> dict:
    """Proof that an entry is in the tree of a given size (default: now), with what an auditor needs to check it."""
    query = select(AuditEntry)
    entry = session.scalars(query.where(AuditEntry.event_id == event_id) if event_id
                            else query.where(AuditEntry.seq == seq)).one_or_none()
    if entry is None:
        raise NotFound(f"no audit entry for {'event ' + event_id if event_id else 'position ' + str(seq)}")
    size = _size_arg(session, tree_size_, "tree_size")
    if entry.seq > size:
        raise Invalid([("tree_size", f"entry {entry.seq} is not in a tree of {size} entries")])
    tree = stored_tree(session, lambda t: (t.root(size), t.inclusion_proof(entry.seq - 1, size)))
    canonical = domain.entry_bytes(seq=entry.seq, topic=entry.topic, partition=entry.partition, offset=entry.offset,
                                   event_id=entry.event_id, payload=entry.payload)
    return {"seq": entry.seq, "leaf_index": entry.seq - 1, "tree_size": size, "event_id": entry.event_id,
            "entry": base64.b64encode(canonical).decode(),
            "leaf_hash": merkle.leaf_hash(canonical).hex(), "root_hash": tree.root(size).hex(),
            "audit_path": [h.hex() for h in tree.inclusion_proof(entry.seq - 1, size)]}


def consistency_proof(session, *, first: int, second: int | None) -> dict:
    """Proof that the tree at `second` entries extends the tree at `first` entries (RFC 9162 section 2.1.4)."""
    second = _size_arg(session, second, "second")
    if not 0 < first <= second:
        raise Invalid([("first", f"must be between 1 and second ({second})")])
    tree = stored_tree(session, lambda t: (t.root(first), t.root(second), t.consistency_proof(first, second)))
    return {"first": first, "second": second, "first_root": tree.root(first).hex(),
            "second_root": tree.root(second).hex(),
            "proof": [h.hex() for h in tree.consistency_proof(first, second)]}


# --- verify ----------------------------------------------------------------------------------------------------------
def verify(session) -> dict:
    """Recompute the chain, the Merkle tree and every checkpoint in one streaming pass over the log: valid, or
    the first bad position and why."""
    stored = {(level, idx): value for level, idx, value in
              session.execute(select(MerkleNode.level, MerkleNode.idx, MerkleNode.hash))}
    cps = list(session.scalars(select(Checkpoint).order_by(Checkpoint.tree_size)))
    walk = domain.walk_log(_log_rows(session), stored, {cp.tree_size for cp in cps},
                           min_level=merkle.STORED_MIN_LEVEL)
    broken = walk.chain_problem
    size = walk.size if broken is None else session.scalar(select(func.count()).select_from(AuditEntry))
    if broken is None:
        broken = _node_problem(walk, stored) or _check_head(session, walk) or _check_checkpoints(cps, walk)
    if broken is not None:
        VERIFY_FAILURES.labels("verify").inc()
    return {"valid": broken is None, "entries": size, "first_bad": broken,
            "root_hash": walk.roots[walk.size].hex() if broken is None else None}


def _log_rows(session, chunk: int = 20000):
    """(seq, topic, partition, offset, event_id, payload, prev_hash, hash) in seq order, streamed in chunks, as
    plain tuples: on SQLite straight from the driver's cursor (a million rows, no per-row wrapping), elsewhere
    through a server-side cursor."""
    columns = [AuditEntry.seq, AuditEntry.topic, AuditEntry.partition, AuditEntry.offset, AuditEntry.event_id,
               AuditEntry.payload, AuditEntry.prev_hash, AuditEntry.hash]
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute('SELECT seq, topic, "partition", "offset", event_id, payload, prev_hash, hash '
                           "FROM audit_log ORDER BY seq")
            while rows := cursor.fetchmany(chunk):
                yield from rows
        finally:
            cursor.close()
        return
    result = connection.execution_options(stream_results=True, yield_per=chunk).execute(
        select(*columns).order_by(AuditEntry.seq))
    try:
        for rows in result.partitions():
            yield from rows
    finally:
        result.close()  # the walk may stop early; release the cursor


def _node_problem(walk: domain.Walk, left_over: dict) -> dict | None:
    """The first leaf covered by a stored Merkle node that differs from the recomputed one, is missing, or
    covers entries the log does not hold."""
    problems = [(first + 1, f"stored Merkle node (level {level}, index {idx}) "
                            + ("is missing" if missing else "does not match the entries it covers"))
                for first, level, idx, missing in walk.node_problems]
    problems += [(min((idx << level) + 1, walk.size + 1), f"stored Merkle node (level {level}, index {idx}) is not "
                  f"part of the tree over the log's {walk.size} entries") for level, idx in left_over]
    if not problems:
        return None
    seq, reason = min(problems)
    return {"seq": seq, "reason": reason}


def _check_head(session, walk: domain.Walk) -> dict | None:
    head = session.get(ChainHead, 1)
    seq, last_hash = (head.seq, head.hash) if head else (0, domain.GENESIS)
    if seq != walk.size:
        return {"seq": walk.size + 1, "reason": f"the chain head says {seq} entries, the log holds {walk.size}"}
    if last_hash != walk.head_hash:
        return {"seq": max(walk.size, 1), "reason": "the chain head's hash is not the last entry's hash"}
    return None


def _check_checkpoints(cps, walk: domain.Walk) -> dict | None:
    for cp in cps:
        problem = checkpoint_problem(_cp_dict(cp))
        if problem is None and cp.tree_size > walk.size:
            problem = f"the log is shorter ({walk.size}) than this checkpoint"
        if problem is None and walk.roots[cp.tree_size].hex() != cp.root_hash:
            problem = "the log's root at this size differs from the signed root"
        if problem:
            return {"seq": min(cp.tree_size, walk.size + 1), "reason": f"checkpoint at size {cp.tree_size}: {problem}"}
    return None


def _cp_dict(cp: Checkpoint) -> dict:
    return {"tree_size": cp.tree_size, "root_hash": cp.root_hash, "signed_at": cp.signed_at,
            "public_key": cp.public_key, "signature": cp.signature}


def checkpoint_problem(cp: dict, trusted_key: str | None = None) -> str | None:
    """Why a checkpoint's signature does not hold (or its key is not the trusted one), else None."""
    if trusted_key and cp["public_key"] != trusted_key:
        return "signed by a key other than the trusted one"
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp["public_key"])).verify(
            bytes.fromhex(cp["signature"]), domain.checkpoint_message(cp["tree_size"], cp["root_hash"], cp["signed_at"]))
    except (InvalidSignature, ValueError):
        return "the signature does not verify"
    return None


def last_checkpoint_problem(session) -> str | None:
    """Why the log no longer holds against its latest signed checkpoint, else None: the signature, the size, and
    the root recomputed from the stored tree (cheap: about log2(size) nodes; GET /v1/audit/verify checks it all)."""
    last = session.scalars(select(Checkpoint).order_by(Checkpoint.tree_size.desc()).limit(1)).one_or_none()
    if last is None:
        return None
    problem = checkpoint_problem(_cp_dict(last))
    size = tree_size(session)
    if problem is None and last.tree_size > size:
        problem = f"the log holds {size} entries, fewer than the checkpoint"
    if problem is None:
        try:
            root = stored_tree(session, lambda t: t.root(last.tree_size)).root(last.tree_size).hex()
        except LookupError as exc:
            return f"checkpoint at size {last.tree_size}: {exc}"
        if root != last.root_hash:
            problem = "the log's root at this size differs from the signed root"
    return None if problem is None else f"checkpoint at size {last.tree_size}: {problem}"


def checkpoints_query():
    return select(Checkpoint).order_by(Checkpoint.tree_size)


def checkpoint_view(checkpoint) -> dict:
    return _cp_dict(checkpoint)


def checkpoints(session) -> list[dict]:
    return [_cp_dict(cp) for cp in session.scalars(checkpoints_query())]


def audit_events(session, *, subject=None, event_type=None, since=None, until=None, after_seq=0,
                 page=1, page_size=100) -> dict:
    """Entries in log order by subject, type and event time (ISO 8601, since inclusive, until exclusive)."""
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    if event_type:
        query = query.where(AuditEntry.event_type == event_type)
    if since:
        query = query.where(AuditEntry.event_time >= since)
    if until:
        query = query.where(AuditEntry.event_time < until)
    return paginate(session, query.order_by(AuditEntry.seq), page, page_size)


def audit_entries_by_case(session, case_ids: list[str]) -> dict:
    """{case id: {"entries": {event type: count}}} for the cases the log holds events about (subject = case id)."""
    found: dict = {}
    for subject, event_type, count in session.execute(
            select(AuditEntry.subject, AuditEntry.event_type, func.count()).where(AuditEntry.subject.in_(case_ids))
            .group_by(AuditEntry.subject, AuditEntry.event_type)):
        found.setdefault(subject, {"entries": {}})["entries"][event_type] = count
    return found
