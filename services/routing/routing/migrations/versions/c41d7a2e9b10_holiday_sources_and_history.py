"""holiday calendar: where each day comes from, and the history of every change

Revision ID: c41d7a2e9b10
Revises: f3c526913059
Create Date: 2026-12-06 00:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'c41d7a2e9b10'
down_revision: Union[str, Sequence[str], None] = 'f3c526913059'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # days already in the table were entered through the API: they are local and a refresh leaves them alone
    with op.batch_alter_table('holidays') as batch:
        batch.add_column(sa.Column('source', sa.String(length=20), server_default='local', nullable=False))
        batch.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
    op.create_table('holiday_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_holiday_changes_day'), 'holiday_changes', ['day'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_holiday_changes_day'), table_name='holiday_changes')
    op.drop_table('holiday_changes')
    with op.batch_alter_table('holidays') as batch:
        batch.drop_column('reason')
        batch.drop_column('source')
