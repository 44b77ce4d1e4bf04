"""API keys (stored only as SHA-256), the caller they stand for, and the ID-number hash key."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import msgspec
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.problems import ProblemError
from db.models import ApiKey
from eligibility.regions import RegionCodeError, normalise_region_code

Role = Literal["admin", "caseworker"]
ROLES: tuple[Role, ...] = ("admin", "caseworker")
KEY_PREFIX = "rse_"


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: the key's id (for the audit log), its role and its regions."""

    key_id: str
    role: Role
    regions: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        """Admins see every region and read the audit log."""
        return self.role == "admin"

    def sees(self, region_code: str) -> bool:
        """Whether a household registered in `region_code` is within this key's scope."""
        return self.is_admin or any(region_code.startswith(r) for r in self.regions)


def hash_key(key: str) -> str:
    """The stored form of an API key.  Keys carry 256 random bits, so a plain SHA-256 suffices
    (no salt or slow hash needed: there is nothing to guess)."""
    return hashlib.sha256(key.encode()).hexdigest()


def check_regions(regions: Sequence[str]) -> tuple[str, ...]:
    """Regions as GB/T 2260 prefixes (2, 4 or 6 digits), normalised as typed text is
    (`eligibility.regions.normalise_region_code`); raise ValueError naming a bad one."""
    checked = []
    for region in regions:
        try:
            checked.append(normalise_region_code(region))
        except RegionCodeError as exc:
            raise ValueError(f"region {region!r} {exc}") from None
    return tuple(dict.fromkeys(checked))


async def create_key(
    session: AsyncSession, *, role: Role, regions: Sequence[str] = (), label: str | None = None
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its one-time clear text (shown once, never stored).

    A caseworker key must name at least one region; an admin key needs none.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    scoped = check_regions(regions)
    if role == "caseworker" and not scoped:
        raise ValueError("a caseworker key needs at least one --region")
    clear = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        id="key_" + secrets.token_hex(6),
        key_hash=hash_key(clear),
        role=role,
        regions=msgspec.json.encode(list(scoped)).decode(),
        label=label,
    )
    session.add(record)
    await session.commit()
    return record, clear


def unauthorized(detail: str) -> ProblemError:
    """A 401 asking for a bearer key."""
    return ProblemError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="eligibility"'})


def bearer_key(authorization: str | None) -> str:
    """The key in an `Authorization: Bearer <key>` header; 401 if there is none."""
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    return key


class PrincipalCache:
    """Keys recently found valid in the database, each kept `ttl` seconds from that lookup, so
    a busy client costs one lookup per key per `ttl` rather than one per request (the lookup
    was most of an unkeyed check's time).

    What it trades: a key revoked (`eligibility keys revoke`, another process) or narrowed in
    the database goes on working in a running server until its entry is `ttl` old, never
    longer: an entry is not renewed by use, only by a fresh lookup after it has expired.  Keys
    found invalid are never kept, so a new key works at once.  `ttl=0` keeps nothing (every
    request looks its key up).  Only hashes are keys of the cache, never the clear keys.
    """

    def __init__(
        self, ttl: float = 10.0, size: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, key_hash: str) -> Principal | None:
        """The cached principal for a key hash, if looked up less than `ttl` seconds ago."""
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key_hash]
            return None
        return entry[1]

    def put(self, key_hash: str, principal: Principal) -> None:
        """Remember a key just found valid (the oldest entries go first when full)."""
        if self._ttl <= 0:
            return
        self._entries.pop(key_hash, None)
        if len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key_hash] = (self._clock() + self._ttl, principal)


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    """Every key (hashes only), oldest first."""
    return list((await session.exec(select(ApiKey).order_by(col(ApiKey.created_at)))).all())


async def revoke_key(session: AsyncSession, key_id: str) -> bool:
    """Mark a key revoked (a running server refuses it once its `PrincipalCache` entry is
    `API_KEY_CACHE_SECONDS` old); False if there is no such key."""
    found = await session.get(ApiKey, key_id)
    if found is None:
        return False
    if found.revoked_at is None:
        found.revoked_at = dt.datetime.now(dt.UTC)
        session.add(found)
        await session.commit()
    return True


async def authenticate(session: AsyncSession, authorization: str | None) -> Principal:
    """The principal for an `Authorization: Bearer <key>` header; 401 if absent or unknown."""
    key = bearer_key(authorization)
    found = (await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))).first()
    if found is None or found.revoked_at is not None or found.role not in ROLES:
        raise unauthorized("This API key is not valid.")
    role: Role = "admin" if found.role == "admin" else "caseworker"
    regions = tuple(msgspec.json.decode(found.regions, type=list[str]))
    return Principal(key_id=found.id, role=role, regions=regions)


class IdentityHasher:
    """Keyed hash (HMAC-SHA-256) of ID-card numbers: finds a person again without keeping
    the number."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def hash(self, number: str) -> str:
        """The stored form of a validated, normalised ID number."""
        return hmac.new(self._key, number.encode(), hashlib.sha256).hexdigest()


def load_identity_key(configured: str | None, data_dir: Path) -> bytes:
    """The hash key: `ID_HASH_KEY` when set, else one random key made once in the data folder.

    The file is created exclusively with mode 0600, so concurrent first starts agree on one key.
    """
    if configured:
        return configured.encode()
    path = data_dir / "id_hash.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    key = path.read_text().strip()
    for _ in range(50):
        if key:
            break
        # Another process has just created the file and is writing it.
        time.sleep(0.02)
        key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty; delete it or set ID_HASH_KEY")
    return key.encode()
