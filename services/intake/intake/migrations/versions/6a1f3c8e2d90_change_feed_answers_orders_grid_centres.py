"""cases.updated_at (the change feed), the answer as routing gave it, a read copy of work orders, grid centres

Revision ID: 6a1f3c8e2d90
Revises: f4b8c1d2e3a5
Create Date: 2026-12-06 03:10:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '6a1f3c8e2d90'
down_revision: Union[str, Sequence[str], None] = 'f4b8c1d2e3a5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('answer_summary', sa.Text(), nullable=True))
        batch.add_column(sa.Column('answered_by', sa.String(length=100), nullable=True))
    # a case's last change known so far: its last state change, else its registration
    op.execute("UPDATE cases SET updated_at = COALESCE(state_changed_at, created_at)")
    with op.batch_alter_table('cases') as batch:
        batch.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.create_index('ix_cases_updated', ['updated_at', 'id'])
    with op.batch_alter_table('known_grids') as batch:
        batch.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch.add_column(sa.Column('longitude', sa.Float(), nullable=True))
    op.create_table(
        'case_orders',
        sa.Column('work_order_id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('department_code', sa.String(length=40), nullable=False),
        sa.Column('department_name', sa.String(length=100), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('work_order_id'),
    )
    op.create_index('ix_case_orders_case_id', 'case_orders', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_case_orders_case_id', table_name='case_orders')
    op.drop_table('case_orders')
    with op.batch_alter_table('known_grids') as batch:
        batch.drop_column('longitude')
        batch.drop_column('latitude')
    with op.batch_alter_table('cases') as batch:
        batch.drop_index('ix_cases_updated')
        batch.drop_column('answered_by')
        batch.drop_column('answer_summary')
        batch.drop_column('updated_at')
