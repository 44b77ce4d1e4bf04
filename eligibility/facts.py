"""The facts an applicant can give (see the glossary): every one optional, absent means unknown.

`0`, `False` and "unknown" are different things: a fact left out (or sent as `null`) is never
read as a default.  Structs reject unknown fields, so a misspelt fact is an error, not a silent
unknown.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Protocol

import msgspec

from eligibility.catalogue import fact_bounds
from eligibility.identity import IdentityNumberError, parse_identity_number
from eligibility.regions import RegionCode as RegionCode  # the one type, re-exported

# A number fact's bounds are its catalogue entry's `min`/`max` (`fact_bounds`): declared once,
# in `facts.toml`, and checked the same by msgspec here and by the batch and the bot there.


class HouseholdCategory(enum.StrEnum):
    """户类型 as registers of the transition period give it: one word for the household status.

    Still accepted on every door; it stands for the status facts of `CATEGORY_STATUS`, which are
    what the rules read (see `household_status`).
    """

    POVERTY_ALLEVIATED = "poverty_alleviated"
    UNSTABLE_ALLEVIATED = "unstable_alleviated"
    EDGE_VULNERABLE = "edge_vulnerable"
    SUDDEN_HARDSHIP = "sudden_hardship"
    ORDINARY = "ordinary"


class MonitoringType(enum.StrEnum):
    """监测对象类型: the kind of 防止返贫致贫对象, where known.

    The three types of 中农组发〔2021〕7号; from 2026 monitoring covers any rural household at risk
    and the type stays meaningful as the local record.
    """

    UNSTABLE_ALLEVIATED = "unstable_alleviated"  # 脱贫不稳定户: always a 脱贫户
    EDGE_VULNERABLE = "edge_vulnerable"  # 边缘易致贫户: an ordinary (非脱贫) household
    SUDDEN_HARDSHIP = "sudden_hardship"  # 突发严重困难户: 脱贫户 or not


class HouseholdStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The household status facts as recorded since 2026 (None: unknown).

    `poverty_alleviated`: an 原建档立卡脱贫户; `monitored`: identified as a 防止返贫致贫对象 (it
    stays so when its risk is later marked eliminated: `risk_eliminated` says that);
    `monitoring_type`: which kind of monitored household.
    """

    poverty_alleviated: bool | None = None
    monitored: bool | None = None
    monitoring_type: MonitoringType | None = None


# What each 户类型 says about the status facts.  In the transition-period registers the category
# was one word per household: a 脱贫户 that was monitored was filed as 脱贫不稳定户, so
# "poverty_alleviated" also says "not monitored".  A 突发严重困难户 may or may not be a 脱贫户
# (the definitions say 农户), so that category leaves `poverty_alleviated` unknown.
CATEGORY_STATUS: dict[HouseholdCategory, HouseholdStatus] = {
    HouseholdCategory.POVERTY_ALLEVIATED: HouseholdStatus(poverty_alleviated=True, monitored=False),
    HouseholdCategory.UNSTABLE_ALLEVIATED: HouseholdStatus(
        poverty_alleviated=True,
        monitored=True,
        monitoring_type=MonitoringType.UNSTABLE_ALLEVIATED,
    ),
    HouseholdCategory.EDGE_VULNERABLE: HouseholdStatus(
        poverty_alleviated=False, monitored=True, monitoring_type=MonitoringType.EDGE_VULNERABLE
    ),
    HouseholdCategory.SUDDEN_HARDSHIP: HouseholdStatus(
        monitored=True, monitoring_type=MonitoringType.SUDDEN_HARDSHIP
    ),
    HouseholdCategory.ORDINARY: HouseholdStatus(poverty_alleviated=False, monitored=False),
}

# What a monitoring type says by itself: the household is monitored, and a 脱贫不稳定户 is a
# 脱贫户 while an 边缘易致贫户 is not (the definitions of the three types).
MONITORING_TYPE_STATUS: dict[MonitoringType, HouseholdStatus] = {
    MonitoringType.UNSTABLE_ALLEVIATED: HouseholdStatus(poverty_alleviated=True, monitored=True),
    MonitoringType.EDGE_VULNERABLE: HouseholdStatus(poverty_alleviated=False, monitored=True),
    MonitoringType.SUDDEN_HARDSHIP: HouseholdStatus(monitored=True),
}

