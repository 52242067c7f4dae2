"""assignment_plans.warnings (两代表 gaps shown, not refused); plan_entries by deputy (a hand edit re-counts the
loads it touched); stations.township_id, unique among township stations ("1+4+N": one per township)

Revision ID: c0a7f2e91d55
Revises: f35b6e0f137a
Create Date: 2026-12-06 03:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'c0a7f2e91d55'
down_revision: Union[str, Sequence[str], None] = 'f35b6e0f137a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('assignment_plans') as batch:
        batch.add_column(sa.Column('warnings', sa.JSON(), nullable=True))
    op.create_index('ix_plan_entries_deputy_plan', 'plan_entries', ['deputy_id', 'plan_id'])
    with op.batch_alter_table('stations') as batch:
        batch.add_column(sa.Column('township_id', sa.String(length=36), nullable=True))
        batch.create_foreign_key('fk_stations_township_id_grids', 'grids', ['township_id'], ['id'])
    # A township station names its township: the level-1 grid among those it serves (the demo's stations do).
    op.execute("UPDATE stations SET township_id = (SELECT g.id FROM station_grids sg JOIN grids g "
               "ON g.id = sg.grid_id WHERE sg.station_id = stations.id AND g.level = 1 ORDER BY g.code LIMIT 1) "
               "WHERE tier = 'township'")
    # Two township stations of one township, opened before the rule: the later ones keep no township (the
    # structure check then names them) rather than failing the migration.
    op.execute("UPDATE stations SET township_id = NULL WHERE tier = 'township' AND EXISTS (SELECT 1 FROM stations s2 "
               "WHERE s2.tier = 'township' AND s2.township_id = stations.township_id AND (s2.created_at < "
               "stations.created_at OR (s2.created_at = stations.created_at AND s2.id < stations.id)))")
    op.create_index('uq_stations_township', 'stations', ['township_id'], unique=True,
                    sqlite_where=sa.text("tier = 'township'"), postgresql_where=sa.text("tier = 'township'"))


def downgrade() -> None:
    op.drop_index('uq_stations_township', table_name='stations')
    with op.batch_alter_table('stations') as batch:
        batch.drop_constraint('fk_stations_township_id_grids', type_='foreignkey')
        batch.drop_column('township_id')
    op.drop_index('ix_plan_entries_deputy_plan', table_name='plan_entries')
    with op.batch_alter_table('assignment_plans') as batch:
        batch.drop_column('warnings')
