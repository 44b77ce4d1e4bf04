"""`GET /v1/audit`: the audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from api.dependencies import PrincipalDep, SessionDep, require_key
from api.routes import SECURITY, Offset, protected
from api.schemas import AuditPage
from api.services import audit
from api.services.audit import Action

Id = Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class AuditController(Controller):
    """Who read or changed which household data, when."""

    path = "/v1/audit"
    tags = ("audit",)
    security = SECURITY
    middleware = [require_key]  # noqa: RUF012  (Litestar reads a list)

    @get("/", responses=protected(403), summary="Read the audit log")
    async def list_(
        self,
        session: SessionDep,
        admin: PrincipalDep,
        key_id: Id = None,
        household_id: Id = None,
        record_id: Id = None,
        action: FromQuery[Action | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Offset = 0,
    ) -> AuditPage:
        """Events matching the filters, newest first (admin keys only)."""
        del admin
        return await audit.list_events(
            session,
            key_id=key_id,
            household_id=household_id,
            record_id=record_id,
            action=action,
            limit=limit,
            offset=offset,
        )
