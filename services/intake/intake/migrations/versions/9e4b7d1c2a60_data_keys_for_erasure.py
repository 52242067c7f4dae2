"""data keys per reporter and household, for erasure by crypto-shredding

Revision ID: 9e4b7d1c2a60
Revises: 5c2e8f1a9b30
Create Date: 2026-12-06 00:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '9e4b7d1c2a60'
down_revision: Union[str, Sequence[str], None] = '5c2e8f1a9b30'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'data_keys',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('subject_ref', sa.String(length=64), nullable=False),
        sa.Column('phone_hash', sa.String(length=64), nullable=True),
        sa.Column('wrapped', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('erased_by', sa.String(length=100), nullable=True),
        sa.Column('erasure_id', sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_data_keys_subject_ref', 'data_keys', ['subject_ref'])
    op.create_index('ix_data_keys_phone_hash', 'data_keys', ['phone_hash'])
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('data_key_id', sa.String(length=40), nullable=True))
    with op.batch_alter_table('households') as batch:
        batch.add_column(sa.Column('data_key_id', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('households') as batch:
        batch.drop_column('data_key_id')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('data_key_id')
    op.drop_index('ix_data_keys_phone_hash', 'data_keys')
    op.drop_index('ix_data_keys_subject_ref', 'data_keys')
    op.drop_table('data_keys')
