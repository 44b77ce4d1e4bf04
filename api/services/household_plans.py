"""A registered household's plan: its members decided together, as one plan (issue 13, part 2).

Region-scoped and audited like the other household routes: a household outside the caller's
regions is a 404 (the attempt logged as denied), and reading the plan leaves one `plan` event for
the household and one for each member whose facts it read.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.problems import FieldError, invalid
from api.schemas import HouseholdPlanRead, Lang, StoredFactWarning
from api.security import Principal
from api.services import audit
from api.services.assessments import applicant_for, warnings_of
from api.services.households import household_in_scope
from db.models import Assessment, Member
from eligibility import facts as f
from eligibility.derive import FactError
from eligibility.household_plan import PlanMember, decide_household
from eligibility.programme import PolicySet
from eligibility.stored import decidable


async def household_plan(
    session: AsyncSession,
    principal: Principal,
    policies: PolicySet,
    household_id: str,
    *,
    as_of: dt.date,
    lang: Lang,
) -> HouseholdPlanRead:
    """The plan of a household in the caller's regions, every member decided on `as_of`.

    A member's loan request is the one of their latest assessment, if it asked for one: the
    register keeps no loan request of its own, and the loan's term end needs the term asked.
    """
    household = await household_in_scope(session, principal, household_id)
    members = (
        await session.exec(
            select(Member)
            .where(col(Member.household_id) == household.id)
            .order_by(col(Member.created_at), col(Member.id))
        )
    ).all()
    loans = await _latest_loan_requests(session, household.id)
    plan_members = []
    warnings: list[StoredFactWarning] = []
    for m in members:
        # Stored facts today's checks refuse are set aside to decide, and named.
        applicant, set_aside = decidable(
            applicant_for(household, m, as_of=as_of, loan_request=loans.get(m.id)), as_of
        )
        plan_members.append(PlanMember(key=m.id, name=m.name, applicant=applicant))
        warnings.extend(warnings_of(m.id, set_aside))
    try:
        plan = decide_household(plan_members, policies, as_of=as_of, lang=lang)
    except FactError as exc:
        # The stored facts were checked when registered: it is this date that is wrong.
        raise invalid(
            [FieldError(path="query.as_of", message=f"a member's {exc.path} {exc.message}")]
        ) from None
    audit.record(
        session,
        principal,
        "plan",
        "household",
        [(household.id, household.id)],
    )
    audit.record(session, principal, "plan", "member", [(m.id, household.id) for m in members])
    await session.commit()
    return HouseholdPlanRead(
        household_id=household.id, warnings=warnings, **msgspec.structs.asdict(plan)
    )


async def _latest_loan_requests(
    session: AsyncSession, household_id: str
) -> dict[str, f.LoanRequest]:
    """Each member's loan request in their latest assessment, where it had one."""
    rows = (
        await session.exec(
            select(Assessment.member_id, Assessment.facts)
            .where(col(Assessment.household_id) == household_id)
            .where(col(Assessment.is_latest).is_(True))
        )
    ).all()
    found: dict[str, f.LoanRequest] = {}
    for member_id, facts in rows:
        loan = msgspec.json.decode(facts, type=f.Applicant).loan_request
        if loan is not None:
            found[member_id] = loan
    return found
