"""assignment_plans.warnings (两代表 gaps shown, not refused); plan_entries by deputy (a hand edit re-counts the
loads it touched); stations.township_id, unique among township stations ("1+4+N": one per township)

Revision ID: c0a7f2e91d55
Revises: b5d1e7a3c9f2
Create Date: 2026-12-06 03:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'c0a7f2e91d55'
down_revision: Union[str, Sequence[str], None] = 'b5d1e7a3c9f2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('assignment_plans', sa.Column('warnings', sa.JSON(), nullable=True))
    op.create_index('ix_plan_entries_deputy_plan', 'plan_entries', ['deputy_id', 'plan_id'])
    if op.get_bind().dialect.name == 'sqlite':
        # ADD COLUMN … REFERENCES: no copy of the table (a batch copy cannot drop a table station_grids refers to)
        op.execute("ALTER TABLE stations ADD COLUMN township_id VARCHAR(36) REFERENCES grids (id)")
    else:
        op.add_column('stations', sa.Column('township_id', sa.String(length=36), nullable=True))
        op.create_foreign_key('fk_stations_township_id_grids', 'stations', 'grids', ['township_id'], ['id'])
    # A township station names its township: that of the grids it serves (the tree has three levels), the
    # township grid itself first.
    op.execute("UPDATE stations SET township_id = (SELECT CASE g.level WHEN 1 THEN g.id WHEN 2 THEN g.parent_id "
               "ELSE (SELECT p.parent_id FROM grids p WHERE p.id = g.parent_id) END FROM station_grids sg "
               "JOIN grids g ON g.id = sg.grid_id WHERE sg.station_id = stations.id ORDER BY g.level, g.code "
               "LIMIT 1) WHERE tier = 'township'")
    # Two township stations of one township, opened before the rule: the later ones keep no township (the
    # structure check then names them) rather than failing the migration.
    op.execute("UPDATE stations SET township_id = NULL WHERE tier = 'township' AND EXISTS (SELECT 1 FROM stations s2 "
               "WHERE s2.tier = 'township' AND s2.township_id = stations.township_id AND (s2.created_at < "
               "stations.created_at OR (s2.created_at = stations.created_at AND s2.id < stations.id)))")
    op.create_index('uq_stations_township', 'stations', ['township_id'], unique=True,
                    sqlite_where=sa.text("tier = 'township'"), postgresql_where=sa.text("tier = 'township'"))


def downgrade() -> None:
    op.drop_index('uq_stations_township', table_name='stations')
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('stations') as batch:
            batch.drop_column('township_id')
    else:
        op.drop_constraint('fk_stations_township_id_grids', 'stations', type_='foreignkey')
        op.drop_column('stations', 'township_id')
    op.drop_index('ix_plan_entries_deputy_plan', table_name='plan_entries')
    op.drop_column('assignment_plans', 'warnings')
