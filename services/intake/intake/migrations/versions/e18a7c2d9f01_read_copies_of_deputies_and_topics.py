"""read copies of roster's deputies and assignments, and of routing's dispatch topics (issue 18)

Revision ID: e18a7c2d9f01
Revises: 7d3e9b1c5a42
Create Date: 2026-12-06 03:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'e18a7c2d9f01'
down_revision: Union[str, Sequence[str], None] = '7d3e9b1c5a42'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The topics of the dispatch catalogue routing starts with (its migration 08bd1884909c); later changes arrive as
# dispatch_catalogue.changed, each with the full list.
SEED_TOPICS = ("road", "lighting", "water", "sanitation", "social_assistance", "elderly_care", "medical_insurance",
               "land", "environment", "food_safety", "wages", "neighbour_dispute", "policy", "legal")


def upgrade() -> None:
    op.create_table('known_deputies',
                    sa.Column('deputy_id', sa.String(length=36), nullable=False),
                    sa.Column('level', sa.String(length=20), nullable=False),
                    sa.Column('status', sa.String(length=12), nullable=False),
                    sa.Column('home_grid_id', sa.String(length=36), nullable=True),
                    sa.Column('work_grid_id', sa.String(length=36), nullable=True),
                    sa.PrimaryKeyConstraint('deputy_id'))
    op.create_table('known_grid_deputies',
                    sa.Column('grid_id', sa.String(length=36), nullable=False),
                    sa.Column('deputy_id', sa.String(length=36), nullable=False),
                    sa.Column('kind', sa.String(length=20), nullable=False),
                    sa.PrimaryKeyConstraint('grid_id', 'deputy_id'))
    op.create_index('ix_known_grid_deputies_deputy_id', 'known_grid_deputies', ['deputy_id'])
    topics = op.create_table('known_topics', sa.Column('topic', sa.String(length=60), nullable=False),
                             sa.PrimaryKeyConstraint('topic'))
    op.bulk_insert(topics, [{"topic": t} for t in SEED_TOPICS])


def downgrade() -> None:
    op.drop_table('known_topics')
    op.drop_index('ix_known_grid_deputies_deputy_id', table_name='known_grid_deputies')
    op.drop_table('known_grid_deputies')
    op.drop_table('known_deputies')
