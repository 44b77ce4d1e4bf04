"""A fact is declared twice, in `facts.toml` and in the `Applicant` Struct: these tests hold
the two equal, so neither can gain, lose or retype a fact alone (issue 10, "facts declared
once").  Each failure names the fact."""

from __future__ import annotations

import datetime as dt
import re

import msgspec
import pytest
from hypothesis import given, settings

from eligibility.catalogue import FactKind, FactSpec, bundled_catalogue, fact_bounds
from eligibility.facts import (
    Applicant,
    Person,
    _builtin_paths,
    applicant_from_paths,
    applicant_paths,
    fact_types,
)
from eligibility.programme import PolicySet
from eligibility.regions import REGION_CODE_PATTERN

from .strategies import applicants

SPECS = {spec.path: spec for spec in bundled_catalogue().facts}
TYPES = fact_types()


def kind_of(info: msgspec.inspect.Type) -> FactKind:
    """The catalogue kind a Struct field's type stands for."""
    if isinstance(info, msgspec.inspect.BoolType):
        return "bool"
    if isinstance(info, msgspec.inspect.IntType):
        return "int"
    if isinstance(info, msgspec.inspect.EnumType):
        return "enum"
    if isinstance(info, msgspec.inspect.DateType):
        return "date"
    if isinstance(info, msgspec.inspect.StrType):
        return "region" if info.pattern == REGION_CODE_PATTERN else "text"
    raise AssertionError(f"no catalogue kind for {info!r}")


def test_every_applicant_fact_is_in_the_catalogue_and_back() -> None:
    missing = [path for path in TYPES if path not in SPECS]
    assert missing == [], f"Applicant facts with no [[facts]] entry in facts.toml: {missing}"
    unknown = [path for path in SPECS if path not in TYPES]
    assert unknown == [], f"facts.toml entries that are no Applicant field: {unknown}"


@pytest.mark.parametrize("path", list(SPECS))
def test_the_catalogue_kind_is_the_field_type(path: str) -> None:
    spec, info = SPECS[path], TYPES[path]
    assert spec.kind == kind_of(info), (
        f"{path}: facts.toml says kind {spec.kind!r}, the Applicant field is {kind_of(info)!r}"
    )
    if isinstance(info, msgspec.inspect.EnumType):
        values = [member.value for member in info.cls]
        options = [option.value for option in spec.options]
        assert sorted(options) == sorted(values), (
            f"{path}: facts.toml options {options} are not the values of {info.cls.__name__} "
            f"{values}"
        )
    else:
        assert spec.options == (), f"{path}: only an enum fact has options"
    if isinstance(info, msgspec.inspect.IntType):
        assert (spec.min, spec.max) == (info.ge, info.le), (
            f"{path}: facts.toml bounds {spec.min}..{spec.max} are not the field's "
            f"{info.ge}..{info.le} (give the field `Annotated[int, fact_bounds({path!r})]`)"
        )
    else:
        assert (spec.min, spec.max) == (None, None), f"{path}: only an int fact has bounds"


def test_every_number_fact_has_both_bounds() -> None:
    # An unbounded number is refused by no door: a typo of 10,000 household members would pass.
    for path, spec in SPECS.items():
        if spec.kind == "int":
            assert fact_bounds(path) == msgspec.Meta(ge=spec.min, le=spec.max), path


def test_the_loaded_catalogue_is_the_bundled_one(policies: PolicySet) -> None:
    # The Structs' bounds come from the file the package ships; so does the loaded policy set.
    assert list(policies.facts.values()) == list(SPECS.values())


def _example(spec: FactSpec) -> object:
    examples: dict[str, object] = {
        "bool": True,
        "date": "2024-05-01",
        "region": "140821",
        "text": "14082119800101001X",
    }
    if spec.kind == "enum":
        return spec.options[-1].value
    if spec.kind == "int":
        assert spec.max is not None
        return spec.max
    return examples[spec.kind]


def test_flat_paths_and_the_applicant_are_one_pair() -> None:
    # Every catalogue fact at once (the status facts in the shape a category implies, and the
    # birth date the ID number gives), through `applicant_from_paths` and back.
    facts = {path: _example(spec) for path, spec in SPECS.items()}
    facts.update(
        {
            "household.category": "ordinary",
            "household.poverty_alleviated": False,
            "household.monitored": False,
            "household.monitoring_type": None,
            "person.birth_date": "1980-01-01",
        }
    )
    known = {path: value for path, value in facts.items() if value is not None}
    assert applicant_paths(applicant_from_paths(facts)) == known


@settings(max_examples=300, deadline=None)
@given(raw=applicants())
def test_the_generated_reader_gives_what_to_builtins_gives(raw: dict[str, object]) -> None:
    """`applicant_paths` runs as code generated from the struct's fields; it gives the same
    paths, values, value types and order as `msgspec.to_builtins` walked."""
    applicant = msgspec.convert(raw, Applicant)
    found, expected = applicant_paths(applicant), _builtin_paths(applicant)
    assert list(found.items()) == list(expected.items())
    assert [type(v) for v in found.values()] == [type(v) for v in expected.values()]


def test_a_struct_built_in_python_with_plain_values_reads_as_to_builtins_reads_it() -> None:
    # Built without validation: an enum fact as its text, a date as a date, a nested dict.
    person = Person(labor_capacity="full", birth_date=dt.date(1980, 2, 1))  # type: ignore[arg-type]
    applicant = Applicant(as_of=dt.date(2025, 3, 1), person=person)
    assert applicant_paths(applicant) == _builtin_paths(applicant)
    assert applicant_paths(applicant)["person.labor_capacity"] == "full"
    assert applicant_paths(applicant)["person.birth_date"] == "1980-02-01"
    odd = Applicant(person={"age": 40})  # type: ignore[arg-type]
    assert applicant_paths(odd) == _builtin_paths(odd) == {"person.age": 40}


def test_option_words_address_the_household_not_speak_for_it(policies: PolicySet) -> None:
    # An option's words are shown as a button and inside replies to "you": "Place of work: In
    # my county" read as the tool speaking of itself (`same_county`, the review of 2026-12-03).
    first_person = re.compile(r"\b(my|I|me|mine)\b")
    said = [
        (spec.path, option.en)
        for spec in policies.facts.values()
        for option in spec.options
        if first_person.search(option.en)
    ]
    assert said == []
