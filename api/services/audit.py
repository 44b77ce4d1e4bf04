"""The audit log: every read or write of a household's personal data leaves an event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.schemas import AuditEventRead, AuditPage
from api.security import Principal
from db.engine import utc
from db.models import AuditEvent

Action = Literal[
    "create",
    "read",
    "list",
    "search",
    "update",
    "delete",
    "assess",
    "rederive",
    "plan",
    "compare",
    "denied",
]
# What came of a search (see `db.models.AuditEvent.outcome`).
Outcome = Literal["found", "not_found", "refused"]


def record(
    session: AsyncSession,
    principal: Principal,
    action: Action,
    resource: str,
    record_ids: Iterable[tuple[str, str | None]],
    *,
    outcome: Outcome | None = None,
) -> None:
    """Add one event per (record id, household id) to the session; the caller commits."""
    now = dt.datetime.now(dt.UTC)
    session.add_all(
        AuditEvent(
            at=now,
            key_id=principal.key_id,
            action=action,
            resource=resource,
            record_id=record_id,
            household_id=household_id,
            outcome=outcome,
        )
        for record_id, household_id in record_ids
    )


async def list_events(
    session: AsyncSession,
    *,
    key_id: str | None,
    household_id: str | None,
    record_id: str | None,
    action: Action | None = None,
    limit: int,
    offset: int,
) -> AuditPage:
    """Events matching the filters, newest first."""
    query = select(AuditEvent)
    if key_id is not None:
        query = query.where(AuditEvent.key_id == key_id)
    if household_id is not None:
        query = query.where(AuditEvent.household_id == household_id)
    if record_id is not None:
        query = query.where(AuditEvent.record_id == record_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    query = query.order_by(col(AuditEvent.id).desc()).limit(limit).offset(offset)
    rows = (await session.exec(query)).all()
    return AuditPage(
        items=[
            AuditEventRead(
                id=row.id or 0,
                at=utc(row.at),
                key_id=row.key_id,
                action=row.action,
                resource=row.resource,
                record_id=row.record_id,
                household_id=row.household_id,
                outcome=row.outcome,
            )
            for row in rows
        ],
        limit=limit,
        offset=offset,
    )