STATUS_FIELDS = ("poverty_alleviated", "monitored", "monitoring_type")


class HouseholdStatusConflictError(ValueError):
    """Status facts that contradict each other; the message starts with the field, then why."""


def household_status(
    *,
    category: HouseholdCategory | None = None,
    poverty_alleviated: bool | None = None,
    monitored: bool | None = None,
    monitoring_type: MonitoringType | None = None,
) -> HouseholdStatus:
    """The status facts given, completed from what the category and the monitoring type imply.

    A contradiction (category "poverty_alleviated" with `monitored = true`, a monitoring type
    for a household that is not monitored, an 边缘易致贫户 said to be a 脱贫户) raises
    `HouseholdStatusConflictError` naming the field: no side is silently preferred.
    """
    return _household_status(category, poverty_alleviated, monitored, monitoring_type)


# Kept per combination (a few hundred at most; every applicant decoded asks it, and a
# contradiction, raised, is not kept).
@functools.lru_cache(maxsize=1024, typed=True)
def _household_status(
    category: HouseholdCategory | None,
    poverty_alleviated: bool | None,
    monitored: bool | None,
    monitoring_type: MonitoringType | None,
) -> HouseholdStatus:
    values: dict[str, object] = {
        "poverty_alleviated": poverty_alleviated,
        "monitored": monitored,
        "monitoring_type": monitoring_type,
    }
    # Who said each value: None where it was given, else what implied it (the words of a
    # conflict are written only when there is one).
    said_by: dict[str, str | None] = {}

    def imply(status: HouseholdStatus, by: str) -> None:
        for name in STATUS_FIELDS:
            implied = getattr(status, name)
            if implied is None:
                continue
            if values[name] is None:
                values[name] = implied
                said_by[name] = by
            elif values[name] != implied:
                source = said_by.get(name)
                said = (
                    f"{name} = {_shown(values[name])} was given"
                    if source is None
                    else f"{source} means {name} = {_shown(values[name])}"
                )
                raise HouseholdStatusConflictError(
                    f"{name}: {by} means {name} = {_shown(implied)}, but {said}"
                )

    if category is not None:
        imply(CATEGORY_STATUS[category], f"category = {category.value}")
    kind = values["monitoring_type"]
    if kind is not None:
        assert isinstance(kind, MonitoringType)
        imply(MONITORING_TYPE_STATUS[kind], f"monitoring_type = {kind.value}")
    return msgspec.convert(values, HouseholdStatus)


class StatusFacts(Protocol):
    """A record holding the household-status facts (the core's `Household`, the API's create
    schema): what `settle_household_status` completes in place."""

    category: HouseholdCategory | None
    poverty_alleviated: bool | None
    monitored: bool | None
    monitoring_type: MonitoringType | None


def settle_household_status(record: StatusFacts) -> None:
    """Complete `record`'s status facts from its category and monitoring type, in place
    (`household_status`; a contradiction raises `HouseholdStatusConflictError`)."""
    status = household_status(
        category=record.category,
        poverty_alleviated=record.poverty_alleviated,
        monitored=record.monitored,
        monitoring_type=record.monitoring_type,
    )
    record.poverty_alleviated = status.poverty_alleviated
    record.monitored = status.monitored
    record.monitoring_type = status.monitoring_type


def category_of(status: HouseholdStatus) -> HouseholdCategory | None:
    """The one-word 户类型 the status facts amount to, or None where no category says exactly
    that (e.g. a monitored 脱贫户 whose monitoring type is not known)."""
    for category, implied in CATEGORY_STATUS.items():
        if implied == status:
            return category
    return None


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


class SuddenHardshipEvent(enum.StrEnum):
    """突发困难: what happened to the household, if anything."""

    NONE = "none"
    ILLNESS = "illness"
    DISASTER = "disaster"
    ACCIDENT = "accident"
    JOB_LOSS = "job_loss"
    OTHER = "other"


