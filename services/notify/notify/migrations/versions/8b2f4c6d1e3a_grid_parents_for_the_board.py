"""grids.parent_id: a grid's board shows the reception days of the station serving it or an enclosing grid

The grid notice (roster) lists those days; the board listed only days held in the grid itself, so the two
disagreed. Filled from grid.created / grid.updated; an existing deployment fills it by re-reading roster.v1.

Revision ID: 8b2f4c6d1e3a
Revises: 6955cf50e5c9
Create Date: 2026-12-05 23:55:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '8b2f4c6d1e3a'
down_revision: Union[str, Sequence[str], None] = '6955cf50e5c9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('grids') as batch:
        batch.add_column(sa.Column('parent_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('grids') as batch:
        batch.drop_column('parent_id')
