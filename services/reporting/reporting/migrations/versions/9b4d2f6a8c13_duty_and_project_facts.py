"""duty_facts and project_facts: the duty record (履职登记) and micro livelihood projects (民生微实事), for 五个一,
the annual report and the project figures; empty until their events arrive (a replay fills them from the log)

Revision ID: 9b4d2f6a8c13
Revises: f1a3c5e7b9d2
Create Date: 2026-12-06 07:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '9b4d2f6a8c13'
down_revision: Union[str, Sequence[str], None] = 'f1a3c5e7b9d2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "duty_facts",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("deputy_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("occurred_on", sa.String(10), nullable=False),
        sa.Column("replied", sa.Boolean(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "project_facts",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("deputy_id", sa.String(36), nullable=False, index=True),
        sa.Column("grid_id", sa.String(36), nullable=False),
        sa.Column("township_id", sa.String(36), nullable=True, index=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("budget_yuan", sa.Integer(), nullable=False),
        sa.Column("funded_yuan", sa.Integer(), nullable=True),
        sa.Column("proposed_on", sa.String(10), nullable=False),
        sa.Column("funded_on", sa.String(10), nullable=True),
        sa.Column("completed_on", sa.String(10), nullable=True),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("pleased", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("project_facts")
    op.drop_table("duty_facts")
