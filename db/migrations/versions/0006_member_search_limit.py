"""member search limit: audit events get an outcome; per-key fixed-window counters

Revision ID: 0006_member_search_limit
Revises: 0005_normalise_stored_codes
Create Date: 2026-12-01 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006_member_search_limit"
down_revision: str | None = "0005_normalise_stored_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        # Events stored before outcomes existed have none (NULL).
        batch_op.add_column(
            sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
    op.create_table(
        "rate_windows",
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "scope"),
    )


def downgrade() -> None:
    op.drop_table("rate_windows")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("outcome")
