"""The store's tables (SQLModel).  Alembic owns the schema: see `db/migrations/`.

These classes never travel on the wire; the API has its own msgspec schemas.  JSON columns are
plain text written by msgspec, so they read the same on SQLite and PostgreSQL.  Timestamps are
stored with their time zone (UTC); SQLite gives them back naive, see `db.engine.utc`.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

_TS = sa.DateTime(timezone=True)


def utcnow() -> dt.datetime:
    """The current time in UTC, as stored in every timestamp column."""
    return dt.datetime.now(dt.UTC)


class ApiKey(SQLModel, table=True):
    """An API key: only its SHA-256 is kept; `regions` (JSON list of code prefixes) scopes a
    caseworker, an admin sees every region."""

    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32)
    key_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    regions: str = Field(default="[]", sa_type=sa.Text)
    label: str | None = Field(default=None, max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=_TS)


class Household(SQLModel, table=True):
    """A registered household and its facts (glossary: Household); unknown facts are NULL."""

    __tablename__ = "households"

    id: str = Field(primary_key=True, max_length=36)
    region_code: str = Field(max_length=6, index=True)
    # The status facts (eligibility.facts.HouseholdStatus); a 户类型 sent to the API is stored
    # as the facts it stands for (migration 0002 converted the old `category` column).
    poverty_alleviated: bool | None = None
    monitored: bool | None = None
    monitoring_type: str | None = Field(default=None, max_length=32)
    risk_eliminated: bool | None = None
    needs_support: bool | None = None
    size: int | None = None
    per_capita_net_income: int | None = None
    per_capita_net_income_previous: int | None = None
    sudden_hardship_event: str | None = Field(default=None, max_length=16)
    receives_dibao: bool | None = None
    receives_tekun: bool | None = None
    zero_employment: bool | None = None
    microloan_outstanding: int | None = None
    microloan_overdue: bool | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)


class Member(SQLModel, table=True):
    """A person of a household (glossary: Person).  The ID-card number is never stored: only
    its keyed hash (to find the person again) and its masked form (to show)."""

    __tablename__ = "members"

    id: str = Field(primary_key=True, max_length=36)
    household_id: str = Field(
        foreign_key="households.id", ondelete="CASCADE", index=True, max_length=36
    )
    name: str | None = Field(default=None, max_length=100)
    id_number_hash: str | None = Field(default=None, max_length=64, index=True)
    id_number_masked: str | None = Field(default=None, max_length=18)
    birth_date: dt.date | None = None
    age: int | None = None
    labor_capacity: str | None = Field(default=None, max_length=8)
    employment_difficulty: bool | None = None
    full_civil_capacity: bool | None = None
    serious_bad_credit: bool | None = None
    willing_to_work: bool | None = None
    can_work_away: bool | None = None
    holds_public_welfare_post: bool | None = None
    disability: bool | None = None
    employment: str | None = Field(default=None, sa_type=sa.Text)
    education: str | None = Field(default=None, sa_type=sa.Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)


class PolicySetRecord(SQLModel, table=True):
    """A policy set as it was loaded (file name -> text), so any assessment can be re-derived
    with the exact rules that decided it."""

    __tablename__ = "policy_sets"

    version: str = Field(primary_key=True, max_length=32)
    sources: str = Field(sa_type=sa.Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)


class Assessment(SQLModel, table=True):
    """One evaluation of a member: the facts used (never the ID number), the date and policy
    version; `is_latest` marks the member's newest one (for the household filters)."""

    __tablename__ = "assessments"

    id: str = Field(primary_key=True, max_length=36)
    member_id: str = Field(foreign_key="members.id", ondelete="CASCADE", index=True, max_length=36)
    household_id: str = Field(
        foreign_key="households.id", ondelete="CASCADE", index=True, max_length=36
    )
    policy_version: str = Field(foreign_key="policy_sets.version", max_length=32)
    as_of: dt.date
    lang: str = Field(max_length=2)
    facts_hash: str = Field(max_length=32)
    facts: str = Field(sa_type=sa.Text)
    programmes: str | None = Field(default=None, sa_type=sa.Text)
    is_latest: bool = Field(default=True, index=True)
    created_by: str = Field(max_length=32)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)


