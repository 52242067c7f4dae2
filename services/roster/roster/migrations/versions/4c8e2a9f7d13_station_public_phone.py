"""stations.phone: the station's public number, printed on notices instead of any deputy's mobile

Revision ID: 4c8e2a9f7d13
Revises: 2edce7b15a7d
Create Date: 2026-12-06 00:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '4c8e2a9f7d13'
down_revision: Union[str, Sequence[str], None] = '2edce7b15a7d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('stations') as batch:
        batch.add_column(sa.Column('phone', sa.String(length=30), nullable=True))
    # Deputies who had the notice print their masked mobile now have it print their station's number.
    op.execute("UPDATE deputies SET phone_display = 'station' WHERE phone_display = 'masked_mobile'")


def downgrade() -> None:
    with op.batch_alter_table('stations') as batch:
        batch.drop_column('phone')
