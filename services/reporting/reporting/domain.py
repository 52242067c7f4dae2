"""The audit chain: how an entry's hash is made and checked; pure Python."""
from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64


def entry_hash(prev_hash: str, *, seq: int, topic: str, partition: int, offset: int, event_id: str, payload: str) -> str:
    """SHA-256 over the previous hash and the entry's canonical fields: change any entry and every later hash breaks."""
    canonical = json.dumps([seq, topic, partition, offset, event_id, payload], ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def first_broken(entries) -> dict | None:
    """Walk entries in order; the first whose position, link or hash is wrong, with the reason, else None."""
    prev, expected_seq = GENESIS, 1
    for e in entries:
        if e.seq != expected_seq:
            return {"seq": expected_seq, "reason": f"entry {expected_seq} is missing (found {e.seq} next)"}
        if e.prev_hash != prev:
            return {"seq": e.seq, "reason": "prev_hash does not match the previous entry's hash"}
        recomputed = entry_hash(prev, seq=e.seq, topic=e.topic, partition=e.partition, offset=e.offset,
                                event_id=e.event_id, payload=e.payload)
        if recomputed != e.hash:
            return {"seq": e.seq, "reason": "hash does not match the entry's content"}
        prev, expected_seq = e.hash, expected_seq + 1
    return None


CASE_STATES = {"case.registered": "registered", "case.triaged": "triaged"}
