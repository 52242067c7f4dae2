"""work_orders.sign_due_at, sign_overdue_marked: the handling deadline runs from dispatch; a signing limit

Orders already dispatched and not signed get a signing limit of 24 hours from their dispatch and are looked at by
the next deadline scan, which flags them when it has passed; their handling deadline is set, from dispatch, when
they are signed.

Revision ID: 5d7f9b1c3e20
Revises: 79e7e84256a0
Create Date: 2026-12-06 00:30:00.000000

"""
from typing import Sequence, Union

from datetime import datetime, timedelta

from alembic import op
import sqlalchemy as sa


revision: str = '5d7f9b1c3e20'
down_revision: Union[str, Sequence[str], None] = '79e7e84256a0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders') as batch:
        batch.add_column(sa.Column('sign_due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('sign_overdue_marked', sa.Boolean(), nullable=False, server_default=sa.false()))
    orders = sa.table('work_orders', sa.column('id', sa.String), sa.column('state', sa.String),
                      sa.column('created_at', sa.DateTime(timezone=True)),
                      sa.column('sign_due_at', sa.DateTime(timezone=True)),
                      sa.column('next_check_at', sa.DateTime(timezone=True)))
    connection = op.get_bind()
    for order_id, created_at in connection.execute(sa.select(orders.c.id, orders.c.created_at)
                                                   .where(orders.c.state == 'dispatched')).all():
        if isinstance(created_at, str):  # SQLite hands back text
            created_at = datetime.fromisoformat(created_at)
        due = created_at + timedelta(hours=24)
        connection.execute(orders.update().where(orders.c.id == order_id).values(sign_due_at=due, next_check_at=due))


def downgrade() -> None:
    with op.batch_alter_table('work_orders') as batch:
        batch.drop_column('sign_overdue_marked')
        batch.drop_column('sign_due_at')
