"""household status as facts (#9)

The one `category` column (户类型) becomes the status facts recorded since 2026:
`poverty_alleviated` (原建档立卡脱贫户), `monitored` (防止返贫致贫对象) and `monitoring_type`, with
`risk_eliminated` as before.  Households also get `needs_support` (有帮扶需求, the 2026 帮扶小额信贷's target) and members
`employment_difficulty` (就业困难人员).  Each stored category is converted with the core's own table
(`eligibility.facts.CATEGORY_STATUS`), so the stored facts mean exactly what the category meant.

Downgrade writes the category back where the facts amount to one (`category_of`); it refuses,
naming how many, if some household's status has no category (a monitored 脱贫户 of unknown type,
say), rather than invent one.

Revision ID: 0002_household_status
Revises: 0001
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from eligibility.facts import CATEGORY_STATUS

revision: str = "0002_household_status"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_households = sa.table(
    "households",
    sa.column("category", sa.String),
    sa.column("poverty_alleviated", sa.Boolean),
    sa.column("monitored", sa.Boolean),
    sa.column("monitoring_type", sa.String),
)
_FACTS = ("poverty_alleviated", "monitored", "monitoring_type")


def _value(status: object, name: str) -> object:
    value = getattr(status, name)
    return getattr(value, "value", value)


def upgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("poverty_alleviated", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("monitored", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "monitoring_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
            )
        )
        # 有帮扶需求 as the village or county finds it (the 2026 帮扶小额信贷's target).
        batch_op.add_column(sa.Column("needs_support", sa.Boolean(), nullable=True))
    # 就业困难人员, asked for public-welfare posts (人社部发〔2022〕13号).
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("employment_difficulty", sa.Boolean(), nullable=True))
    for category, status in CATEGORY_STATUS.items():
        op.execute(
            _households.update()
            .where(_households.c.category == category.value)
            .values({name: _value(status, name) for name in _FACTS})
        )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_category"))
        batch_op.drop_column("category")


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("employment_difficulty")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    for category, status in CATEGORY_STATUS.items():
        conditions = []
        for name in _FACTS:
            value = _value(status, name)
            column = _households.c[name]
            conditions.append(column.is_(None) if value is None else column == value)
        op.execute(
            _households.update().where(sa.and_(*conditions)).values(category=category.value)
        )
    left = op.get_bind().execute(
        sa.select(sa.func.count()).select_from(_households).where(_households.c.category.is_(None))
    )
    count = left.scalar_one()
    if count:
        raise RuntimeError(
            f"cannot downgrade: {count} households have a status that no 户类型 (category) "
            "expresses; set their poverty_alleviated / monitored / monitoring_type first"
        )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.alter_column(
            "category", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False
        )
        batch_op.create_index(batch_op.f("ix_households_category"), ["category"], unique=False)
        batch_op.drop_column("needs_support")
        batch_op.drop_column("monitoring_type")
        batch_op.drop_column("monitored")
        batch_op.drop_column("poverty_alleviated")
