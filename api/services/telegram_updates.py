"""Telegram webhook updates already handled, remembered in the database so that a replayed
`update_id` is acknowledged and skipped, whichever server worker took the first delivery.

Telegram redelivers an update it got no 200 for during at most 24 hours; after a week without
updates it starts numbering again from a random id.  Ids are therefore remembered for two days:
long enough for every redelivery, short enough that a new numbering never meets an old id, and
the table stays small (old rows are deleted at most every few minutes, by whichever worker
passes by).

An id is claimed before the update is handed to the bot.  A worker killed between the two
drops that one update (Telegram, having had no answer, redelivers it, and the claim skips it):
the price of never answering one message twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import TelegramUpdate

REMEMBER = dt.timedelta(days=2)
_PRUNE_EVERY = 300.0  # seconds between deletions of forgotten ids, per worker


class HandledUpdates:
    """The update ids handled in the last `REMEMBER`, shared by every worker on the database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.sessions = sessions
        self.now = now
        self._next_prune = 0.0  # monotonic seconds; the first claim prunes

    async def claim(self, update_id: int) -> bool:
        """True if no worker has handled `update_id` yet (and now it is this one's); False for
        a replay."""
        now = self.now()
        if time.monotonic() >= self._next_prune:
            await self.forget_before(now - REMEMBER)
            self._next_prune = time.monotonic() + _PRUNE_EVERY
        async with self.sessions() as session:
            session.add(TelegramUpdate(update_id=update_id, received_at=now))
            try:
                await session.commit()
            except IntegrityError:
                # The primary key is the whole test: two workers racing for one id, one wins.
                return False
        return True

    async def forget_before(self, cutoff: dt.datetime) -> None:
        """Delete the ids received before `cutoff` (an aware time)."""
        async with self.sessions() as session:
            await session.exec(
                sa.delete(TelegramUpdate).where(col(TelegramUpdate.received_at) < cutoff)
            )
            await session.commit()
