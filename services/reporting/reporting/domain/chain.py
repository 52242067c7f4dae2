"""The audit chain (审计日志): an entry's canonical bytes, its hash link, one streaming walk that checks chain and
Merkle nodes together, and what a checkpoint signs. Pure: no session, no clock."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _string

GENESIS = "0" * 64


def canonical_entry(seq: int, topic: str, partition: int, offset: int, event_id: str, payload: str) -> bytes:
    """The canonical bytes of one log entry: what the chain hash and the Merkle leaf are computed over.

    Exactly json.dumps([seq, topic, partition, offset, event_id, payload], ensure_ascii=False,
    separators=(",", ":")), assembled by hand because replay and verify do this a million times."""
    return (f"[{int(seq)},{_string(topic)},{int(partition)},{int(offset)},{_string(event_id)},"
            f"{_string(payload)}]").encode()


def entry_bytes(*, seq: int, topic: str, partition: int, offset: int, event_id: str, payload: str) -> bytes:
    return canonical_entry(seq, topic, partition, offset, event_id, payload)


def entry_hash(prev_hash: str, *, seq: int, topic: str, partition: int, offset: int, event_id: str, payload: str) -> str:
    """SHA-256 over the previous hash and the entry's canonical fields: change any entry and every later hash breaks."""
    canonical = canonical_entry(seq, topic, partition, offset, event_id, payload)
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical).hexdigest()


@dataclass
class Walk:
    """What one pass over the log found: entries walked, the chain's first break, the stored Merkle nodes that
    differ from (or are missing against) the recomputed ones, and the roots at the sizes asked for."""
    size: int = 0
    chain_problem: dict | None = None
    node_problems: list = field(default_factory=list)
    roots: dict = field(default_factory=dict)
    head_hash: str = GENESIS


def walk_log(rows, stored_nodes: dict, root_sizes=(), min_level: int = 4) -> Walk:
    """Walk (seq, topic, partition, offset, event_id, payload, prev_hash, hash) rows in seq order, once: check each
    entry's position, link and hash, rebuild the RFC 9162 tree as a compact range (the perfect subtrees of the
    binary decomposition of the size, largest first) and compare every subtree of level ≥ min_level with
    `stored_nodes` {(level, idx): hex}, popping what it compares, so what is left there was never recomputed.
    Stops at the first chain break; `roots` holds the root at each size of `root_sizes` reached."""
    sha = hashlib.sha256
    out = Walk()
    wanted = set(root_sizes)
    stack: list[bytes] = []
    prev, n = GENESIS, 0
    pop = stored_nodes.pop
    for seq, topic, partition, offset, event_id, payload, prev_hash, digest in rows:
        if seq != n + 1:
            out.chain_problem = {"seq": n + 1, "reason": f"entry {n + 1} is missing (found {seq} next)"}
            break
        if prev_hash != prev:
            out.chain_problem = {"seq": seq, "reason": "prev_hash does not match the previous entry's hash"}
            break
        canonical = canonical_entry(seq, topic, partition, offset, event_id, payload)
        if sha((prev + "\n").encode() + canonical).hexdigest() != digest:
            out.chain_problem = {"seq": seq, "reason": "hash does not match the entry's content"}
            break
        current, i, level = sha(b"\x00" + canonical).digest(), n, 0
        while i & 1:
            current = sha(b"\x01" + stack.pop() + current).digest()
            i >>= 1
            level += 1
            if level >= min_level:
                stored = pop((level, i), None)
                if stored != current.hex():
                    out.node_problems.append((i << level, level, i, stored is None))
        stack.append(current)
        n, prev = seq, digest
        if n in wanted:
            out.roots[n] = _fold(stack)
    out.size, out.head_hash = n, prev
    out.roots[n] = _fold(stack)
    return out


def _fold(stack: list[bytes]) -> bytes:
    """The root of a compact range: H(s0, H(s1, ... H(s_k-1, s_k)))."""
    if not stack:
        return hashlib.sha256(b"").digest()
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = hashlib.sha256(b"\x01" + left + root).digest()
    return root


def checkpoint_message(tree_size: int, root_hash: str, signed_at: str) -> bytes:
    """What a checkpoint's Ed25519 signature covers."""
    return f"wangge-audit-checkpoint/v1\n{tree_size}\n{root_hash}\n{signed_at}\n".encode()
