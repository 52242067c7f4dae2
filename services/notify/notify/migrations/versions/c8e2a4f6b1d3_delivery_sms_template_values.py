"""deliveries.variables: an SMS's template values, for providers that send approved templates with parameters
(Aliyun SMS, Tencent Cloud SMS; issue 17, item 7)

Revision ID: c8e2a4f6b1d3
Revises: a3d51c7e9f20
Create Date: 2026-12-06 03:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'c8e2a4f6b1d3'
down_revision: Union[str, Sequence[str], None] = 'a3d51c7e9f20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # SMS created before this change have no values: through a provider they fail naming the template's values
    # (the HTTP gateway sends the text as before).
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('variables', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('variables')
