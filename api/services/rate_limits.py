"""Per-key limits on what could be used to guess personal data, kept in the database
(`rate_limits`) so every server worker counts against the same allowance.

The limit rolls (GCRA, the generic cell rate algorithm): each use adds `PERIOD / allowance`
to a key's debt, time pays the debt back, and a use is allowed while the debt with it stays
within one `PERIOD`.  So at most `allowance` uses come back to back, on whichever sides of a
minute boundary, then one each `PERIOD / allowance`: `allowance` per period in the long run.
A refused use is counted too, with the debt capped at one `PERIOD` (a key that stops is whole
again a period later): once refused, a sweep that keeps trying faster than one use each
`PERIOD / allowance` gets nothing until it slows down.

What it does not promise: a key idle for a period may take its burst and then one use each
`PERIOD / allowance`, so up to 2 × allowance − 1 uses in the period after.  (The fixed window
it replaces gave 2 × allowance within a fraction of a second across a minute boundary.)
"""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import RateLimit

PERIOD = dt.timedelta(minutes=1)
"""The time an allowance is counted over: `allowance` uses per rolling minute."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _micros(moment: dt.datetime) -> int:
    """Whole microseconds since the epoch (exact: no float rounding)."""
    return (moment - _EPOCH) // _MICROSECOND


async def take(
    session: AsyncSession, key_id: str, scope: str, allowance: int, now: dt.datetime
) -> int | None:
    """Count one use of `scope` by `key_id` at `now`: None when it is within `allowance`
    uses per rolling `PERIOD`, else the whole seconds until a use would be allowed again (for
    Retry-After; at least 1).  The caller commits.

    One upsert statement, so two workers counting at once cannot both take the last use: each
    reads the row the other wrote (SQLite has one writer at a time; PostgreSQL's ON CONFLICT
    DO UPDATE waits for the other's row lock and then sees its row)."""
    if allowance < 1:
        raise ValueError(f"allowance must be 1 or more; got {allowance}")
    period = PERIOD // _MICROSECOND
    # Rounded down, so `allowance` uses back to back always fit within `period`.
    cost = period // allowance
    at = _micros(now)
    table = RateLimit.__table__  # type: ignore[attr-defined]
    tat = table.c.theoretical_arrival_us

    def big(value: int) -> sa.BindParameter[int]:
        # Typed, so PostgreSQL is told BIGINT rather than guessing a 32-bit integer.
        return sa.literal(value, sa.BigInteger)

    # What the debt would be with this use: the earlier debt (none if it is paid back) plus
    # this use's cost.  sa.case rather than max()/greatest(): the same SQL on both databases.
    owed_until = sa.case((tat > big(at), tat), else_=big(at)) + big(cost)
    over = owed_until > big(at + period)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(key_id=key_id, scope=scope, theoretical_arrival_us=at + cost, refused=False)
        .on_conflict_do_update(
            index_elements=[table.c.key_id, table.c.scope],
            # Both read the row as it was: a refused use is counted, but the debt is capped
            # at one whole period, so a key that stops trying is whole again a period later.
            set_={
                "theoretical_arrival_us": sa.case((over, big(at + period)), else_=owed_until),
                "refused": over,
            },
        )
        .returning(tat, table.c.refused)
    )
    owed, refused = (await session.exec(statement)).one()
    if not refused:
        return None
    # The next use fits once the debt plus its cost is at most one period from then.
    wait: float = (owed + cost - period - at) / 1_000_000
    return max(1, math.ceil(wait))