class LaborCapacity(enum.StrEnum):
    """劳动能力."""

    FULL = "full"
    WEAK = "weak"
    NONE = "none"


class EmploymentStatus(enum.StrEnum):
    """就业状态."""

    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"
    UNEMPLOYED = "unemployed"
    STUDENT = "student"
    NOT_IN_LABOR_FORCE = "not_in_labor_force"


class WorkScope(enum.StrEnum):
    """务工地范围: where the job is, seen from the household's registered county.

    Given directly (a villager knows "省外" without knowing a code), or derived from
    `work_region_code` and `region_code` when both are known.
    """

    SAME_COUNTY = "same_county"
    OTHER_COUNTY = "other_county"
    OTHER_PREFECTURE = "other_prefecture"
    OTHER_PROVINCE = "other_province"


class EducationLevel(enum.StrEnum):
    """就读层次."""

    SECONDARY_VOCATIONAL = "secondary_vocational"
    TECHNICAL_SCHOOL = "technical_school"
    HIGHER_VOCATIONAL = "higher_vocational"
    TECHNICIAN_COLLEGE = "technician_college"
    GENERAL_HIGH_SCHOOL = "general_high_school"
    UNDERGRADUATE = "undergraduate"
    COMPULSORY = "compulsory"
    NONE = "none"


class Semester(enum.StrEnum):
    """学期."""

    SPRING = "spring"
    AUTUMN = "autumn"


class LoanPurpose(enum.StrEnum):
    """贷款用途."""

    PRODUCTION = "production"
    BUSINESS = "business"
    HOUSE_BUILDING = "house_building"
    WEDDING = "wedding"
    CONSUMPTION = "consumption"
    FINANCIAL = "financial"
    ENTERPRISE_USE = "enterprise_use"
    OTHER = "other"


class FactGroup(
    msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True, gc=False
):
    """What every group of facts is: keyword fields, a misspelt fact an error, unknown facts
    left out when encoded, and not tracked by the garbage collector (a group holds only
    values and other groups, so it can be in no reference cycle; a register or a benchmark
    holding many applicants is not walked by every collection)."""


class Employment(FactGroup):
    """务工情况."""

    status: EmploymentStatus | None = None
    work_region_code: RegionCode | None = None
    work_scope: WorkScope | None = None
    months_continuous: Annotated[int, fact_bounds("person.employment.months_continuous")] | None = (
        None
    )
    organized_transfer: bool | None = None
    transport_subsidy_claimed_this_year: bool | None = None


class Education(FactGroup):
    """就学情况."""

    level: EducationLevel | None = None
    full_time: bool | None = None
    registered: bool | None = None
    suspended: bool | None = None
    semester: Semester | None = None


class Person(FactGroup):
    """申请人.  `id_number` is checked (GB 11643) as soon as it is decoded."""

    id_number: str | None = None
    birth_date: dt.date | None = None
    age: Annotated[int, fact_bounds("person.age")] | None = None
    labor_capacity: LaborCapacity | None = None
    # 就业困难人员 (就业促进法 第52条): recognised, or meeting the conditions; not "out of work".
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
            try:
                identity = parse_identity_number(self.id_number)
            except IdentityNumberError as exc:
                # msgspec turns a ValueError here into a ValidationError at this struct's path.
                raise ValueError(f"id_number: {exc}") from None
            if self.birth_date is not None and self.birth_date != identity.birth_date:
                raise ValueError("birth_date: does not match the birth date in id_number")
            self.id_number = identity.number


