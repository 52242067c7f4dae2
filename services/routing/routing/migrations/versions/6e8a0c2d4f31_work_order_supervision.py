"""work_orders.supervision, supervisor, supervised_at: 督办 and 提级督办 with effect

Revision ID: 6e8a0c2d4f31
Revises: 5d7f9b1c3e20
Create Date: 2026-12-06 00:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '6e8a0c2d4f31'
down_revision: Union[str, Sequence[str], None] = '5d7f9b1c3e20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('work_orders') as batch:
        batch.add_column(sa.Column('supervision', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('supervisor', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('supervised_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_work_orders_supervision', ['supervision'], unique=False)
    # orders already up the ladder: under the supervision their step gave them
    op.execute("UPDATE work_orders SET supervision = 'township', supervisor = '镇人大主席团' WHERE escalation_step = 2")
    op.execute("UPDATE work_orders SET supervision = 'county', supervisor = '县人民政府' WHERE escalation_step >= 3")


def downgrade() -> None:
    with op.batch_alter_table('work_orders') as batch:
        batch.drop_index('ix_work_orders_supervision')
        batch.drop_column('supervised_at')
        batch.drop_column('supervisor')
        batch.drop_column('supervision')
