"""The core's facts as the tables store them: which columns, and the one mapping both ways.

A household row holds every fact of the core's `Household` but the category (stored as the
status facts it stands for) and the applicant's `region_code`; a member row holds every fact of
the core's `Person` but the ID number (kept as a keyed hash and a mask).  A fact that is a
Struct itself (`employment`, `education`) is one JSON text column.  The columns are named as
the facts, so the services copy them by these names and never field by field;
`tests/db/test_stored_facts.py` fails when a column is missing, extra or of the wrong type.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import msgspec

from db.models import Household, Member
from eligibility import facts as core

HOUSEHOLD_FACTS: tuple[str, ...] = tuple(
    name for name in core.Household.__struct_fields__ if name != "category"
)
MEMBER_FACTS: tuple[str, ...] = tuple(
    name for name in core.Person.__struct_fields__ if name != "id_number"
)


def _struct_fields(struct: type[msgspec.Struct]) -> frozenset[str]:
    """The fields of `struct` whose values are Structs (stored as JSON text)."""
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    found = set()
    for field in info.fields:
        types = field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else ()
        if any(isinstance(t, msgspec.inspect.StructType) for t in types):
            found.add(field.name)
    return frozenset(found)


JSON_FACTS = _struct_fields(core.Person) | _struct_fields(core.Household)


def column_value(value: object) -> object:
    """A fact's value as its column holds it: a Struct as JSON text, an enum as its value."""
    if isinstance(value, msgspec.Struct):
        return msgspec.json.encode(value).decode()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def stored_facts(row: Household | Member) -> dict[str, Any]:
    """The facts a row holds, by the core's field names, JSON columns decoded (`None`:
    unknown)."""
    names = HOUSEHOLD_FACTS if isinstance(row, Household) else MEMBER_FACTS
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(row, name)
        values[name] = msgspec.json.decode(value) if name in JSON_FACTS and value else value
    return values


def store_facts(row: Household | Member, facts: Mapping[str, object]) -> None:
    """Set the row's columns for the facts given (by the core's field names)."""
    for name, value in facts.items():
        setattr(row, name, column_value(value))


def household_facts(row: Household) -> core.Household:
    """The core's `Household` a stored household is decided with."""
    return msgspec.convert(stored_facts(row), core.Household)


def person_facts(row: Member) -> core.Person:
    """The core's `Person` a stored member is decided as (no ID number: only its birth date
    is kept)."""
    return msgspec.convert(stored_facts(row), core.Person)
