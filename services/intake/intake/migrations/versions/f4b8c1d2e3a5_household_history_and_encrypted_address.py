"""household files: history of changes; address and notes encrypted (issue 18 item 9)

Revision ID: f4b8c1d2e3a5
Revises: e18a7c2d9f01
Create Date: 2026-12-06 03:05:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'f4b8c1d2e3a5'
down_revision: Union[str, Sequence[str], None] = 'e18a7c2d9f01'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('households') as batch_op:
        batch_op.add_column(sa.Column('address_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('notes_enc', sa.Text(), nullable=True))
    op.create_table('household_changes',
                    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column('household_id', sa.String(length=36), nullable=False),
                    sa.Column('event_id', sa.String(length=36), nullable=False),
                    sa.Column('fields', sa.JSON(), nullable=False),
                    sa.Column('special_groups', sa.JSON(), nullable=False),
                    sa.Column('reason', sa.String(length=500), nullable=False),
                    sa.Column('actor', sa.String(length=100), nullable=False),
                    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_household_changes_household_id', 'household_changes', ['household_id'])


def downgrade() -> None:
    op.drop_index('ix_household_changes_household_id', table_name='household_changes')
    op.drop_table('household_changes')
    with op.batch_alter_table('households') as batch_op:
        batch_op.drop_column('notes_enc')
        batch_op.drop_column('address_enc')
