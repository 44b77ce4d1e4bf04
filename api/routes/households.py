"""Households and members: `/v1/households`, `/v1/households/{id}/members`, `/v1/members/{id}`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.dependencies import (
    LangDep,
    PoliciesDep,
    PrincipalDep,
    RuntimeDep,
    SessionDep,
    require_key,
)
from api.plan_calendar import plan_calendar
from api.problems import asked_date
from api.routes import SECURITY, DetailQuery, Offset, protected
from api.schemas import (
    AssessmentList,
    HouseholdCreate,
    HouseholdPage,
    HouseholdPlanRead,
    HouseholdRead,
    HouseholdUpdate,
    MemberCreate,
    MemberList,
    MemberRead,
    MemberSearch,
    MemberUpdate,
    ProgrammeId,
)
from api.services import assessments, household_plans, households
from eligibility.facts import HouseholdCategory
from eligibility.policy_file import Verdict
from eligibility.regions import REGION_CODE_PATTERN

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="page size")]
PlanDate = Annotated[
    dt.date | None, QueryParameter(description="the date the plan is made for (default today)")
]
ICALENDAR = "text/calendar"


class HouseholdsController(Controller):
    """The household register, scoped to the caller's regions."""

    path = "/v1/households"
    tags = ("households",)
    security = SECURITY
    middleware = [require_key]  # noqa: RUF012  (Litestar reads a list)

    @post("/", responses=protected(403), summary="Register a household")
    async def create(
        self, data: JSONBody[HouseholdCreate], session: SessionDep, principal: PrincipalDep
    ) -> HouseholdRead:
        """A new household in one of the caller's regions."""
        return await households.create_household(session, principal, data)

    @get("/", responses=protected(), summary="List households")
    async def list_(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        region: Annotated[
            str | None,
            QueryParameter(
                pattern=REGION_CODE_PATTERN, description="region code prefix, e.g. 5101"
            ),
        ] = None,
        category: FromQuery[HouseholdCategory | None] = None,
        programme: Annotated[
            ProgrammeId | None,
            QueryParameter(description="latest assessment's programme"),
        ] = None,
        verdict: Annotated[
            Verdict | None, QueryParameter(description="latest assessment's verdict")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> HouseholdPage:
        """Households matching the filters, within the caller's regions."""
        return await households.list_households(
            session,
            principal,
            region=region,
            category=category,
            programme=programme,
            verdict=verdict,
            limit=limit,
            offset=offset,
        )

    @get("/{household_id:str}", responses=protected(404), summary="Read a household")
    async def read(
        self, household_id: FromPath[str], session: SessionDep, principal: PrincipalDep
    ) -> HouseholdRead:
        """One household (404 if it is missing or outside the caller's regions)."""
        return await households.read_household(session, principal, household_id)

    @patch("/{household_id:str}", responses=protected(403, 404), summary="Update a household")
    async def update(
        self,
        household_id: FromPath[str],
        data: JSONBody[HouseholdUpdate],
        session: SessionDep,
        principal: PrincipalDep,
    ) -> HouseholdRead:
        """Change the fields given."""
        return await households.update_household(session, principal, household_id, data)

    @delete("/{household_id:str}", responses=protected(404), summary="Delete a household")
    async def remove(
        self, household_id: FromPath[str], session: SessionDep, principal: PrincipalDep
    ) -> None:
        """Remove the household, its members and their assessments."""
        await households.delete_household(session, principal, household_id)

    @get("/{household_id:str}/plan", responses=protected(404), summary="The household's plan")
    async def plan(
        self,
        household_id: FromPath[str],
        session: SessionDep,
        principal: PrincipalDep,
        policies: PoliciesDep,
        lang: LangDep,
        as_of: PlanDate = None,
    ) -> HouseholdPlanRead:
        """Every member decided with the household's facts: per member and programme the
        verdict and amount, the yearly total of confirmed amounts (the rest listed apart), one
        checklist of documents, and the application windows and deadlines with their sources."""
        return await household_plans.household_plan(
            session, principal, policies, household_id, as_of=asked_date(policies, as_of), lang=lang
        )

    @get(
        "/{household_id:str}/plan.ics",
        responses=protected(404),
        summary="The household plan's dates as iCalendar",
        media_type=ICALENDAR,
    )
    async def plan_ics(
        self,
        household_id: FromPath[str],
        session: SessionDep,
        principal: PrincipalDep,
        policies: PoliciesDep,
        lang: LangDep,
        as_of: PlanDate = None,
    ) -> Response[bytes]:
        """The plan's dated windows and deadlines as an iCalendar file (RFC 5545): one event
        each, its source in the description, its UID stable per household, programme and date."""
        plan = await household_plans.household_plan(
            session, principal, policies, household_id, as_of=asked_date(policies, as_of), lang=lang
        )
        body = plan_calendar(plan, plan.household_id, stamp=dt.datetime.now(dt.UTC))
        return Response(
            body,
            media_type=ICALENDAR,
            headers={
                "Content-Disposition": f'attachment; filename="plan-{plan.household_id[:8]}.ics"'
            },
        )

    @post("/{household_id:str}/members", responses=protected(404), summary="Add a member")
    async def add_member(
        self,
        household_id: FromPath[str],
        data: JSONBody[MemberCreate],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
    ) -> MemberRead:
        """A new member of the household; the ID number is kept only hashed and masked."""
        return await households.create_member(
            session, principal, runtime.identity, household_id, data
        )

    @get("/{household_id:str}/members", responses=protected(404), summary="List members")
    async def members(
        self, household_id: FromPath[str], session: SessionDep, principal: PrincipalDep
    ) -> MemberList:
        """The household's members."""
        return MemberList(items=await households.list_members(session, principal, household_id))


class MembersController(Controller):
    """Members by id, and their assessment history."""

    path = "/v1/members"
    tags = ("households",)
    security = SECURITY
    middleware = [require_key]  # noqa: RUF012  (Litestar reads a list)

    @post("/search", status_code=200, responses=protected(429), summary="Find by ID number")
    async def search(
        self,
        data: JSONBody[MemberSearch],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
    ) -> MemberList:
        """Registered people with this ID number, within the caller's regions (each key has
        `MEMBER_SEARCH_PER_MINUTE` searches per rolling minute; every search is audited)."""
        return MemberList(
            items=await households.find_members(
                session,
                principal,
                runtime.identity,
                data.id_number,
                per_minute=runtime.settings.member_search_per_minute,
                now=runtime.clock(),
            )
        )

    @get("/{member_id:str}", responses=protected(404), summary="Read a member")
    async def read(
        self, member_id: FromPath[str], session: SessionDep, principal: PrincipalDep
    ) -> MemberRead:
        """One member (ID number masked)."""
        return await households.read_member(session, principal, member_id)

    @patch("/{member_id:str}", responses=protected(404), summary="Update a member")
    async def update(
        self,
        member_id: FromPath[str],
        data: JSONBody[MemberUpdate],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
    ) -> MemberRead:
        """Change the fields given."""
        return await households.update_member(session, principal, runtime.identity, member_id, data)

    @delete("/{member_id:str}", responses=protected(404), summary="Delete a member")
    async def remove(
        self, member_id: FromPath[str], session: SessionDep, principal: PrincipalDep
    ) -> None:
        """Remove the member and their assessments."""
        await households.delete_member(session, principal, member_id)

    @get("/{member_id:str}/assessments", responses=protected(404), summary="Member's history")
    async def history(
        self,
        member_id: FromPath[str],
        session: SessionDep,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        detail: DetailQuery = "full",
    ) -> AssessmentList:
        """The member's assessments, newest first (each with the sources and questions it
        names)."""
        items = await assessments.member_history(
            session, principal, runtime.policies, member_id, detail
        )
        return AssessmentList(items=items)
