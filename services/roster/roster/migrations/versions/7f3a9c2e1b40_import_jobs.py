"""import jobs: long imports run outside the request, with their progress

Revision ID: 7f3a9c2e1b40
Revises: 4c8e2a9f7d13
Create Date: 2026-12-06 00:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '7f3a9c2e1b40'
down_revision: Union[str, Sequence[str], None] = '4c8e2a9f7d13'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'import_jobs',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('what', sa.String(length=10), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('import_valid_rows', sa.Boolean(), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('rows_written', sa.Integer(), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('invalid_rows', sa.Integer(), nullable=False),
        sa.Column('errors', sa.JSON(), nullable=False),
        sa.Column('errors_total', sa.Integer(), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('import_jobs')
