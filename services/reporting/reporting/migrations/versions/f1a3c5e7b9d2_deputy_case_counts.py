"""deputy_case_counts: each deputy's case counts per year, kept by the projector (issue 16)

The 代表履职 table read every case of the year to count each deputy's answers, mediations, suggestions, special
groups helped and matters settled (6 s at 100,000 cases); this projection keeps those counts per deputy and year.
The upgrade fills it from case_facts, the same counts the projector keeps (domain.count_cases).

Revision ID: f1a3c5e7b9d2
Revises: d4f6a8c0e2b5
Create Date: 2026-12-06 06:45:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'f1a3c5e7b9d2'
down_revision: Union[str, Sequence[str], None] = 'd4f6a8c0e2b5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COUNTS = ("answered", "mediated", "suggestions", "special_answered", "settled")


def upgrade() -> None:
    op.create_table('deputy_case_counts',
                    sa.Column('deputy_id', sa.String(length=36), nullable=False),
                    sa.Column('year', sa.String(length=4), nullable=False),
                    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
                    sa.PrimaryKeyConstraint('deputy_id', 'year'))
    op.execute(
        "INSERT INTO deputy_case_counts (deputy_id, year, answered, mediated, suggestions, special_answered, settled) "
        "SELECT deputy_id, substr(period, 1, 4), "
        "sum(CASE WHEN replied THEN 1 ELSE 0 END), sum(CASE WHEN mediated THEN 1 ELSE 0 END), "
        "sum(CASE WHEN category = 'suggestion' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN replied AND special THEN 1 ELSE 0 END), "
        "sum(CASE WHEN replied AND closed AND outcome IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END) "
        "FROM case_facts WHERE deputy_id IS NOT NULL GROUP BY deputy_id, substr(period, 1, 4)")
    op.execute("DELETE FROM deputy_case_counts WHERE " + " AND ".join(f"{name} = 0" for name in COUNTS))


def downgrade() -> None:
    op.drop_table('deputy_case_counts')
