"""duty_records: a deputy's duty record (履职登记): suggestions and replies, inspections, surveys, themed
activities, forums, disputes mediated, households helped

Revision ID: 3d8f1a6c2e90
Revises: 2b7c4e9a1d55
Create Date: 2026-12-06 07:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '3d8f1a6c2e90'
down_revision: Union[str, Sequence[str], None] = '2b7c4e9a1d55'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'duty_records',
        sa.Column('id', sa.String(length=36), primary_key=True),
        sa.Column('deputy_id', sa.String(length=36), sa.ForeignKey('deputies.id'), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.Column('grid_id', sa.String(length=36), sa.ForeignKey('grids.id'), nullable=True),
        sa.Column('addressed_to', sa.String(length=200), nullable=True),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reply_outcome', sa.String(length=32), nullable=True),
        sa.Column('reply_text', sa.Text(), nullable=True),
        sa.Column('replied_on', sa.Date(), nullable=True),
        sa.Column('withdrawn_reason', sa.String(length=500), nullable=True),
        sa.Column('withdrawn_by', sa.String(length=200), nullable=True),
    )
    op.create_index('ix_duty_records_deputy_id', 'duty_records', ['deputy_id'])
    op.create_index('ix_duty_records_deputy_day', 'duty_records', ['deputy_id', 'occurred_on'])


def downgrade() -> None:
    op.drop_index('ix_duty_records_deputy_day', table_name='duty_records')
    op.drop_index('ix_duty_records_deputy_id', table_name='duty_records')
    op.drop_table('duty_records')
