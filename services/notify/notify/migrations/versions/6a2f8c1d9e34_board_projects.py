"""board_projects: completed micro livelihood projects (民生微实事) on their grid's board

Revision ID: 6a2f8c1d9e34
Revises: 5e9a2d7c4b18
Create Date: 2026-12-06 07:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '6a2f8c1d9e34'
down_revision: Union[str, Sequence[str], None] = '5e9a2d7c4b18'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "board_projects",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("grid_id", sa.String(36), nullable=False, index=True),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("funded_yuan", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("board_projects")
