"""The API's wire types: hand-written msgspec Structs, Create / Update / Read per resource.

Inputs reject unknown fields; PATCH bodies use `msgspec.UNSET` for "leave as is" and `null` for
"set to unknown".  Fact fields keep the glossary's names and bounds.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from api.problems import FieldError, invalid
from eligibility.answers import FullDetermination, Question, Source, SummaryDetermination
from eligibility.birth import birth_date_problem
from eligibility.facts import (
    Applicant,
    Education,
    Employment,
    HouseholdCategory,
    LaborCapacity,
    LoanRequest,
    MonitoringType,
    RegionCode,
    SuddenHardshipEvent,
    Yuan,
    settle_household_status,
)
from eligibility.facts import household_status as resolve_status
from eligibility.identity import (
    IDENTITY_NUMBER_TEXT_PATTERN,
    IdentityNumberError,
    parse_identity_number,
)
from eligibility.places import PlaceNameError, region_code_for_name

# A place as people write it, standing for its code (eligibility.places).
PlaceName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=60,
        description="a province, prefecture or county by name, e.g. 临猗, 临猗县, 山西运城临猗",
    ),
]
Size = Annotated[int, Meta(ge=1, le=100)]
Income = Annotated[int, Meta(ge=-10_000_000, le=100_000_000)]
Age = Annotated[int, Meta(ge=0, le=130)]
# No control characters: PostgreSQL text cannot hold NUL, and a name never needs one.
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
# The programmes the bundled policies define (eligibility.policy.PROGRAMME_ORDER); a test keeps
# this list and the policy set in step, so the OpenAPI enum is what the service accepts.
ProgrammeId = Literal[
    "microloan", "transport_subsidy", "public_welfare_post", "yulu_plan", "monitoring_referral"
]
Lang = Literal["zh", "en"]
# The shape only (ASCII or full-width, normalised by the core); the check digit and birth date
# are checked by `check_id_number`.
IdNumberText = Annotated[
    str, Meta(pattern=IDENTITY_NUMBER_TEXT_PATTERN, description="18-character resident ID number")
]
MAX_BATCH = 1000


def check_id_number(number: str) -> str:
    """The normalised number, or ValueError('id_number: ...') that the problem names."""
    try:
        return parse_identity_number(number).number
    except IdentityNumberError as exc:
        raise ValueError(f"id_number: {exc}") from None


def check_member_birth(id_number: str | None, birth_date: dt.date | None) -> None:
    """ValueError naming the field when a member's birth date (given, or in the ID number) is
    before 1900 or after today: a member is registered now, so today is the date it must
    precede (a check or assessment compares with its own `as_of` instead)."""
    today = dt.date.today()
    if birth_date is not None:
        problem = birth_date_problem(birth_date, today, "today")
        if problem is not None:
            raise ValueError(f"birth_date: {problem}")
    if id_number is not None:
        problem = birth_date_problem(parse_identity_number(id_number).birth_date, today, "today")
        if problem is not None:
            raise ValueError(f"id_number: its birth date {problem}")


# --- checks ----------------------------------------------------------------------------------


# One programme's answer: `full` (every criterion) or `summary` (`?detail=summary`: the criteria
# not met or unknown), its `detail` says which.  Sources and questions are named by id and path;
# the answer that carries them has one table of each (issue 10).
Shown = FullDetermination | SummaryDetermination
Sources = dict[str, Source]
Questions = dict[str, Question]


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """One determination per programme asked for, with the sources (id → document) and the
    questions (fact path → how to ask it) they name."""

    determinations: list[Shown]
    sources: Sources
    questions: Questions


class BatchCheckRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Up to 1,000 applicants; each is validated on its own, so one bad item fails alone."""

    applicants: Annotated[list[Any], Meta(min_length=1, max_length=MAX_BATCH)]


class BatchCheckItem(msgspec.Struct, frozen=True, kw_only=True):
    """The result for the applicant at `index`: determinations, or the errors that stopped it."""

    index: int
    ok: bool
    determinations: list[Shown] = []
    errors: list[FieldError] = []


class BatchCheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """One item per applicant, in the order sent; one table of sources and questions for all."""

    results: list[BatchCheckItem]
    sources: Sources
    questions: Questions


