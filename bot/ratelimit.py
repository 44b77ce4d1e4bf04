"""Per-user token buckets: a burst of `capacity` messages, then `rate` per second."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


@dataclass
class RateLimiter:
    """Allows each user `capacity` updates at once and `rate` more per second.

    `allow` says whether an update may be handled; `should_warn` is true once per run of
    refusals, so the "请慢一点" message is itself not a flood.
    """

    capacity: float = 10.0
    rate: float = 1.0
    clock: Callable[[], float] = time.monotonic
    max_users: int = 100_000
    _buckets: dict[int, _Bucket] = field(default_factory=dict)

    def allow(self, user_id: int) -> bool:
        """Take one token from the user's bucket if there is one."""
        now = self.clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self.max_users:
                self._forget_full(now)
            bucket = self._buckets[user_id] = _Bucket(tokens=self.capacity, updated=now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return True
        return False

    def should_warn(self, user_id: int) -> bool:
        """True the first time in a run of refusals (then False until an update is allowed)."""
        bucket = self._buckets.get(user_id)
        if bucket is None or bucket.warned:
            return False
        bucket.warned = True
        return True

    def _forget_full(self, now: float) -> None:
        # A full bucket holds no information: dropping it bounds the memory used.
        for user_id in [
            uid
            for uid, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.capacity
        ]:
            del self._buckets[user_id]
