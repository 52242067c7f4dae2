"""the change feed (?updated_since=): work_orders.updated_at, and indexes in the feed's order

Revision ID: 8e2f6b3c1a47
Revises: d7e2a4c81f05
Create Date: 2026-12-06 03:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '8e2f6b3c1a47'
down_revision: Union[str, Sequence[str], None] = 'd7e2a4c81f05'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders') as batch:
        batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    # an existing order's last change known so far: its answer, else its signing, else its dispatch
    op.execute("UPDATE work_orders SET updated_at = COALESCE(answered_at, signed_at, created_at)")
    with op.batch_alter_table('work_orders') as batch:
        batch.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index('ix_work_orders_updated', 'work_orders', ['updated_at', 'id'])
    op.create_index('ix_routed_cases_updated', 'routed_cases', ['updated_at', 'case_id'])


def downgrade() -> None:
    op.drop_index('ix_routed_cases_updated', table_name='routed_cases')
    op.drop_index('ix_work_orders_updated', table_name='work_orders')
    with op.batch_alter_table('work_orders') as batch:
        batch.drop_column('updated_at')
