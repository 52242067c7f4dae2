"""work_orders.forward_due_at, forwarded_at, forwarded_by, forward_overdue_marked: a county matter goes through the
township congress (镇人大), which forwards it to the county department within its own time limit (issue 17, item 3)

Revision ID: a7c3e5f9b2d4
Revises: 18b2d4f6a8c0
Create Date: 2026-12-06 03:10:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'a7c3e5f9b2d4'
down_revision: Union[str, Sequence[str], None] = "18b2d4f6a8c0"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Orders dispatched before this change went to their department directly: they keep NULL forward_due_at.
    with op.batch_alter_table('work_orders') as batch:
        batch.add_column(sa.Column('forward_due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('forwarded_by', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('forward_overdue_marked', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('work_orders') as batch:
        batch.drop_column('forward_overdue_marked')
        batch.drop_column('forwarded_by')
        batch.drop_column('forwarded_at')
        batch.drop_column('forward_due_at')
