"""Households and their members: region-scoped CRUD, with an audit event for every access.

A household outside the caller's regions does not exist for them (404), so a caseworker
cannot even learn which identifiers are taken elsewhere.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.problems import FieldError, ProblemError, invalid
from api.schemas import (
    HouseholdCreate,
    HouseholdPage,
    HouseholdRead,
    HouseholdUpdate,
    MemberCreate,
    MemberRead,
    MemberUpdate,
    region_code_named,
)
from api.security import IdentityHasher, Principal
from api.services import audit, rate_limits
from db.engine import utc
from db.facts import HOUSEHOLD_FACTS, MEMBER_FACTS, store_facts, stored_facts
from db.models import Assessment, AssessmentDetermination, Household, Member
from eligibility.birth import age_problem
from eligibility.facts import (
    CATEGORY_STATUS,
    STATUS_FIELDS,
    HouseholdCategory,
    HouseholdStatus,
    HouseholdStatusConflictError,
    MonitoringType,
    category_of,
    household_status,
)
from eligibility.identity import mask_identity_number, parse_identity_number
from eligibility.regions import UNKNOWN_REGION_MESSAGE, is_known_region_code


def not_found(what: str) -> ProblemError:
    """The same 404 for a record that is missing and one outside the caller's regions."""
    return ProblemError(404, f"No such {what}.")


def record_id(value: str, what: str) -> str:
    """`value` if it can be one of our ids (a UUID), else the 404 a missing record gives.

    Checked before any query: text that cannot be an id (NUL characters, say) never reaches
    the database, whose drivers would refuse it with a server error.
    """
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise not_found(what) from None


async def deny(
    session: AsyncSession,
    principal: Principal,
    resource: str,
    record: str,
    household_id: str | None,
) -> None:
    """Log an attempt on a record outside the caller's regions (answered as 404)."""
    await session.rollback()
    audit.record(session, principal, "denied", resource, [(record, household_id)])
    await session.commit()


def _outside(region_code: str) -> ProblemError:
    return ProblemError(
        403,
        "This key may not register households in that region.",
        errors=[
            FieldError(path="$.region_code", message=f"{region_code} is outside this key's regions")
        ],
    )


def _scope(principal: Principal) -> Any:
    """A SQL condition keeping the households the caller may see."""
    if principal.is_admin:
        return sa.true()
    return sa.or_(*(col(Household.region_code).startswith(r) for r in principal.regions))


def stored_status(row: Household) -> HouseholdStatus:
    """The status facts of a stored household."""
    return msgspec.convert({name: getattr(row, name) for name in STATUS_FIELDS}, HouseholdStatus)


def category_condition(category: HouseholdCategory) -> Any:
    """A SQL condition keeping the households whose stored status is what `category` says."""
    status = CATEGORY_STATUS[category]
    conditions = []
    for name in STATUS_FIELDS:
        value = getattr(status, name)
        column = col(getattr(Household, name))
        if value is None:
            # A category that leaves a fact open (突发严重困难户: 脱贫户 or not) matches either.
            if name == "monitoring_type":
                conditions.append(column.is_(None))
            continue
        conditions.append(column == getattr(value, "value", value))
    return sa.and_(*conditions)


def household_read(row: Household) -> HouseholdRead:
    """The wire form of a household row."""
    return msgspec.convert(
        {
            **stored_facts(row),
            "region_code": row.region_code,
            "category": category_of(stored_status(row)),
            "id": row.id,
            "created_at": utc(row.created_at),
            "updated_at": utc(row.updated_at),
        },
        HouseholdRead,
    )


async def create_household(
    session: AsyncSession, principal: Principal, data: HouseholdCreate
) -> HouseholdRead:
    """Register a household within the caller's regions."""
    region_code = region_code_named(data.region_name, data.region_code)
    if region_code is None:
        message = "give region_code or region_name"
        raise invalid([FieldError(path="$.region_code", message=message)])
    if not principal.sees(region_code):
        raise _outside(region_code)
    row = Household(id=str(uuid.uuid4()), region_code=region_code)
    store_facts(row, {name: getattr(data, name) for name in HOUSEHOLD_FACTS})
    session.add(row)
    audit.record(session, principal, "create", "household", [(row.id, row.id)])
    await session.commit()
    return household_read(row)