class Household(FactGroup):
    """家庭.

    The status is `poverty_alleviated`, `monitored`, `risk_eliminated` and `monitoring_type`; a
    `category` (户类型) is read as the facts it stands for (`household_status`), and one that
    contradicts a fact given with it is an error at `$.household.<field>`.
    """

    category: HouseholdCategory | None = None
    poverty_alleviated: bool | None = None
    monitored: bool | None = None
    monitoring_type: MonitoringType | None = None
    risk_eliminated: bool | None = None
    # 有帮扶需求 as the village or county finds it (the 2026 帮扶小额信贷's target group).
    needs_support: bool | None = None
    size: Annotated[int, fact_bounds("household.size")] | None = None
    per_capita_net_income: Annotated[int, fact_bounds("household.per_capita_net_income")] | None = (
        None
    )
    per_capita_net_income_previous: (
        Annotated[int, fact_bounds("household.per_capita_net_income_previous")] | None
    ) = None
    sudden_hardship_event: SuddenHardshipEvent | None = None
    receives_dibao: bool | None = None
    receives_tekun: bool | None = None
    zero_employment: bool | None = None
    microloan_outstanding: Annotated[int, fact_bounds("household.microloan_outstanding")] | None = (
        None
    )
    microloan_overdue: bool | None = None

    def __post_init__(self) -> None:
        settle_household_status(self)


class LoanRequest(FactGroup):
    """贷款申请 (microloan only).  `wanted`: whether the household wants a loan at all."""

    wanted: bool | None = None
    amount: Annotated[int, fact_bounds("loan_request.amount")] | None = None
    term_months: Annotated[int, fact_bounds("loan_request.term_months")] | None = None
    purpose: LoanPurpose | None = None


class Applicant(FactGroup):
    """One person, checked with their household's context."""

    region_code: RegionCode | None = None
    as_of: dt.date | None = None
    household: Household | None = None
    person: Person | None = None
    loan_request: LoanRequest | None = None


def fact_types(
    struct: type[msgspec.Struct] = Applicant, prefix: str = ""
) -> dict[str, msgspec.inspect.Type]:
    """Every leaf fact of `struct` by dotted path, with its type (`None` taken out: every fact
    may be unknown), in declaration order.  The catalogue is checked against this."""
    found: dict[str, msgspec.inspect.Type] = {}
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    for field in info.fields:
        kind = field.type
        if isinstance(kind, msgspec.inspect.UnionType):
            (kind,) = (t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType))
        while isinstance(kind, msgspec.inspect.Metadata):  # a description, as on RegionCode
            kind = kind.type
        if isinstance(kind, msgspec.inspect.StructType):
            found.update(fact_types(kind.cls, f"{prefix}{field.name}."))
        else:
            found[f"{prefix}{field.name}"] = kind
    return found


_applicant_decoder = msgspec.json.Decoder(Applicant)


def decode_applicant(raw: bytes | str) -> Applicant:
    """Decode one applicant from JSON; raises `msgspec.ValidationError` naming the field."""
    return _applicant_decoder.decode(raw)


def applicant_paths(applicant: Applicant) -> dict[str, Any]:
    """The applicant's known facts by dotted glossary path (`person.employment.status`), in
    their JSON form (enums as their values, dates as ISO text); unknown facts are absent.

    The inverse of `applicant_from_paths`: the one flatten/unflatten pair every door uses.
    Every decision starts here, so it runs as code generated from `Applicant`'s fields
    (`_paths_reader`), which gives what `msgspec.to_builtins` and a walk of its result give
    (`_builtin_paths`), in the same order.
    """
    return _read_paths(applicant)


def _builtin_paths(applicant: msgspec.Struct) -> dict[str, Any]:
    """`applicant_paths` by way of `msgspec.to_builtins`: what the generated reader gives, and
    what it falls back to for a struct built in Python with another struct type in a field."""
    flat: dict[str, Any] = {}
    _flatten_into(msgspec.to_builtins(applicant), "", flat)
    return flat


# The plain types a field may declare, by their `msgspec.inspect` type.
_PLAIN_TYPES: dict[type, type] = {
    msgspec.inspect.StrType: str,
    msgspec.inspect.IntType: int,
    msgspec.inspect.BoolType: bool,
}

# A day's ISO form by the day, for `_paths_reader` (bounded: cleared when full).
_ISO: dict[dt.date, str] = {}


def _iso(day: dt.date) -> str:
    if len(_ISO) >= 8192:
        _ISO.clear()
    found = _ISO[day] = day.isoformat()
    return found


