"""the change feed (?updated_since=) on the inbox: deliveries indexed in the feed's order

Revision ID: 5e9a2d7c4b18
Revises: c8e2a4f6b1d3
Create Date: 2026-12-06 03:30:00

"""
from typing import Sequence, Union

from alembic import op


revision: str = '5e9a2d7c4b18'
down_revision: Union[str, Sequence[str], None] = 'c8e2a4f6b1d3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_deliveries_updated', 'deliveries', ['updated_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_deliveries_updated', table_name='deliveries')
