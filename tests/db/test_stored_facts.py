"""The tables store the core's facts: one nullable column per stored fact, of the fact's type,
and no fact column the core does not have (issue 10, "facts declared once").  With
`test_upgrade_head_matches_the_models`, a fact added to `eligibility.facts.Household` or
`Person` fails here until its column and its migration exist.  Each failure names the fact."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from db.facts import HOUSEHOLD_FACTS, JSON_FACTS, MEMBER_FACTS, household_facts, person_facts
from db.models import Household, Member
from eligibility import facts as core
from eligibility.regions import REGION_CODE_PATTERN

# Columns that are no fact of the core's Structs: keys, the place, identity, bookkeeping.
NOT_FACTS = {
    "households": {"id", "region_code", "created_at", "updated_at"},
    "members": {
        "id",
        "household_id",
        "name",
        "id_number_hash",
        "id_number_masked",
        "created_at",
        "updated_at",
    },
}
TABLES: list[tuple[type[SQLModel], type[msgspec.Struct], tuple[str, ...]]] = [
    (Household, core.Household, HOUSEHOLD_FACTS),
    (Member, core.Person, MEMBER_FACTS),
]


def _fact_type(struct: type[msgspec.Struct], name: str) -> msgspec.inspect.Type:
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    (field,) = (f for f in info.fields if f.name == name)
    kind = field.type
    if isinstance(kind, msgspec.inspect.UnionType):
        (kind,) = (t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType))
    while isinstance(kind, msgspec.inspect.Metadata):
        kind = kind.type
    return kind


def _column_problem(column: sa.Column[object], fact: msgspec.inspect.Type) -> str | None:
    """Why `column` cannot hold the fact, or None."""
    if not column.nullable:
        return "is NOT NULL, but an unknown fact is stored as NULL"
    sql = column.type
    if isinstance(sql, sa.TypeDecorator):  # SQLModel's AutoString is a String underneath
        sql = sql.impl_instance
    if isinstance(fact, msgspec.inspect.BoolType):
        return None if isinstance(sql, sa.Boolean) else f"is {sql!r}, not Boolean"
    if isinstance(fact, msgspec.inspect.IntType):
        return None if isinstance(sql, sa.Integer) else f"is {sql!r}, not Integer"
    if isinstance(fact, msgspec.inspect.DateType):
        return None if isinstance(sql, sa.Date) else f"is {sql!r}, not Date"
    if isinstance(fact, msgspec.inspect.StructType):
        return None if isinstance(sql, sa.Text) else f"is {sql!r}, not Text (JSON)"
    if isinstance(fact, msgspec.inspect.EnumType):
        longest = max(len(member.value) for member in fact.cls)
    elif isinstance(fact, msgspec.inspect.StrType):
        longest = 6 if fact.pattern == REGION_CODE_PATTERN else 18
    else:
        return f"holds a fact of a type this test does not know: {fact!r}"
    if not isinstance(sql, sa.String):
        return f"is {sql!r}, not a string"
    if sql.length is not None and sql.length < longest:
        return f"holds {sql.length} characters, the longest value has {longest}"
    return None


@pytest.mark.parametrize(("table", "struct", "stored"), TABLES, ids=["households", "members"])
def test_every_stored_fact_has_its_column(
    table: type[SQLModel], struct: type[msgspec.Struct], stored: tuple[str, ...]
) -> None:
    columns = table.__table__.columns  # type: ignore[attr-defined]
    problems = []
    for name in stored:
        if name not in columns:
            problems.append(f"{table.__tablename__}.{name}: no column for the fact")
            continue
        problem = _column_problem(columns[name], _fact_type(struct, name))
        if problem is not None:
            problems.append(f"{table.__tablename__}.{name}: {problem}")
    extra = set(columns.keys()) - set(stored) - NOT_FACTS[str(table.__tablename__)]
    problems += [f"{table.__tablename__}.{name}: a column that is no fact" for name in extra]
    assert problems == []


def test_the_stored_facts_are_the_structs_fields() -> None:
    # Only the category (stored as the status facts) and the ID number (hashed) are not kept.
    assert set(core.Household.__struct_fields__) - set(HOUSEHOLD_FACTS) == {"category"}
    assert set(core.Person.__struct_fields__) - set(MEMBER_FACTS) == {"id_number"}
    assert {"employment", "education"} == JSON_FACTS


def test_a_row_reads_back_as_the_core_facts() -> None:
    household = Household(
        id="h",
        region_code="140821",
        poverty_alleviated=False,
        monitored=True,
        monitoring_type="edge_vulnerable",
        size=3,
        sudden_hardship_event="illness",
    )
    assert household_facts(household) == core.Household(
        poverty_alleviated=False,
        monitored=True,
        monitoring_type=core.MonitoringType.EDGE_VULNERABLE,
        size=3,
        sudden_hardship_event=core.SuddenHardshipEvent.ILLNESS,
    )
    member = Member(
        id="m",
        household_id="h",
        birth_date=dt.date(1980, 1, 1),
        labor_capacity="weak",
        employment='{"status":"employed","months_continuous":4}',
    )
    assert person_facts(member) == core.Person(
        birth_date=dt.date(1980, 1, 1),
        labor_capacity=core.LaborCapacity.WEAK,
        employment=core.Employment(status=core.EmploymentStatus.EMPLOYED, months_continuous=4),
    )