def _paths_reader(struct: type[msgspec.Struct]) -> Callable[[Any], dict[str, Any]]:
    """One generated function reading every leaf of `struct` (nested structs inline) into the
    dict `_builtin_paths` makes: the known leaves in declaration order, each in its JSON form
    (`msgspec.to_builtins` of a value of another type than declared, as that function would
    give it).  Paths and attribute names come from the struct's own fields, never from data."""
    names: dict[str, object] = {
        "to_builtins": msgspec.to_builtins,
        "slow": _builtin_paths,
        "DATE": dt.date,
        "ISO": _ISO.get,
        "iso": _iso,
        "PLAIN": frozenset(_PLAIN_TYPES.values()),
    }
    lines = ["def read(a):", "    out = {}"]

    def constant(value: object) -> str:
        name = f"K{len(names)}"
        names[name] = value
        return name

    def walk(cls: type[msgspec.Struct], var: str, prefix: str, indent: str) -> None:
        info = msgspec.inspect.type_info(cls)
        assert isinstance(info, msgspec.inspect.StructType)
        for spec in info.fields:
            assert spec.name.isidentifier() and spec.encode_name == spec.name
            kind = spec.type
            if isinstance(kind, msgspec.inspect.UnionType):
                (kind,) = (t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType))
            while isinstance(kind, msgspec.inspect.Metadata):
                kind = kind.type
            path = prefix + spec.name
            if isinstance(kind, msgspec.inspect.StructType):
                inner = f"s{len(lines)}"
                lines.extend(
                    [
                        f"{indent}{inner} = {var}.{spec.name}",
                        f"{indent}if {inner} is not None:",
                        f"{indent}    if {inner}.__class__ is not {constant(kind.cls)}:",
                        f"{indent}        return slow(a)",
                    ]
                )
                walk(kind.cls, inner, path + ".", indent + "    ")
                continue
            if isinstance(kind, msgspec.inspect.EnumType):
                shown = f"v._value_ if v.__class__ is {constant(kind.cls)} else to_builtins(v)"
            elif isinstance(kind, msgspec.inspect.DateType):
                # The few days decided on are written out once each (`_iso`).
                shown = "(ISO(v) or iso(v)) if v.__class__ is DATE else to_builtins(v)"
            else:
                shown = "v if v.__class__ in PLAIN else to_builtins(v)"
                declared = _PLAIN_TYPES.get(type(kind))
                if declared is not None:  # the declared type first: one identity test
                    shown = f"v if v.__class__ is {constant(declared)} else ({shown})"
            lines.extend(
                [
                    f"{indent}v = {var}.{spec.name}",
                    f"{indent}if v is not None:",
                    f"{indent}    out[{constant(path)}] = {shown}",
                ]
            )

    lines.extend(["    if a.__class__ is not " + constant(struct) + ":", "        return slow(a)"])
    walk(struct, "a", "", "    ")
    lines.append("    return out")
    exec(compile("\n".join(lines) + "\n", "<applicant paths>", "exec"), names)
    found: Callable[[Any], dict[str, Any]] = names["read"]  # type: ignore[assignment]
    return found


def _flatten_into(value: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, item in value.items():
        if isinstance(item, dict):
            _flatten_into(item, f"{prefix}{key}.", out)
        elif item is not None:
            out[f"{prefix}{key}"] = item


def nest_paths(facts: Mapping[str, object]) -> dict[str, Any]:
    """Dotted glossary paths (`person.employment.status`) nested into the shape of `Applicant`.

    A `None` value is an unknown fact and is left out.
    """
    nested: dict[str, Any] = {}
    for path, value in facts.items():
        if value is None:
            continue
        *parents, leaf = path.split(".")
        node = nested
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return nested


def applicant_from_paths(facts: Mapping[str, object]) -> Applicant:
    """The `Applicant` for facts given by dotted path, with the same checks as JSON input
    (the inverse of `applicant_paths`)."""
    return msgspec.convert(nest_paths(facts), Applicant)


_read_paths = _paths_reader(Applicant)
