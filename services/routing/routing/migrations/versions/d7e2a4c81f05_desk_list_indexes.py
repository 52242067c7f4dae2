"""the desks' lists: work_orders.grid_id (the case's grid, copied at dispatch and backfilled here) so a person's
grid scope filters orders on their own row; indexes by grid and state, department and state, and cases by path

Revision ID: d7e2a4c81f05
Revises: a7c3e5f9b2d4
Create Date: 2026-12-06 03:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'd7e2a4c81f05'
down_revision: Union[str, Sequence[str], None] = "a7c3e5f9b2d4"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("grid_id", sa.String(36), nullable=True))
    op.execute("UPDATE work_orders SET grid_id = (SELECT grid_id FROM routed_cases "
               "WHERE routed_cases.case_id = work_orders.case_id)")
    op.create_index("ix_work_orders_grid_state", "work_orders", ["grid_id", "state"])
    op.create_index("ix_work_orders_department_state", "work_orders", ["department_code", "state"])
    op.create_index("ix_routed_cases_path_state", "routed_cases", ["path", "state"])


def downgrade() -> None:
    op.drop_index("ix_routed_cases_path_state", table_name="routed_cases")
    op.drop_index("ix_work_orders_department_state", table_name="work_orders")
    op.drop_index("ix_work_orders_grid_state", table_name="work_orders")
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("grid_id")
