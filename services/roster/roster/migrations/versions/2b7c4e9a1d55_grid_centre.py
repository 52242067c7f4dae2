"""grids.latitude/longitude: the grid's centre, so a located request (Open311 lat/long) finds its grid

Revision ID: 2b7c4e9a1d55
Revises: c0a7f2e91d55
Create Date: 2026-12-06 03:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '2b7c4e9a1d55'
down_revision: Union[str, Sequence[str], None] = 'c0a7f2e91d55'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('grids') as batch:
        batch.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch.add_column(sa.Column('longitude', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('grids') as batch:
        batch.drop_column('longitude')
        batch.drop_column('latitude')
