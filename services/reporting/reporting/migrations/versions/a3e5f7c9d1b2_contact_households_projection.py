"""contact households projection

The deputies' contact households (双联系) and their meetings, from roster's contact_household.linked /
contact_household.unlinked and contact_meeting.recorded. An existing deployment fills them by a replay
(`wangge export`, then `wangge replay --file ... --into <new db>`), as for the other projections.

Revision ID: a3e5f7c9d1b2
Revises: 7c41d2e9a8b5
Create Date: 2026-12-01 09:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'a3e5f7c9d1b2'
down_revision: Union[str, Sequence[str], None] = '7c41d2e9a8b5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('contact_links',
    sa.Column('link_id', sa.String(length=36), nullable=False),
    sa.Column('deputy_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('grid_id', sa.String(length=36), nullable=True),
    sa.Column('linked_on', sa.String(length=10), nullable=False),
    sa.Column('ended_on', sa.String(length=10), nullable=True),
    sa.PrimaryKeyConstraint('link_id')
    )
    with op.batch_alter_table('contact_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_links_deputy_id'), ['deputy_id'], unique=False)
    op.create_table('contact_meetings',
    sa.Column('meeting_id', sa.String(length=36), nullable=False),
    sa.Column('link_id', sa.String(length=36), nullable=False),
    sa.Column('deputy_id', sa.String(length=36), nullable=False),
    sa.Column('met_on', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('meeting_id')
    )
    with op.batch_alter_table('contact_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_meetings_deputy_id'), ['deputy_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contact_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_meetings_deputy_id'))
    op.drop_table('contact_meetings')
    with op.batch_alter_table('contact_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_links_deputy_id'))
    op.drop_table('contact_links')
