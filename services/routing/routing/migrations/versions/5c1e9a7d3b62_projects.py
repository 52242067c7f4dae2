"""micro livelihood projects (民生微实事): projects, their cases, their history and the residents' ratings

Revision ID: 5c1e9a7d3b62
Revises: 8e2f6b3c1a47
Create Date: 2026-12-06 07:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '5c1e9a7d3b62'
down_revision: Union[str, Sequence[str], None] = "8e2f6b3c1a47"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
        sa.Column("grid_id", sa.String(36), nullable=False, index=True),
        sa.Column("township_id", sa.String(36), nullable=True, index=True),
        sa.Column("deputy_id", sa.String(36), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("budget_yuan", sa.Integer(), nullable=False),
        sa.Column("funded_yuan", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("proposed_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("completed_at", WHEN, nullable=True),
    )
    op.create_table(
        "project_cases",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), primary_key=True, index=True),
    )
    op.create_table(
        "project_steps",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(36), nullable=False, index=True),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("at", WHEN, nullable=False),
    )
    op.create_table(
        "project_ratings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(36), nullable=False, index=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("issued_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("used_at", WHEN, nullable=True),
        sa.Column("rating", sa.String(30), nullable=True),
    )


def downgrade() -> None:
    for table in ("project_ratings", "project_steps", "project_cases", "projects"):
        op.drop_table(table)
