"""duplicate look-up index: grid, content key and registration time

Revision ID: 5c2e8f1a9b30
Revises: 993e9143ec52
Create Date: 2026-12-01 08:45:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '5c2e8f1a9b30'
down_revision: Union[str, Sequence[str], None] = '993e9143ec52'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The same-content look-up of a new case used (grid_id, created_at) and read every case of the grid's last
    30 days: (grid_id, content_key, created_at) answers it from the index. ix_cases_grid_id is a prefix of the
    grid indexes and only cost every insert a page."""
    op.create_index('ix_cases_grid_content_created', 'cases', ['grid_id', 'content_key', 'created_at'], unique=False)
    op.drop_index('ix_cases_grid_content', table_name='cases')
    op.drop_index('ix_cases_grid_id', table_name='cases')


def downgrade() -> None:
    op.create_index('ix_cases_grid_id', 'cases', ['grid_id'], unique=False)
    op.create_index('ix_cases_grid_content', 'cases', ['grid_id', 'content_key'], unique=False)
    op.drop_index('ix_cases_grid_content_created', table_name='cases')