class CheckInput(Applicant, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """An applicant to check: `region_name` ("临猗", "山西运城临猗") may stand for
    `region_code`; a name that is unknown, or that several places share, is a 400 naming the
    field and listing the candidates."""

    region_name: PlaceName | None = None


def region_code_named(name: str | None, code: str | None, path: str = "$") -> str | None:
    """The code for `region_name` (checked against `region_code` if both are given), else
    `code`; a 400 naming `{path}.region_name` when the name does not name exactly one place."""
    if name is None:
        return code
    try:
        named = region_code_for_name(name)
    except PlaceNameError as exc:
        raise invalid([FieldError(path=f"{path}.region_name", message=str(exc))]) from None
    if code is not None and code != named:
        message = f"{name!r} is {named}, not region_code {code}"
        raise invalid([FieldError(path=f"{path}.region_name", message=message)])
    return named


def applicant_of_input(data: CheckInput, path: str = "$") -> Applicant:
    """The core's `Applicant` for a check input, its `region_name` read as a code."""
    values = {name: getattr(data, name) for name in Applicant.__struct_fields__}
    values["region_code"] = region_code_named(data.region_name, data.region_code, path)
    return Applicant(**values)


# --- households ------------------------------------------------------------------------------


class HouseholdCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A household to register: where it is (`region_code`, or `region_name` such as
    "临猗县"), its status, and any facts known.

    The status is `poverty_alleviated` and `monitored` (with `monitoring_type` and
    `risk_eliminated` where known), or a `category` (户类型) that stands for them; one of the two
    must be given, and a category contradicting a fact sent with it is a 400 naming the fact.
    Only the facts are stored; the category is read back from them.
    """

    region_code: RegionCode | None = None
    region_name: PlaceName | None = None
    category: HouseholdCategory | None = None
    poverty_alleviated: bool | None = None
    monitored: bool | None = None
    monitoring_type: MonitoringType | None = None
    risk_eliminated: bool | None = None
    needs_support: bool | None = None
    size: Size | None = None
    per_capita_net_income: Income | None = None
    per_capita_net_income_previous: Income | None = None
    sudden_hardship_event: SuddenHardshipEvent | None = None
    receives_dibao: bool | None = None
    receives_tekun: bool | None = None
    zero_employment: bool | None = None
    microloan_outstanding: Yuan | None = None
    microloan_overdue: bool | None = None

    def __post_init__(self) -> None:
        if self.category is None and (self.poverty_alleviated is None or self.monitored is None):
            raise ValueError(
                "category: give the category, or both poverty_alleviated and monitored"
            )
        settle_household_status(self)


class HouseholdUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields to change; absent fields stay, `null` makes a fact unknown again.

    A `category` replaces the whole status with the facts it stands for; the status the update
    leaves must still hang together (checked against the stored facts, a 400 if not).
    """

    region_code: RegionCode | UnsetType = UNSET
    region_name: PlaceName | UnsetType = UNSET
    category: HouseholdCategory | UnsetType = UNSET
    poverty_alleviated: bool | UnsetType | None = UNSET
    monitored: bool | UnsetType | None = UNSET
    monitoring_type: MonitoringType | UnsetType | None = UNSET
    risk_eliminated: bool | UnsetType | None = UNSET
    needs_support: bool | UnsetType | None = UNSET
    size: Size | UnsetType | None = UNSET
    per_capita_net_income: Income | UnsetType | None = UNSET
    per_capita_net_income_previous: Income | UnsetType | None = UNSET
    sudden_hardship_event: SuddenHardshipEvent | UnsetType | None = UNSET
    receives_dibao: bool | UnsetType | None = UNSET
    receives_tekun: bool | UnsetType | None = UNSET
    zero_employment: bool | UnsetType | None = UNSET
    microloan_outstanding: Yuan | UnsetType | None = UNSET
    microloan_overdue: bool | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        if isinstance(self.category, HouseholdCategory):
            status = resolve_status(
                category=self.category,
                poverty_alleviated=_given(self.poverty_alleviated),
                monitored=_given(self.monitored),
                monitoring_type=_given(self.monitoring_type),
            )
            self.poverty_alleviated = status.poverty_alleviated
            self.monitored = status.monitored
            self.monitoring_type = status.monitoring_type


def _given(value: Any) -> Any:
    return None if value is UNSET else value


class HouseholdRead(msgspec.Struct, frozen=True, kw_only=True):
    """A registered household; `category` is the 户类型 its status amounts to (null where no
    category says exactly that)."""

    id: str
    region_code: str
    category: HouseholdCategory | None
    poverty_alleviated: bool | None
    monitored: bool | None
    monitoring_type: MonitoringType | None
    risk_eliminated: bool | None
    needs_support: bool | None
    size: int | None
    per_capita_net_income: int | None
    per_capita_net_income_previous: int | None
    sudden_hardship_event: SuddenHardshipEvent | None
    receives_dibao: bool | None
    receives_tekun: bool | None
    zero_employment: bool | None
    microloan_outstanding: int | None
    microloan_overdue: bool | None
    created_at: dt.datetime
    updated_at: dt.datetime


class HouseholdPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of households and how many match in all."""

    items: list[HouseholdRead]
    total: int
    limit: int
    offset: int


# --- members ---------------------------------------------------------------------------------


class MemberCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A person of the household.  `id_number` is checked and then kept only as a keyed hash
    and a masked form; the birth date it gives is kept."""

    name: Name | None = None
    id_number: IdNumberText | None = None
    birth_date: dt.date | None = None
    age: Age | None = None
    labor_capacity: LaborCapacity | None = None
    employment_difficulty: bool | None = None
    full_civil_capacity: bool | None = None
    serious_bad_credit: bool | None = None
    willing_to_work: bool | None = None
    can_work_away: bool | None = None
    holds_public_welfare_post: bool | None = None
    disability: bool | None = None
    employment: Employment | None = None
    education: Education | None = None

    def __post_init__(self) -> None:
        if self.id_number is not None:
            self.id_number = check_id_number(self.id_number)
        check_member_birth(self.id_number, self.birth_date)


class MemberUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields to change; absent fields stay, `null` makes a fact unknown again."""

    name: Name | UnsetType | None = UNSET
    id_number: IdNumberText | UnsetType | None = UNSET
    birth_date: dt.date | UnsetType | None = UNSET
    age: Age | UnsetType | None = UNSET
    labor_capacity: LaborCapacity | UnsetType | None = UNSET
    employment_difficulty: bool | UnsetType | None = UNSET
    full_civil_capacity: bool | UnsetType | None = UNSET
    serious_bad_credit: bool | UnsetType | None = UNSET
    willing_to_work: bool | UnsetType | None = UNSET
    can_work_away: bool | UnsetType | None = UNSET
    holds_public_welfare_post: bool | UnsetType | None = UNSET
    disability: bool | UnsetType | None = UNSET
    employment: Employment | UnsetType | None = UNSET
    education: Education | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        if isinstance(self.id_number, str):
            self.id_number = check_id_number(self.id_number)
        check_member_birth(
            self.id_number if isinstance(self.id_number, str) else None,
            self.birth_date if isinstance(self.birth_date, dt.date) else None,
        )


class MemberRead(msgspec.Struct, frozen=True, kw_only=True):
    """A member as shown: the ID number only masked."""

    id: str
    household_id: str
    name: str | None
    id_number_masked: str | None
    birth_date: dt.date | None
    age: int | None
    labor_capacity: LaborCapacity | None
    employment_difficulty: bool | None
    full_civil_capacity: bool | None
    serious_bad_credit: bool | None
    willing_to_work: bool | None
    can_work_away: bool | None
    holds_public_welfare_post: bool | None
    disability: bool | None
    employment: Employment | None
    education: Education | None
    created_at: dt.datetime
    updated_at: dt.datetime


class MemberList(msgspec.Struct, frozen=True, kw_only=True):
    """Members: of one household, or found by ID number."""

    items: list[MemberRead]


class MemberSearch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Find registered people by ID number (sent in the body, so it never sits in a URL or
    an access log); it is compared by its keyed hash."""

    id_number: IdNumberText

    def __post_init__(self) -> None:
        self.id_number = check_id_number(self.id_number)


# --- assessments -----------------------------------------------------------------------------


class AssessmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Evaluate a registered member with the household's facts as they stand now."""

    member_id: str
    loan_request: LoanRequest | None = None
    as_of: dt.date | None = None
    programmes: Annotated[list[ProgrammeId], Meta(min_length=1, max_length=32)] | None = None
    lang: Lang | None = None


class AssessmentRead(msgspec.Struct, frozen=True, kw_only=True):
    """A stored assessment: the facts used (never the ID number), date, policy version, and
    the determinations made."""

    id: str
    member_id: str
    household_id: str
    policy_version: str
    as_of: dt.date
    lang: Lang
    facts_hash: str
    facts: Applicant
    programmes: list[str] | None
    created_by: str
    created_at: dt.datetime
    determinations: list[Shown]
    sources: Sources
    questions: Questions


class AssessmentList(msgspec.Struct, frozen=True, kw_only=True):
    """A member's assessments, newest first."""

    items: list[AssessmentRead]


class RederiveResult(msgspec.Struct, frozen=True, kw_only=True):
    """A stored assessment decided again with its own policy version and facts."""

    assessment_id: str
    policy_version: str
    identical: bool
    determinations: list[Shown]
    sources: Sources
    questions: Questions


# --- audit, programmes, health ---------------------------------------------------------------


class AuditEventRead(msgspec.Struct, frozen=True, kw_only=True):
    """Who (key id) did what to which record, when."""

    id: int
    at: dt.datetime
    key_id: str
    action: str
    resource: str
    record_id: str
    household_id: str | None
    outcome: str | None = None
    """A search's outcome: `found`, `not_found` (record_id empty) or `refused` (over the key's
    limit); null for other actions."""


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of audit events, newest first."""

    items: list[AuditEventRead]
    limit: int
    offset: int


class Health(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Liveness or readiness."""

    status: str
    policy_version: str | None = None
