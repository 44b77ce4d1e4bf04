"""The API's wire types: hand-written msgspec Structs, Create / Update / Read per resource.

Inputs reject unknown fields; PATCH bodies use `msgspec.UNSET` for "leave as is" and `null` for
"set to unknown".  Fact fields are the core's (see "facts on the wire"): their names, types and
bounds are declared once, in `eligibility.facts` and `facts.toml`.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import types
import typing
from collections.abc import Container
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType
from msgspec.structs import FieldInfo

from api.problems import FieldError, invalid
from eligibility import facts as f
from eligibility.birth import birth_date_problem
from eligibility.columnar import Reasons
from eligibility.diff import AnswerChange
from eligibility.facts import (
    STATUS_FIELDS,
    Applicant,
    Employment,
    HouseholdCategory,
    LoanRequest,
    Person,
    RegionCode,
)
from eligibility.facts import household_status as resolve_status
from eligibility.household_plan import HouseholdPlan
from eligibility.identity import (
    IDENTITY_NUMBER_TEXT_PATTERN,
    IdentityNumberError,
    parse_identity_number,
)
from eligibility.places import region_code_for_name
from eligibility.regions import UNKNOWN_REGION_MESSAGE, is_known_region_code
from eligibility.reply import Detail, Question, Reply, ShownDetermination, Source
from eligibility.text import Lang as Lang  # the core's, re-exported for the routes

# A place as people write it, standing for its code (eligibility.places).
PlaceName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=60,
        description="a province, prefecture or county by name, e.g. 临猗, 临猗县, 山西运城临猗",
    ),
]
# No control characters: PostgreSQL text cannot hold NUL, and a name never needs one.
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
# The programmes the bundled policies define (eligibility.policy.PROGRAMME_ORDER); a test keeps
# this list and the policy set in step, so the OpenAPI enum is what the service accepts.
ProgrammeId = Literal[
    "microloan", "transport_subsidy", "public_welfare_post", "yulu_plan", "monitoring_referral"
]
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


def check_known_region(code: str | None) -> None:
    """ValueError naming `region_code` when no region has it today (the shape is the type's):
    a household registered under 999999 would be decided under the national rules alone."""
    if code is not None and not is_known_region_code(code):
        raise ValueError(f"region_code: {UNKNOWN_REGION_MESSAGE}")


def check_member_birth(id_number: str | None, birth_date: dt.date | None) -> None:
    """ValueError naming the field when a member's birth date (given, or in the ID number) is
    before 1900 or after today: a member is registered now, so today is the date it must
    precede (a check or assessment compares with its own `as_of` instead).  An age sent is
    counted today too: the service refuses one the birth date (sent or stored) does not give,
    and a place of work no region has (`api.services.households`, 400 naming the field).  One
    stored before those checks says no date it was counted on: where it is decided it is set
    aside for the birth date's, with a warning (`eligibility.stored`)."""
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


# One programme's answer, its criteria all (`detail: full`) or those not met or unknown
# (`summary`), as the answer that carries it says.  Sources and questions are named by id and
# path; the answer has one table of each, and says once what all its determinations rest on
# (issue 10).  A field left out is at its default (null, an empty list).
Shown = ShownDetermination
Sources = dict[str, Source]
Questions = dict[str, Question]


class CheckResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One determination per programme asked for, each at the level of `detail`; what they all
    rest on: the date decided for (`as_of`), the applicant's `region_code` (left out when none
    was given), the `policy_version` (content hash of the policy set) and the `facts_hash`; the
    sources (id → title, number, issuer, link; the date at `GET /v1/sources?policy_version=`,
    the same ids) and the questions (fact path → how to ask it) they name."""

    detail: Detail
    as_of: dt.date | None = None
    region_code: str | None = None
    policy_version: str
    facts_hash: str | None = None
    determinations: list[Shown]
    sources: Sources
    questions: Questions


def check_result(answer: Reply) -> CheckResult:
    """The reply made by `eligibility.reply.reply` as the check route sends it."""
    return CheckResult(**msgspec.structs.asdict(answer))


class BatchCheckRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Up to 1,000 applicants; each is validated on its own, so one bad item fails alone."""

    applicants: Annotated[list[Any], Meta(min_length=1, max_length=MAX_BATCH)]


class BatchCheckItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The result for the applicant at `index`: its determinations and what they rest on (the
    date, the region, the facts' hash), or the errors that stopped it."""

    index: int
    ok: bool
    as_of: dt.date | None = None
    region_code: str | None = None
    facts_hash: str | None = None
    determinations: list[Shown] = []
    errors: list[FieldError] = []


class BatchCheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """One item per applicant, in the order sent, each at the level of `detail` and decided with
    the `policy_version`; one table of sources and questions for all (as in `CheckResult`)."""

    detail: Detail
    policy_version: str
    results: list[BatchCheckItem]
    sources: Sources
    questions: Questions


class EmploymentInput(Employment, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """务工情况 as sent: `work_region_name` ("广东", "深圳", "广东东莞") may stand for
    `work_region_code`.  A province is enough where only the scope matters (work in another
    province); an unknown or shared name, or one that disagrees with `work_region_code`, is a
    400 at `...employment.work_region_name` listing the candidates."""

    work_region_name: PlaceName | None = None

    def __post_init__(self) -> None:
        if self.work_region_name is not None:
            try:
                self.work_region_code = code_of_place(
                    self.work_region_name, self.work_region_code, "work_region_code"
                )
            except ValueError as exc:
                raise ValueError(f"work_region_name: {exc}") from None
            self.work_region_name = None  # the code stands for it from here on (and is stored)


class PersonInput(Person, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """申请人 as sent: the place of work may be given by name (`EmploymentInput`)."""

    employment: EmploymentInput | None = None


def code_of_place(name: str, code: str | None, code_field: str) -> str:
    """The code of the one place `name` names; ValueError (a `PlaceNameError` listing the
    candidates) if none or several, or if `code` was also given and is another place's."""
    named = region_code_for_name(name)
    if code is not None and code != named:
        raise ValueError(f"{name!r} is {named}, not {code_field} {code}")
    return named


class CheckInput(Applicant, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """An applicant to check: `region_name` ("临猗", "山西运城临猗") may stand for
    `region_code`, and `person.employment.work_region_name` ("广东", "深圳") for
    `work_region_code`; a name that is unknown, or that several places share, is a 400 naming
    the field and listing the candidates."""

    region_name: PlaceName | None = None
    person: PersonInput | None = None


def region_code_named(name: str | None, code: str | None, path: str = "$") -> str | None:
    """The code for `region_name` (checked against `region_code` if both are given), else
    `code`; a 400 naming `{path}.region_name` when the name does not name exactly one place."""
    if name is None:
        return code
    try:
        return code_of_place(name, code, "region_code")
    except ValueError as exc:
        raise invalid([FieldError(path=f"{path}.region_name", message=str(exc))]) from None


def applicant_of_input(data: CheckInput, path: str = "$") -> Applicant:
    """The core's `Applicant` for a check input, its place names read as codes."""
    values = {name: getattr(data, name) for name in Applicant.__struct_fields__}
    values["region_code"] = region_code_named(data.region_name, data.region_code, path)
    if data.person is not None:
        # The core's own types from here on (the names are already codes).
        values["person"] = msgspec.convert(data.person, Person, from_attributes=True)
    return Applicant(**values)


# --- facts on the wire -----------------------------------------------------------------------
#
# A household's and a member's facts are declared once, in the core's `Household` and `Person`
# (`eligibility.facts`, bounds from `facts.toml`).  The Create schemas inherit them; the Update
# and Read schemas are built from their fields, so a fact added there is accepted, patched and
# shown here with no edit.  To the type checker the built schemas are their hand-written part
# (the services reach the facts by name, `db.facts`).


def _fact_fields(core: type[msgspec.Struct], skip: Container[str]) -> list[FieldInfo]:
    return [field for field in msgspec.structs.fields(core) if field.name not in skip]


def _unbounded(annotation: Any) -> Any:
    """`annotation` without its `Meta` bounds: a Read shows what was stored, unchecked again."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, map(_unbounded, typing.get_args(annotation)))
    if typing.get_origin(annotation) is Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def patch_schema(
    name: str, doc: str, base: type[msgspec.Struct], core: type[msgspec.Struct]
) -> type[msgspec.Struct]:
    """`base` plus every fact of `core` it does not declare, as a PATCH field: absent leaves
    the fact as it is, `null` makes it unknown again, a value is checked as the core checks it."""
    fields = [
        (field.name, field.type | UnsetType, UNSET)
        for field in _fact_fields(core, base.__struct_fields__)
    ]
    return msgspec.defstruct(
        name,
        fields,
        bases=(base,),
        kw_only=True,
        forbid_unknown_fields=True,
        module=__name__,
        namespace={"__doc__": doc},
    )


def read_schema(
    name: str,
    doc: str,
    core: type[msgspec.Struct],
    *,
    before: list[tuple[str, Any]],
    skip: Container[str] = (),
) -> type[msgspec.Struct]:
    """A Read: the fields `before`, every fact of `core` but `skip` (each always present,
    `null` when unknown), then the record's timestamps."""
    facts = [(field.name, _unbounded(field.type)) for field in _fact_fields(core, skip)]
    stamps = [("created_at", dt.datetime), ("updated_at", dt.datetime)]
    return msgspec.defstruct(
        name,
        [*before, *facts, *stamps],
        frozen=True,
        kw_only=True,
        module=__name__,
        namespace={"__doc__": doc},
    )


# --- households ------------------------------------------------------------------------------


class HouseholdCreate(f.Household, kw_only=True, forbid_unknown_fields=True):
    """A household to register: where it is (`region_code`, or `region_name` such as
    "临猗县"), its status, and any facts known.

    The status is `poverty_alleviated` and `monitored` (with `monitoring_type` and
    `risk_eliminated` where known), or a `category` (户类型) that stands for them; one of the two
    must be given, and a category contradicting a fact sent with it is a 400 naming the fact.
    Only the facts are stored; the category is read back from them.
    """

    region_code: RegionCode | None = None
    region_name: PlaceName | None = None

    def __post_init__(self) -> None:
        check_known_region(self.region_code)
        if self.category is None and (self.poverty_alleviated is None or self.monitored is None):
            raise ValueError(
                "category: give the category, or both poverty_alleviated and monitored"
            )
        super().__post_init__()  # the status completed from the category (`household_status`)


class _HouseholdPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The hand-written part of `HouseholdUpdate`: the place, and a category (never null)."""

    region_code: RegionCode | UnsetType = UNSET
    region_name: PlaceName | UnsetType = UNSET
    category: HouseholdCategory | UnsetType = UNSET

    def __post_init__(self) -> None:
        if isinstance(self.region_code, str):
            check_known_region(self.region_code)
        if isinstance(self.category, HouseholdCategory):
            given = {name: getattr(self, name) for name in STATUS_FIELDS}
            status = resolve_status(
                category=self.category,
                **{name: None if value is UNSET else value for name, value in given.items()},
            )
            for name in STATUS_FIELDS:
                setattr(self, name, getattr(status, name))


_HOUSEHOLD_UPDATE_DOC = """Fields to change; absent fields stay, `null` makes a fact unknown again.

A `category` replaces the whole status with the facts it stands for; the status the update
leaves must still hang together (checked against the stored facts, a 400 if not).
"""
_HOUSEHOLD_READ_DOC = (
    "A registered household; `category` is the 户类型 its status amounts to (null where no\n"
    "category says exactly that)."
)

if TYPE_CHECKING:
    HouseholdUpdate = _HouseholdPatch
    HouseholdRead = msgspec.Struct
else:
    HouseholdUpdate = patch_schema(
        "HouseholdUpdate", _HOUSEHOLD_UPDATE_DOC, _HouseholdPatch, f.Household
    )
    HouseholdRead = read_schema(
        "HouseholdRead",
        _HOUSEHOLD_READ_DOC,
        f.Household,
        before=[("id", str), ("region_code", str)],
    )


class HouseholdPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of households and how many match in all."""

    items: list[HouseholdRead]
    total: int
    limit: int
    offset: int


# --- members ---------------------------------------------------------------------------------


class MemberCreate(f.Person, kw_only=True, forbid_unknown_fields=True):
    """A person of the household.  `id_number` is checked and then kept only as a keyed hash
    and a masked form; the birth date it gives is kept."""

    name: Name | None = None
    id_number: IdNumberText | None = None
    employment: EmploymentInput | None = None

    def __post_init__(self) -> None:
        # In place of `Person`'s check: a birth date that contradicts the number is refused by
        # the service, which names the stored number's birth date too (`_set_identity`).
        if self.id_number is not None:
            self.id_number = check_id_number(self.id_number)
        check_member_birth(self.id_number, self.birth_date)


class _MemberPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The hand-written part of `MemberUpdate`: the name and the ID number's shape."""

    name: Name | UnsetType | None = UNSET
    id_number: IdNumberText | UnsetType | None = UNSET
    employment: EmploymentInput | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        if isinstance(self.id_number, str):
            self.id_number = check_id_number(self.id_number)
        birth_date = getattr(self, "birth_date", UNSET)
        check_member_birth(
            self.id_number if isinstance(self.id_number, str) else None,
            birth_date if isinstance(birth_date, dt.date) else None,
        )


_MEMBER_UPDATE_DOC = "Fields to change; absent fields stay, `null` makes a fact unknown again."
_MEMBER_READ_DOC = "A member as shown: the ID number only masked."

if TYPE_CHECKING:
    MemberUpdate = _MemberPatch
    MemberRead = msgspec.Struct
else:
    MemberUpdate = patch_schema("MemberUpdate", _MEMBER_UPDATE_DOC, _MemberPatch, f.Person)
    MemberRead = read_schema(
        "MemberRead",
        _MEMBER_READ_DOC,
        f.Person,
        before=[
            ("id", str),
            ("household_id", str),
            ("name", str | None),
            ("id_number_masked", str | None),
        ],
        skip=("id_number",),
    )


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


class StoredFactWarning(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A fact of a stored record that today's checks refuse, set aside to decide
    (`eligibility.stored`): the record keeps it; the caseworker corrects it.  `path` is the
    fact's in the applicant (`region_code` is the household's, `person.*` the member's)."""

    member_id: str
    path: str
    message: str
    # In a comparison only: whose facts they are, the assessment's (`assessment`) or the one it
    # is compared with (`against`); the two may be the same member's.
    side: Literal["assessment", "against"] | None = None


class AssessmentRead(msgspec.Struct, frozen=True, kw_only=True):
    """A stored assessment: the facts used (never the ID number; the region is theirs), date,
    policy version and facts' hash, which every determination rests on, and the determinations
    made, at the level of `detail` (with the sources and questions they name, as in
    `CheckResult`)."""

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
    detail: Detail
    determinations: list[Shown]
    sources: Sources
    questions: Questions
    # The stored facts set aside to decide (a region code retired since, an age the birth date
    # contradicts): `facts` holds them as stored, the determinations rest on the rest.
    warnings: list[StoredFactWarning] = []


class AssessmentList(msgspec.Struct, frozen=True, kw_only=True):
    """A member's assessments, newest first."""

    items: list[AssessmentRead]


class RederiveResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A stored assessment decided again with its own policy version, date and facts (the
    region they were decided for, and the facts' hash as computed now); `identical` when the
    determinations and the facts' hash are what was stored."""

    assessment_id: str
    policy_version: str
    as_of: dt.date
    region_code: str | None = None
    facts_hash: str | None = None
    identical: bool
    detail: Detail
    determinations: list[Shown]
    sources: Sources
    questions: Questions
    warnings: list[StoredFactWarning] = []  # as `AssessmentRead.warnings`


class HouseholdPlanRead(HouseholdPlan, frozen=True, kw_only=True):
    """A registered household's plan (`eligibility.household_plan`): every member decided on
    `as_of` with the household's facts (and the loan asked in their latest assessment), the
    yearly total of confirmed amounts, one checklist, and the dates with their sources."""

    household_id: str
    # Members' stored facts set aside to decide them (as `AssessmentRead.warnings`).
    warnings: list[StoredFactWarning] = msgspec.field(default_factory=list)


class AssessmentDiff(msgspec.Struct, frozen=True, kw_only=True):
    """Why the answer changed from assessment `against` (before) to `assessment_id` (after):
    per programme, criterion and amount, whether the facts, the rules or both changed it.

    Each side is decided again with its own stored policy version (`comparison.exact`), and each
    side's facts under the other's rules and date to tell the two causes apart.
    `same_member` is false when the two are assessments of different members: then the fact
    changes are the differences between two people.
    """

    assessment_id: str
    against: str
    member_id: str
    against_member_id: str
    same_member: bool
    comparison: AnswerChange
    # Stored facts of either side set aside to decide it again (as `AssessmentRead.warnings`).
    warnings: list[StoredFactWarning] = []


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


class SourceRegistryRead(msgspec.Struct, frozen=True, kw_only=True):
    """Every document a policy version's answers may cite, whole, under the ids they name it
    by (an answer's `sources` table shows those it cites, the same way)."""

    policy_version: str
    sources: Sources


class Health(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Liveness or readiness."""

    status: str
    policy_version: str | None = None


# --- export jobs -----------------------------------------------------------------------------

OutputFormat = Literal["csv", "xlsx", "parquet", "ndjson"]
JobStatus = Literal["queued", "running", "done", "failed"]
REASONS_DESCRIPTION = (
    "how each programme's reasons are written: `text` (worded, the default: a download has no "
    "legend beside it, so the API keeps worded reasons unless asked), `codes` (criterion codes; "
    "an XLSX download carries a legend sheet, other formats a legend at the job's `legend` "
    "link) or `none` (left out)"
)


class ExportFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which stored households: all of the caller's regions, or narrower."""

    region: RegionCode | None = None
    category: HouseholdCategory | None = None


class ExportCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An export of stored households (the JSON form of `POST /v1/exports`)."""

    format: OutputFormat = "xlsx"
    programmes: Annotated[list[ProgrammeId], Meta(min_length=1, max_length=32)] | None = None
    as_of: dt.date | None = None
    lang: Lang = "zh"
    reasons: Annotated[Reasons, Meta(description=REASONS_DESCRIPTION)] = "text"
    filter: ExportFilter = msgspec.field(default_factory=ExportFilter)


class ExportRead(msgspec.Struct, frozen=True, kw_only=True):
    """A job: what it does, how far it is, and where to fetch the result."""

    id: str
    status: JobStatus
    format: OutputFormat
    rows_total: int | None
    rows_done: int
    progress: float | None
    programmes: list[str] | None
    as_of: dt.date | None
    reasons: Reasons
    notes: list[str]
    error: str | None
    download: str | None
    legend: str | None
    """Where the reason codes are spelled out: for a done job written with `reasons=codes` in
    a format other than XLSX (an XLSX download has the legend as a sheet); None otherwise."""
    created_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime | None
    """When a finished or failed job (its row and its file) will be removed; None while it
    runs, or when `EXPORT_RETENTION_DAYS` is 0."""
