"""cases.created_at index: a period's cases for reconciliation

`wangge reconcile` (and reporting's scheduled reconciliation) asks intake for the ids of the cases it accepted in a
period; without this index each run scans the whole table.

Revision ID: 7d3e9b1c5a42
Revises: a3fa4e6d898d
Create Date: 2026-12-05 23:58:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '7d3e9b1c5a42'
down_revision: Union[str, Sequence[str], None] = 'a3fa4e6d898d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_created', ['created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_created')
