"""merkle nodes from sixteen leaves up

The audit log's Merkle tree keeps only complete subtrees of 16 leaves or more (level >= 4); the smaller ones are
recomputed from the at most 16 entries they cover when a root or a proof needs them. This removes the stored nodes
of levels 0 to 3 (15/16 of the rows). They are derived data, recomputable from the log: the log itself is not
touched. Downgrading recomputes them from the entries (hash rules written out inline, as in 0fc893af50a0).

Revision ID: 7c41d2e9a8b5
Revises: 0fc893af50a0
Create Date: 2026-12-01 08:30:00.000000

"""
from typing import Sequence, Union

import hashlib
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '7c41d2e9a8b5'
down_revision: Union[str, Sequence[str], None] = '0fc893af50a0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STORED_MIN_LEVEL = 4


def upgrade() -> None:
    op.execute(sa.text(f"DELETE FROM audit_merkle_nodes WHERE level < {STORED_MIN_LEVEL}"))


def downgrade() -> None:
    """Store the subtrees of levels 0..3 again: leaf = SHA-256(0x00 || canonical entry), node = SHA-256(0x01 ||
    left || right)."""
    conn = op.get_bind()
    nodes = sa.table("audit_merkle_nodes", sa.column("level"), sa.column("idx"), sa.column("hash"))
    page = sa.text('SELECT seq, topic, "partition", "offset", event_id, payload FROM audit_log WHERE seq > :after '
                   "ORDER BY seq LIMIT 10000")
    last = [b""] * STORED_MIN_LEVEL  # the newest node of each level
    after = 0
    while rows := conn.execute(page, {"after": after}).all():
        after = rows[-1][0]
        conn.execute(nodes.insert(), _small_nodes(rows, last))


def _small_nodes(rows, last) -> list[dict]:
    batch = []
    for seq, topic, partition, offset, event_id, payload in rows:
        entry = json.dumps([seq, topic, partition, offset, event_id, payload], ensure_ascii=False,
                           separators=(",", ":")).encode()
        current, level, idx = hashlib.sha256(b"\x00" + entry).digest(), 0, seq - 1
        while level < STORED_MIN_LEVEL:
            batch.append({"level": level, "idx": idx, "hash": current.hex()})
            if idx % 2 == 0:
                last[level] = current
                break
            current = hashlib.sha256(b"\x01" + last[level] + current).digest()
            level, idx = level + 1, idx // 2
    return batch
