"""external ids for grids, deputies and stations; keyed hashes that find the same person twice; plan submission

Revision ID: b5d1e7a3c9f2
Revises: f35b6e0f137a
Create Date: 2026-12-06 03:05:00

An integrator's own id (`external_id`, unique where given) lets an import match its rows again. Deputies get
`mobile_hash` and `id_number_hash` (HMAC under a key derived from WANGGE_PII_KEY, as FieldCipher.lookup_hash), so
the same person registered twice is found without storing the number in clear; existing mobiles are hashed here.
Plans record who submitted them for approval.
"""
import hashlib
import hmac
import os
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet

from wangge_common.settings import secret


revision: str = 'b5d1e7a3c9f2'
down_revision: Union[str, Sequence[str], None] = 'f35b6e0f137a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _hash_existing_mobiles() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, mobile_encrypted FROM deputies")).all()
    if not rows:
        return
    keys = [k.strip() for k in (secret(os.environ, "WANGGE_PII_KEY") or "").split(",") if k.strip()]
    if not keys:
        raise RuntimeError("deputies exist: set WANGGE_PII_KEY so this migration can index their mobiles")
    fernet = MultiFernet([Fernet(k.encode()) for k in keys])
    lookup = hashlib.sha256(b"wangge-lookup:" + keys[0].encode()).digest()  # as FieldCipher.lookup_hash
    for deputy_id, token in rows:
        mobile = fernet.decrypt(token.encode()).decode()
        bind.execute(sa.text("UPDATE deputies SET mobile_hash = :h WHERE id = :id"),
                     {"h": hmac.new(lookup, mobile.encode(), hashlib.sha256).hexdigest(), "id": deputy_id})


def upgrade() -> None:
    # Plain ADD COLUMN and unique indexes, never a batch copy: on SQLite a copy of `grids` must drop the table that
    # station_grids, assignments and plans refer to, which a populated roster refuses (foreign keys are on).
    for table in ("grids", "deputies", "stations"):
        op.add_column(table, sa.Column('external_id', sa.String(length=100), nullable=True))
        op.create_index(f'uq_{table}_external_id', table, ['external_id'], unique=True)
    op.add_column('deputies', sa.Column('mobile_hash', sa.String(length=64), nullable=True))
    op.add_column('deputies', sa.Column('id_number_hash', sa.String(length=64), nullable=True))
    op.add_column('deputies', sa.Column('id_number_encrypted', sa.Text(), nullable=True))
    op.add_column('deputies', sa.Column('id_number_masked', sa.String(length=20), nullable=True))
    op.create_index('ix_deputies_mobile_hash', 'deputies', ['mobile_hash'])
    op.create_index('ix_deputies_id_number_hash', 'deputies', ['id_number_hash'])
    op.add_column('assignment_plans', sa.Column('submitted_by', sa.String(length=120), nullable=True))
    op.add_column('assignment_plans', sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
    _hash_existing_mobiles()


def downgrade() -> None:
    with op.batch_alter_table('assignment_plans') as batch:
        batch.drop_column('submitted_at')
        batch.drop_column('submitted_by')
    op.drop_index('ix_deputies_id_number_hash', table_name='deputies')
    op.drop_index('ix_deputies_mobile_hash', table_name='deputies')
    with op.batch_alter_table('deputies') as batch:
        for column in ('id_number_masked', 'id_number_encrypted', 'id_number_hash', 'mobile_hash'):
            batch.drop_column(column)
    for table in ("stations", "deputies", "grids"):
        op.drop_index(f'uq_{table}_external_id', table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column('external_id')