async def _household(session: AsyncSession, principal: Principal, household_id: str) -> Household:
    row = await session.get(Household, record_id(household_id, "household"))
    if row is None:
        raise not_found("household")
    if not principal.sees(row.region_code):
        await deny(session, principal, "household", row.id, row.id)
        raise not_found("household")
    return row


async def household_in_scope(
    session: AsyncSession, principal: Principal, household_id: str
) -> Household:
    """The household if it is in the caller's regions; else 404 (an attempt outside them is
    audited as denied).  The caller audits what it then reads."""
    return await _household(session, principal, household_id)


async def read_household(
    session: AsyncSession, principal: Principal, household_id: str
) -> HouseholdRead:
    """One household in the caller's regions."""
    row = await _household(session, principal, household_id)
    audit.record(session, principal, "read", "household", [(row.id, row.id)])
    await session.commit()
    return household_read(row)


async def list_households(
    session: AsyncSession,
    principal: Principal,
    *,
    region: str | None,
    category: HouseholdCategory | None,
    programme: str | None,
    verdict: str | None,
    limit: int,
    offset: int,
) -> HouseholdPage:
    """Households in the caller's regions matching the filters, oldest first.

    `programme` / `verdict` keep households with a member whose latest assessment gave that
    verdict for that programme (either may be given alone).
    """
    conditions = [_scope(principal)]
    if region is not None:
        conditions.append(col(Household.region_code).startswith(region))
    if category is not None:
        conditions.append(category_condition(category))
    if programme is not None or verdict is not None:
        latest = (
            select(Assessment.household_id)
            .join(
                AssessmentDetermination,
                col(AssessmentDetermination.assessment_id) == col(Assessment.id),
            )
            .where(col(Assessment.is_latest).is_(True))
        )
        if programme is not None:
            latest = latest.where(col(AssessmentDetermination.programme) == programme)
        if verdict is not None:
            latest = latest.where(col(AssessmentDetermination.verdict) == verdict)
        conditions.append(col(Household.id).in_(latest))
    where = sa.and_(*conditions)
    total = (await session.exec(select(sa.func.count()).select_from(Household).where(where))).one()
    rows = (
        await session.exec(
            select(Household)
            .where(where)
            .order_by(col(Household.created_at), col(Household.id))
            .limit(limit)
            .offset(offset)
        )
    ).all()
    audit.record(session, principal, "list", "household", [(r.id, r.id) for r in rows])
    await session.commit()
    return HouseholdPage(
        items=[household_read(r) for r in rows], total=int(total), limit=limit, offset=offset
    )


async def update_household(
    session: AsyncSession, principal: Principal, household_id: str, data: HouseholdUpdate
) -> HouseholdRead:
    """Change the fields given; a new region must also be within the caller's regions."""
    row = await _household(session, principal, household_id)
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(data).items()
        if value is not msgspec.UNSET and name != "category"
    }
    name = changes.pop("region_name", None)
    if name is not None:
        code = changes.get("region_code")
        changes["region_code"] = region_code_named(name, code if isinstance(code, str) else None)
    new_region = changes.get("region_code")
    if isinstance(new_region, str) and not principal.sees(new_region):
        raise _outside(new_region)
    # The status after the update must hang together: a monitoring type kept from before on a
    # household now said not to be monitored is refused, naming the field, not silently kept.
    status = {name: changes.get(name, getattr(row, name)) for name in STATUS_FIELDS}
    try:
        resolved = household_status(
            poverty_alleviated=status["poverty_alleviated"],
            monitored=status["monitored"],
            monitoring_type=None
            if status["monitoring_type"] is None
            else MonitoringType(status["monitoring_type"]),
        )
    except HouseholdStatusConflictError as exc:
        field, _, message = str(exc).partition(": ")
        raise invalid(
            [FieldError(path=f"$.{field}", message=f"{message} (stored or sent)")],
            "The household status would contradict itself.",
        ) from None
    for name in STATUS_FIELDS:
        value = getattr(resolved, name)
        changes[name] = getattr(value, "value", value)
    store_facts(row, changes)
    row.updated_at = dt.datetime.now(dt.UTC)
    session.add(row)
    audit.record(session, principal, "update", "household", [(row.id, row.id)])
    await session.commit()
    return household_read(row)


