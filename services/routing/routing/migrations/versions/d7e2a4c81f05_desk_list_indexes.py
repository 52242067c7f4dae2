"""indexes for the desks' lists: a person's grid scope (grid_id, case_id) answered from the index alone, and the
cases on a path (the major-issue procedure) found without reading every case of the township

Revision ID: d7e2a4c81f05
Revises: c41d7a2e9b10
Create Date: 2026-12-06 03:30:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = 'd7e2a4c81f05'
down_revision: Union[str, Sequence[str], None] = 'c41d7a2e9b10'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_routed_cases_grid_case", "routed_cases", ["grid_id", "case_id"])
    op.create_index("ix_routed_cases_path_state", "routed_cases", ["path", "state"])


def downgrade() -> None:
    op.drop_index("ix_routed_cases_path_state", table_name="routed_cases")
    op.drop_index("ix_routed_cases_grid_case", table_name="routed_cases")
