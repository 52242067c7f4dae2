"""reconcile_runs: the scheduled reconciliation's results

Each run of the `reconcile` job records the period it checked and how many of intake's cases were missing in
routing, notify and the audit log; /metrics reads the latest (reconcile_missing{stage}) and the counts by outcome
(reconcile_runs_total{outcome}).

Revision ID: b8f2c4d6e1a3
Revises: dad21c0a0aec
Create Date: 2026-12-06 00:05:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision: str = 'b8f2c4d6e1a3'
down_revision: Union[str, Sequence[str], None] = 'dad21c0a0aec'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('reconcile_runs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=True),
    sa.Column('missing_routing', sa.Integer(), nullable=True),
    sa.Column('missing_notify', sa.Integer(), nullable=True),
    sa.Column('missing_audit', sa.Integer(), nullable=True),
    sa.Column('doubled', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconcile_runs_started_at'), ['started_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconcile_runs_started_at'))
    op.drop_table('reconcile_runs')
