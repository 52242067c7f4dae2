"""Reporting's state changes, each taking the session of its unit of work: append an event to the audit log (hash
chain and Merkle nodes), sign a checkpoint, record a scheduled job's run."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from wangge_common import clock

from . import domain, merkle
from .models import AuditEntry, ChainHead, Checkpoint, MerkleNode
from .queries.audit import leaf_hashes, stored_tree, tree_size
from .settings import SIGNING_KEY_ENV


class SigningKeyMissing(RuntimeError):
    """Checkpoints cannot be signed: no key configured."""


class AuditLogBroken(RuntimeError):
    """The log no longer matches its last signed checkpoint: signing a new one would cover the change."""


# --- append ----------------------------------------------------------------------------------------------------
def append(session, *, event_id, topic, partition, offset, event_type, source, subject, event_time,
           payload) -> AuditEntry:
    """Append one entry: chain it to the head and store the Merkle nodes it completes; the head row lock
    serialises concurrent appenders so sequence, chain and tree stay one line."""
    head = session.scalars(select(ChainHead).where(ChainHead.id == 1).with_for_update()).one_or_none()
    if head is None:
        head = ChainHead(id=1, seq=0, hash=domain.GENESIS)
        session.add(head)
    seq = head.seq + 1
    fields = dict(seq=seq, topic=topic, partition=partition, offset=offset, event_id=event_id, payload=payload)
    entry = AuditEntry(event_type=event_type, source=source, subject=subject, event_time=event_time,
                       prev_hash=head.hash, hash=domain.entry_hash(head.hash, **fields), **fields)
    session.add(entry)
    leaf = merkle.leaf_hash(domain.entry_bytes(**fields))

    def lookup(level, idx):
        return bytes.fromhex(session.get(MerkleNode, (level, idx)).hash)

    def block(start, end):
        return leaf_hashes(session, start, end)

    for level, idx, value in merkle.new_nodes(seq - 1, leaf, lookup, block):
        session.add(MerkleNode(level=level, idx=idx, hash=value.hex()))
    head.seq, head.hash = seq, entry.hash
    session.flush()
    return entry


# --- signed checkpoints ----------------------------------------------------------------------------------------------
def load_signing_key(raw: str | None) -> Ed25519PrivateKey:
    """The Ed25519 key from WANGGE_REPORTING_SIGNING_KEY: 32 bytes, hex or base64, or a PEM private key."""
    if not raw:
        raise SigningKeyMissing(f"{SIGNING_KEY_ENV} is not set; create one with "
                                "python -c 'import os; print(os.urandom(32).hex())'")
    raw = raw.strip()
    if raw.startswith("-----BEGIN"):
        return serialization.load_pem_private_key(raw.encode(), password=None)
    try:
        seed = bytes.fromhex(raw)
    except ValueError:
        try:
            seed = base64.b64decode(raw, validate=True)
        except binascii.Error as exc:
            raise SigningKeyMissing(f"{SIGNING_KEY_ENV} is neither hex, base64 nor PEM") from exc
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def new_signing_key() -> str:
    return Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                      serialization.NoEncryption()).hex()


def sign_checkpoint(session, key: Ed25519PrivateKey, now: datetime | None = None) -> Checkpoint | None:
    """Sign the tree as it stands, unless it has not grown since the last checkpoint."""
    size = tree_size(session)
    last = session.scalar(select(func.max(Checkpoint.tree_size)))
    if size == 0 or (last or 0) >= size:
        return None
    root = stored_tree(session, lambda t: t.root(size)).root(size).hex()
    signed_at = clock.wire_time(now or clock.now())
    cp = Checkpoint(tree_size=size, root_hash=root, signed_at=signed_at, public_key=public_key_hex(key),
                    signature=key.sign(domain.checkpoint_message(size, root, signed_at)).hex())
    session.add(cp)
    session.flush()
    return cp


def record_run(session, run) -> None:
    """Keep one scheduled job's run (a reconciliation or a projection check) for /metrics and the audit API."""
    session.add(run)
