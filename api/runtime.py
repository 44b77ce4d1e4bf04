"""What the app holds while it runs: settings, engine, sessions, policies, the ID hasher.

Built in the app's lifespan (migrations applied, policies loaded and saved) and handed to
handlers through `Provide` (see `api.dependencies`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.security import IdentityHasher, PrincipalCache
from api.settings import Settings
from db.models import PolicySetRecord, utcnow
from eligibility.policy import load_policy_set
from eligibility.programme import PolicySet


@dataclass
class PolicyRegistry:
    """The policy set in force, and older ones loaded on demand from `policy_sets`."""

    current: PolicySet
    _loaded: dict[str, PolicySet] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._loaded[self.current.version] = self.current

    async def save_current(self, session: AsyncSession) -> None:
        """Store the current set's files under its version (once)."""
        if await session.get(PolicySetRecord, self.current.version) is None:
            sources = {name: raw.decode("utf-8") for name, raw in self.current.sources.items()}
            session.add(
                PolicySetRecord(
                    version=self.current.version, sources=msgspec.json.encode(sources).decode()
                )
            )
            await session.commit()

    async def get(self, session: AsyncSession, version: str) -> PolicySet | None:
        """The policy set stored under `version`, or None if there is none."""
        found = self._loaded.get(version)
        if found is not None:
            return found
        record = await session.get(PolicySetRecord, version)
        if record is None:
            return None
        sources = msgspec.json.decode(record.sources, type=dict[str, str])
        # Its examples passed when it was first loaded; re-deriving must not depend on them.
        found = load_policy_set(
            {name: text.encode("utf-8") for name, text in sources.items()}, run_examples=False
        )
        self._loaded[version] = found
        return found


@dataclass
class Runtime:
    """The running app's shared resources."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    policies: PolicyRegistry
    identity: IdentityHasher
    keys: PrincipalCache = field(default_factory=PrincipalCache)
    clock: Callable[[], dt.datetime] = utcnow
    """The time rate limits are counted at (UTC); a test sets it to run a sweep at chosen
    times instead of however fast the machine happens to be."""
