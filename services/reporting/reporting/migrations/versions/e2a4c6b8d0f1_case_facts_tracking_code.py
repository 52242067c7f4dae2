"""case_facts.tracking_code, kpi_cells.closed_unrated

The lists people read name a case by its tracking code (受理编号), not its id; 未评价 counts closed cases without
a rating, not open ones.

Filled from case.registered; an existing deployment fills it by a replay, like the other projections.

Revision ID: e2a4c6b8d0f1
Revises: c5d1e8f2a7b4
Create Date: 2026-12-06 00:10:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'e2a4c6b8d0f1'
down_revision: Union[str, Sequence[str], None] = 'c5d1e8f2a7b4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('case_facts') as batch:
        batch.add_column(sa.Column('tracking_code', sa.String(length=20), nullable=True))
    # 未评价 counts closed cases without a rating only (it counted every case not rated, open ones too)
    with op.batch_alter_table('kpi_cells') as batch:
        batch.add_column(sa.Column('closed_unrated', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('case_facts') as batch:
        batch.drop_column('tracking_code')
    with op.batch_alter_table('kpi_cells') as batch:
        batch.drop_column('closed_unrated')
