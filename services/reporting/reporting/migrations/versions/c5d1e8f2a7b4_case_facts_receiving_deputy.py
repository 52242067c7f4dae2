"""case_facts: the deputy who took the matter in, and the department's name

Cases a deputy registered themselves (received_by a deputy) count as received in their performance; departments
are shown by name, not code. An existing deployment fills the columns by a replay, like the other projections.

Revision ID: c5d1e8f2a7b4
Revises: a3e5f7c9d1b2
Create Date: 2026-12-05 23:50:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'c5d1e8f2a7b4'
down_revision: Union[str, Sequence[str], None] = 'a3e5f7c9d1b2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('case_facts') as batch:
        batch.add_column(sa.Column('received_by_deputy_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('department_name', sa.String(length=100), nullable=True))
        batch.create_index('ix_case_facts_received_by_deputy_id', ['received_by_deputy_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_facts') as batch:
        batch.drop_index('ix_case_facts_received_by_deputy_id')
        batch.drop_column('received_by_deputy_id')
        batch.drop_column('department_name')