async def delete_household(session: AsyncSession, principal: Principal, household_id: str) -> None:
    """Remove a household with its members and their assessments."""
    row = await _household(session, principal, household_id)
    await session.delete(row)
    audit.record(session, principal, "delete", "household", [(row.id, row.id)])
    await session.commit()


# --- members ---------------------------------------------------------------------------------


def member_read(row: Member) -> MemberRead:
    """The wire form of a member row (ID number masked).

    The stored mask is shown as it is: it is written only by `mask_identity_number`, and
    migration 0005 re-masked the masks stored before issue 11 (every door migrates first).
    """
    return msgspec.convert(
        {
            **stored_facts(row),
            "id": row.id,
            "household_id": row.household_id,
            "name": row.name,
            "id_number_masked": row.id_number_masked,
            "created_at": utc(row.created_at),
            "updated_at": utc(row.updated_at),
        },
        MemberRead,
    )


def _set_identity(row: Member, number: str | None, hasher: IdentityHasher) -> None:
    """Keep the hash and masked form of a (validated) ID number, and its birth date."""
    if number is None:
        row.id_number_hash = None
        row.id_number_masked = None
        return
    identity = parse_identity_number(number)
    if row.birth_date is not None and row.birth_date != identity.birth_date:
        raise ProblemError(
            400,
            "The birth date does not match the ID number.",
            errors=[FieldError(path="$.birth_date", message="does not match the ID number")],
        )
    row.id_number_hash = hasher.hash(identity.number)
    row.id_number_masked = mask_identity_number(identity.number)
    row.birth_date = identity.birth_date


def _check_member_facts(row: Member, sent: set[str], today: dt.date) -> None:
    """400 naming the field when what is sent contradicts itself or the record: an age the
    birth date (given, or the ID number's) does not give today, or a place of work no region
    has today.  Only the fields sent are checked (with the stored ones they meet): a record
    stored before these checks is decided on the rest (`eligibility.stored`), not locked."""
    errors: list[FieldError] = []
    if sent & {"age", "birth_date", "id_number"} and row.age is not None and row.birth_date:
        named = "the ID number's birth date" if row.id_number_hash else "birth_date"
        problem = age_problem(row.age, row.birth_date, today, named, "today")
        if problem is not None:
            errors.append(FieldError(path="$.age", message=problem))
    employment = stored_facts(row).get("employment") if "employment" in sent else None
    work = None if not isinstance(employment, dict) else employment.get("work_region_code")
    if isinstance(work, str) and not is_known_region_code(work):
        errors.append(
            FieldError(
                path="$.employment.work_region_code", message=f"{work} {UNKNOWN_REGION_MESSAGE}"
            )
        )
    if errors:
        raise invalid(errors)


async def create_member(
    session: AsyncSession,
    principal: Principal,
    hasher: IdentityHasher,
    household_id: str,
    data: MemberCreate,
) -> MemberRead:
    """Add a person to a household in the caller's regions."""
    household = await _household(session, principal, household_id)
    row = Member(id=str(uuid.uuid4()), household_id=household.id, name=data.name)
    store_facts(row, {name: getattr(data, name) for name in MEMBER_FACTS})
    _set_identity(row, data.id_number, hasher)
    sent = {name for name in MEMBER_FACTS if getattr(data, name) is not None}
    _check_member_facts(row, sent | ({"id_number"} if data.id_number else set()), dt.date.today())
    session.add(row)
    audit.record(session, principal, "create", "member", [(row.id, household.id)])
    await session.commit()
    return member_read(row)


async def member_with_household(
    session: AsyncSession, principal: Principal, member_id: str
) -> tuple[Member, Household]:
    """A member and their household, if the household is in the caller's regions."""
    found = (
        await session.exec(
            select(Member, Household)
            .join(Household, col(Household.id) == col(Member.household_id))
            .where(col(Member.id) == record_id(member_id, "member"))
        )
    ).first()
    if found is None:
        raise not_found("member")
    if not principal.sees(found[1].region_code):
        await deny(session, principal, "member", found[0].id, found[1].id)
        raise not_found("member")
    return found[0], found[1]


