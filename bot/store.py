"""Where conversations are kept: one row per Telegram user in `bot_conversations`.

Every handler loads the user's row, changes it and writes it back before replying, so a restart
(or a crash) between two messages loses nothing.  Rows are keyed by the user's id alone: one
user's answers are never read for anyone else.  Rows untouched for `retention` are deleted.

A save only succeeds on the row as it was loaded (compare-and-set on `updated_at`): when two
processes (webhook workers) handle the same user at once, the later one is told and does its
step again on the fresh row, so neither answer is lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.questionnaire import Conversation, Step
from db.engine import utc
from db.models import BotConversation, utcnow
from eligibility.text import Lang

DEFAULT_RETENTION = dt.timedelta(days=30)


class ConversationData(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The `data` column: the answers and the skipped facts (never an ID number)."""

    answers: dict[str, Any] = {}
    skipped: list[str] = []
    questions_done: list[str] = []
    steps: list[Step] = []
    streak: int = 0
    child: dict[str, Any] | None = None
    child_skipped: list[str] = []
    places: list[str] = []
    epoch: int = 0


_TABLE: sa.Table = BotConversation.__table__  # type: ignore[attr-defined]
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ConversationData)


class ConversationStore(Protocol):
    """Load, save and delete one user's conversation."""

    retention: dt.timedelta
    """How long a conversation nobody touches is kept."""

    async def load(self, user_id: int) -> Conversation | None:
        """The user's conversation, or None if nothing (or only an expired one) is kept."""

    async def save(self, user_id: int, conversation: Conversation) -> bool:
        """Keep the conversation if its row is still as loaded; False when it changed since."""

    async def delete(self, user_id: int) -> bool:
        """Delete all that is kept about the user; True if there was something."""

    async def purge(self, now: dt.datetime | None = None) -> int:
        """Delete conversations older than the retention period; how many were deleted."""


class SqlConversationStore:
    """`ConversationStore` over the `bot_conversations` table."""

    def __init__(self, engine: AsyncEngine, retention: dt.timedelta = DEFAULT_RETENTION) -> None:
        self.engine = engine
        self.retention = retention
        # Both dialects we run on have INSERT … ON CONFLICT.
        self._insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert

    async def load(self, user_id: int) -> Conversation | None:
        """The user's conversation, or None (an expired one is deleted on the way)."""
        async with self.engine.connect() as connection:
            result = await connection.execute(
                sa.select(
                    _TABLE.c.chat_id,
                    _TABLE.c.state,
                    _TABLE.c.data,
                    _TABLE.c.lang,
                    _TABLE.c.updated_at,
                ).where(_TABLE.c.telegram_user_id == str(user_id))
            )
            row = result.first()
        if row is None:
            return None
        if utc(row.updated_at) < utcnow() - self.retention:
            await self.delete(user_id)
            return None
        data = _decoder.decode(row.data)
        lang: Lang = "en" if row.lang == "en" else "zh"
        return Conversation(
            chat_id=row.chat_id,
            lang=lang,
            state=row.state,
            answers=data.answers,
            skipped=data.skipped,
            questions_done=data.questions_done,
            steps=data.steps,
            streak=data.streak,
            child=data.child,
            child_skipped=data.child_skipped,
            places=data.places,
            epoch=data.epoch,
            version=utc(row.updated_at),
        )

    async def save(self, user_id: int, conversation: Conversation) -> bool:
        """Write the row if it is still as loaded (or still absent); False if it changed."""
        now = utcnow()
        if conversation.version is not None and now <= conversation.version:
            # Two saves in one clock tick must still give two versions.
            now = conversation.version + dt.timedelta(microseconds=1)
        values = {
            "chat_id": conversation.chat_id,
            "state": conversation.state,
            "data": _encoder.encode(
                ConversationData(
                    answers=conversation.answers,
                    skipped=conversation.skipped,
                    questions_done=conversation.questions_done,
                    steps=conversation.steps,
                    streak=conversation.streak,
                    child=conversation.child,
                    child_skipped=conversation.child_skipped,
                    places=conversation.places,
                    epoch=conversation.epoch,
                )
            ).decode(),
            "lang": conversation.lang,
            "updated_at": now,
        }
        key = str(user_id)
        statement: sa.Executable
        if conversation.version is None:
            statement = (
                self._insert(_TABLE)
                .values(telegram_user_id=key, **values)
                .on_conflict_do_nothing(index_elements=[_TABLE.c.telegram_user_id])
            )
        else:
            statement = (
                sa.update(_TABLE)
                .where(_TABLE.c.telegram_user_id == key)
                .where(_TABLE.c.updated_at == conversation.version)
                .values(**values)
            )
        async with self.engine.begin() as connection:
            result = await connection.execute(statement)
        if result.rowcount != 1:
            return False
        conversation.version = now
        return True

    async def delete(self, user_id: int) -> bool:
        """Delete the user's row."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                sa.delete(_TABLE).where(_TABLE.c.telegram_user_id == str(user_id))
            )
            return bool(result.rowcount)

    async def purge(self, now: dt.datetime | None = None) -> int:
        """Delete every row older than the retention period."""
        cutoff = (now or utcnow()) - self.retention
        async with self.engine.begin() as connection:
            result = await connection.execute(sa.delete(_TABLE).where(_TABLE.c.updated_at < cutoff))
            return int(result.rowcount or 0)