class AssessmentDetermination(SQLModel, table=True):
    """One programme's determination within an assessment (the full Struct as JSON)."""

    __tablename__ = "determinations"
    __table_args__ = (sa.Index("ix_determinations_programme_verdict", "programme", "verdict"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: str = Field(
        foreign_key="assessments.id", ondelete="CASCADE", index=True, max_length=36
    )
    programme: str = Field(max_length=64)
    verdict: str = Field(max_length=16)
    amount: int | None = None
    result: str = Field(sa_type=sa.Text)


class AuditEvent(SQLModel, table=True):
    """Who (key id) did what (action) to which record, when."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS, index=True)
    key_id: str = Field(max_length=32, index=True)
    action: str = Field(max_length=16)
    resource: str = Field(max_length=32)
    record_id: str = Field(max_length=36)
    household_id: str | None = Field(default=None, max_length=36, index=True)
    outcome: str | None = Field(default=None, max_length=16)
    """What came of it, where that is worth knowing: a search is `found`, `not_found` (then
    `record_id` is empty: the number searched for is never kept) or `refused` (over the key's
    limit).  None for other actions."""


class RateLimit(SQLModel, table=True):
    """Where a key stands in one limited allowance (`scope`, e.g. `member_search`), kept in
    the database so the limit holds across server workers.  A rolling limit (GCRA, see
    `api.services.rate_limits`): no window whose boundary a sweep could straddle."""

    __tablename__ = "rate_limits"

    key_id: str = Field(primary_key=True, max_length=32)
    scope: str = Field(primary_key=True, max_length=32)
    theoretical_arrival_us: int = Field(sa_type=sa.BigInteger)
    """When the allowance would be whole again had the key used none since: the uses counted
    so far, each worth `period / allowance`, paid back from the latest one.  Microseconds since
    the epoch (UTC), whole numbers so both databases compute it exactly."""
    refused: bool
    """Whether the latest use was over the allowance (written by the same statement that
    counted it, so that statement can tell its caller)."""


class BotConversation(SQLModel, table=True):
    """The Telegram bot's conversation state per user, so a restart loses nothing."""

    __tablename__ = "bot_conversations"

    telegram_user_id: str = Field(primary_key=True, max_length=32)
    chat_id: int = Field(sa_type=sa.BigInteger)
    state: str = Field(max_length=64)
    data: str = Field(default="{}", sa_type=sa.Text)
    lang: str = Field(default="zh", max_length=2)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)


class ExportJob(SQLModel, table=True):
    """A batch evaluation job over a register file, with its progress and who runs it."""

    __tablename__ = "export_jobs"

    id: str = Field(primary_key=True, max_length=36)
    created_by: str = Field(max_length=32, index=True)
    regions: str = Field(default="[]", sa_type=sa.Text)
    status: str = Field(default="queued", max_length=16)
    rows_total: int | None = None
    rows_done: int = 0
    input_path: str | None = Field(default=None, sa_type=sa.Text)
    output_path: str | None = Field(default=None, sa_type=sa.Text)
    output_format: str = Field(max_length=16)
    programmes: str | None = Field(default=None, sa_type=sa.Text)
    as_of: dt.date | None = None
    error: str | None = Field(default=None, sa_type=sa.Text)
    lease_owner: str | None = Field(default=None, max_length=64)
    """The worker process running the job (`host:pid:random`); None when nobody has claimed it
    since it was stored."""
    lease_expires_at: dt.datetime | None = Field(default=None, sa_type=_TS)
    """Until when `lease_owner` holds the job: renewed while it runs, so a job whose lease has
    expired is one whose worker died, and another worker takes it over."""
    attempts: int = 0
    """How many runs have started (a claim is one run)."""
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS)


class TelegramUpdate(SQLModel, table=True):
    """A webhook update already handed to the bot, by whichever server worker took it: a
    replay of its `update_id` is acknowledged and skipped.  Rows older than two days are
    deleted (see `api.services.telegram_updates`)."""

    __tablename__ = "telegram_updates"

    update_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    )
    received_at: dt.datetime = Field(default_factory=utcnow, sa_type=_TS, index=True)
