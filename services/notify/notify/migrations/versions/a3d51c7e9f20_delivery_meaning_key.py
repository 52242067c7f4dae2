"""deliveries.meaning_key: one message per meaning, recipient and channel; case_contacts.reopen_count

A resent event (same fact, new event id: a re-emitted registration, a re-run job) must not send a resident a second
"受理" message. `meaning_key` (see notify.domain.meaning_key) names the fact; the unique key
(meaning_key, recipient_ref, channel) holds it against concurrent writers. Rows written before it: the kinds whose
key needs only the case id (registered, triaged, closed) are backfilled, earliest row per (case, recipient, channel)
first, so a resend of an old case is caught too; later duplicates already sent keep NULL (history stays as it was).

Revision ID: a3d51c7e9f20
Revises: 0df016df741e
Create Date: 2026-12-05 23:50:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'a3d51c7e9f20'
down_revision: Union[str, Sequence[str], None] = '0df016df741e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BACKFILLED = ("case.registered", "case.triaged", "case.closed")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meaning_key', sa.String(length=200), nullable=True))
    with op.batch_alter_table('case_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopen_count', sa.Integer(), server_default='0', nullable=False))
    for event_type in BACKFILLED:
        op.execute(sa.text(
            "UPDATE deliveries SET meaning_key = :prefix || case_id WHERE event_type = :type AND case_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM deliveries earlier WHERE earlier.event_type = deliveries.event_type"
            " AND earlier.case_id = deliveries.case_id AND earlier.recipient_ref = deliveries.recipient_ref"
            " AND earlier.channel = deliveries.channel AND (earlier.created_at < deliveries.created_at"
            " OR (earlier.created_at = deliveries.created_at AND earlier.id < deliveries.id)))"
        ).bindparams(prefix=event_type + ":", type=event_type))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_delivery_meaning', ['meaning_key', 'recipient_ref', 'channel'])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('uq_delivery_meaning', type_='unique')
        batch_op.drop_column('meaning_key')
    with op.batch_alter_table('case_contacts', schema=None) as batch_op:
        batch_op.drop_column('reopen_count')