async def read_member(session: AsyncSession, principal: Principal, member_id: str) -> MemberRead:
    """One member of a household in the caller's regions."""
    row, household = await member_with_household(session, principal, member_id)
    audit.record(session, principal, "read", "member", [(row.id, household.id)])
    await session.commit()
    return member_read(row)


SEARCH_LIMITED_TYPE = "urn:rural-support:problem:too-many-searches"
MEMBER_SEARCH = "member_search"


async def find_members(
    session: AsyncSession,
    principal: Principal,
    hasher: IdentityHasher,
    id_number: str,
    *,
    per_minute: int,
    now: dt.datetime,
) -> list[MemberRead]:
    """Members in the caller's regions whose stored hash matches this (validated) number.

    The search is a look-up for a number the caller has, not a way to test guesses: a masked
    number with its birth date and region leaves 1,000 candidates (review of #11, R1), so each
    key gets `per_minute` searches per rolling minute, counted at `now` (then 429 with
    Retry-After), and every search is audited, a miss or a refusal too (with an empty record
    id: the number is never kept)."""
    retry_after = await rate_limits.take(session, principal.key_id, MEMBER_SEARCH, per_minute, now)
    if retry_after is not None:
        audit.record(session, principal, "search", "member", [("", None)], outcome="refused")
        await session.commit()
        raise ProblemError(
            429,
            f"At most {per_minute} ID-number searches a minute per key; try again later.",
            problem_type=SEARCH_LIMITED_TYPE,
            headers={"Retry-After": str(retry_after)},
        )
    rows = (
        await session.exec(
            select(Member)
            .join(Household, col(Household.id) == col(Member.household_id))
            .where(col(Member.id_number_hash) == hasher.hash(id_number))
            .where(_scope(principal))
            .order_by(col(Member.created_at), col(Member.id))
        )
    ).all()
    if rows:
        found = [(r.id, r.household_id) for r in rows]
        audit.record(session, principal, "search", "member", found, outcome="found")
    else:
        audit.record(session, principal, "search", "member", [("", None)], outcome="not_found")
    await session.commit()
    return [member_read(r) for r in rows]


async def list_members(
    session: AsyncSession, principal: Principal, household_id: str
) -> list[MemberRead]:
    """Every member of a household in the caller's regions."""
    household = await _household(session, principal, household_id)
    rows = (
        await session.exec(
            select(Member)
            .where(col(Member.household_id) == household.id)
            .order_by(col(Member.created_at), col(Member.id))
        )
    ).all()
    audit.record(session, principal, "list", "member", [(r.id, household.id) for r in rows])
    await session.commit()
    return [member_read(r) for r in rows]


async def update_member(
    session: AsyncSession,
    principal: Principal,
    hasher: IdentityHasher,
    member_id: str,
    data: MemberUpdate,
) -> MemberRead:
    """Change the fields given; a new ID number replaces the stored hash and birth date."""
    row, household = await member_with_household(session, principal, member_id)
    stored_birth_date = row.birth_date
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(data).items()
        if value is not msgspec.UNSET and name != "id_number"
    }
    store_facts(row, changes)
    if data.id_number is not msgspec.UNSET:
        if data.id_number is not None and "birth_date" not in changes:
            row.birth_date = None  # the new number brings its own birth date
        _set_identity(row, data.id_number, hasher)
    elif (
        "birth_date" in changes
        and changes["birth_date"] != stored_birth_date
        and row.id_number_hash is not None
    ):
        # The stored number fixed the birth date; only a new number may change it.
        raise ProblemError(
            400,
            "The birth date comes from the ID number; send the number to change it.",
            errors=[FieldError(path="$.birth_date", message="fixed by the stored ID number")],
        )
    sent = set(changes) | ({"id_number"} if data.id_number is not msgspec.UNSET else set())
    _check_member_facts(row, sent, dt.date.today())
    row.updated_at = dt.datetime.now(dt.UTC)
    session.add(row)
    audit.record(session, principal, "update", "member", [(row.id, household.id)])
    await session.commit()
    return member_read(row)


async def delete_member(session: AsyncSession, principal: Principal, member_id: str) -> None:
    """Remove a member and their assessments."""
    row, household = await member_with_household(session, principal, member_id)
    await session.delete(row)
    audit.record(session, principal, "delete", "member", [(row.id, household.id)])
    await session.commit()
