"""Per-key limits on what could be used to guess personal data, as fixed windows in the
database (`rate_windows`), so every server worker counts against the same allowance."""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import RateWindow

WINDOW_SECONDS = 60


async def take(
    session: AsyncSession, key_id: str, scope: str, allowance: int, now: dt.datetime
) -> int | None:
    """Count one use of `scope` by `key_id` in the window holding `now`: None when it is within
    `allowance`, else the whole seconds until the window ends (for Retry-After).  The caller
    commits (a refused use is counted too, so a sweep does not speed up by being refused).

    One upsert statement, so two workers counting at once cannot both take the last use."""
    epoch = int(now.timestamp())
    window_start = epoch - epoch % WINDOW_SECONDS
    table = RateWindow.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(key_id=key_id, scope=scope, window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=[table.c.key_id, table.c.scope],
            set_={
                "count": sa.case(
                    (table.c.window_start == window_start, table.c.count + 1), else_=1
                ),
                "window_start": window_start,
            },
        )
        .returning(table.c.count)
    )
    count: int = (await session.exec(statement)).scalar_one()
    if count <= allowance:
        return None
    return max(1, math.ceil(window_start + WINDOW_SECONDS - now.timestamp()))
