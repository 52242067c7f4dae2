"""stations read copy, SMS contact key

Liaison stations (代表联络站) from roster.v1 (station.created / station.updated), so a station's board shows its
name and address and the results of every grid it serves, also when no reception day is coming up.
`deliveries.contact_key`: the keyed hash of the number an SMS went to, so the daily cap counts a resident's
messages across their cases (intake mints a reporter_ref per case). Rows sent before it keep NULL.

Revision ID: 6955cf50e5c9
Revises: 1f665058db5c
Create Date: 2026-12-01 08:45:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '6955cf50e5c9'
down_revision: Union[str, Sequence[str], None] = '1f665058db5c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('stations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('grid_ids', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_key', sa.String(length=40), nullable=True))
        batch_op.create_index('ix_deliveries_contact_sent', ['contact_key', 'sent_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_contact_sent')
        batch_op.drop_column('contact_key')
    op.drop_table('stations')
