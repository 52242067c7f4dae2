"""projection_checks: the scheduled comparison of the KPI projections with a replay of the audit log

Each run of the `projection-check` job records how many projection rows differ from what the log gives; /metrics
reads the latest (projection_differences) and the counts by outcome (projection_checks_total{outcome}) (issue 17,
item 14).

Revision ID: d4f6a8c0e2b5
Revises: b8f2c4d6e1a3
Create Date: 2026-12-06 03:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'd4f6a8c0e2b5'
down_revision: Union[str, Sequence[str], None] = 'b8f2c4d6e1a3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('projection_checks',
                    sa.Column('id', sa.String(length=36), nullable=False),
                    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('outcome', sa.String(length=10), nullable=False),
                    sa.Column('entries', sa.Integer(), nullable=True),
                    sa.Column('differences', sa.Integer(), nullable=True),
                    sa.Column('detail', sa.Text(), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('projection_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projection_checks_started_at'), ['started_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('projection_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projection_checks_started_at'))
    op.drop_table('projection_checks')
