"""rolling rate limit: per-key fixed-window counters become one GCRA state per key and scope

A fixed window let a sweep take twice the allowance across a minute boundary and start again
at full speed every minute; `rate_limits` keeps a theoretical arrival time instead (see
`api.services.rate_limits`).  The counters are transient (a minute's worth), so the old table
is dropped rather than converted: each key starts this upgrade with its whole allowance.

Revision ID: 0009_rate_gcra
Revises: 0006_member_search_limit
Create Date: 2026-12-01 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009_rate_gcra"
down_revision: str | None = "0006_member_search_limit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table, not an altered one: no batch copy on SQLite (nothing refers to either).
    op.drop_table("rate_windows")
    op.create_table(
        "rate_limits",
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("theoretical_arrival_us", sa.BigInteger(), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "scope"),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.create_table(
        "rate_windows",
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "scope"),
    )
