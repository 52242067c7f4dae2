"""priority: carried from case.registered onto routed cases; deadline rules for priority (issue 18 item 8)

Revision ID: 18b2d4f6a8c0
Revises: c41d7a2e9b10
Create Date: 2026-12-06 03:25:00

"""
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '18b2d4f6a8c0'
down_revision: Union[str, Sequence[str], None] = 'c41d7a2e9b10'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A matter of a special group (低保, 残疾, 孤寡老人, 留守儿童) is handled within 3 working days instead of the 7 (or
# 15) of a normal one; urgent matters keep their hours.
PRIORITY_DEADLINE = {"category": None, "topic": None, "urgency": None, "priority": "high", "amount": 3,
                     "unit": "working_days"}


def upgrade() -> None:
    with op.batch_alter_table('deadline_rules') as batch_op:
        batch_op.add_column(sa.Column('priority', sa.String(length=10), nullable=True))
    with op.batch_alter_table('routed_cases') as batch_op:
        batch_op.add_column(sa.Column('priority', sa.String(length=10), server_default='normal', nullable=False))
        batch_op.create_index('ix_routed_cases_priority', ['priority'])
    deadlines = sa.table('deadline_rules', *(sa.column(c) for c in PRIORITY_DEADLINE), sa.column('active'),
                         sa.column('version'), sa.column('changed_by'), sa.column('change_reason'),
                         sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(deadlines, [{**PRIORITY_DEADLINE, "active": True, "version": 1, "changed_by": "seed",
                                "change_reason": "特殊群体（低保、残疾、孤寡老人、留守儿童）诉求优先办理",
                                "created_at": datetime.now(timezone.utc)}])
    op.execute("UPDATE deadline_rules SET lineage_id = id WHERE lineage_id IS NULL")
    # cases routed before this change: routing did not keep their special groups, so only the urgent ones get a
    # priority other than normal (their deadlines were set already)
    op.execute("UPDATE routed_cases SET priority = 'urgent' WHERE urgency = 'urgent'")


def downgrade() -> None:
    op.execute("DELETE FROM deadline_rules WHERE priority IS NOT NULL")
    with op.batch_alter_table('routed_cases') as batch_op:
        batch_op.drop_index('ix_routed_cases_priority')
        batch_op.drop_column('priority')
    with op.batch_alter_table('deadline_rules') as batch_op:
        batch_op.drop_column('priority')
