"""Birth dates no applicant can have are refused, naming the field (issue 11, finding 8).

Before, a birth date after as_of gave a negative age and one before 1900 an age over 126,
and both were decided (only a given age over 130 was refused).
"""

from __future__ import annotations

import datetime as dt

import pytest

from eligibility.derive import FactError, flatten
from eligibility.determination import determine
from eligibility.facts import Applicant, Person
from eligibility.identity import check_character
from eligibility.programme import PolicySet

AS_OF = dt.date(2024, 6, 1)


def _decide(person: Person, policies: PolicySet, as_of: dt.date = AS_OF) -> None:
    determine(Applicant(region_code="140821", person=person), policies, today=as_of)


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (dt.date(2024, 6, 2), "is after as_of (2024-06-01)"),
        (dt.date(2030, 1, 1), "is after as_of (2024-06-01)"),
        (dt.date(1899, 12, 31), "is before 1900-01-01"),
    ],
)
def test_impossible_birth_dates_are_refused(
    policies: PolicySet, born: dt.date, message: str
) -> None:
    with pytest.raises(FactError) as raised:
        _decide(Person(birth_date=born), policies)
    assert (raised.value.path, raised.value.message) == ("person.birth_date", message)


def test_born_on_as_of_and_on_1900_01_01_are_decided(policies: PolicySet) -> None:
    _decide(Person(birth_date=AS_OF), policies)
    _decide(Person(birth_date=dt.date(1900, 1, 1)), policies, dt.date(2025, 1, 1))


def test_an_id_number_born_after_as_of_is_refused_naming_the_number(policies: PolicySet) -> None:
    first17 = "140821" + "20250101" + "201"
    person = Person(id_number=first17 + check_character(first17))
    with pytest.raises(FactError) as raised:
        _decide(person, policies)
    assert raised.value.path == "person.id_number"
    assert "birth date is after as_of" in raised.value.message


def _id_number(born: str) -> str:
    first17 = f"140821{born}123"
    return first17 + check_character(first17)


@pytest.mark.parametrize(
    ("person", "message"),
    [
        # Review #5: decided as a 40-year-old (microloan eligible) though the number says 84.
        (
            Person(id_number=_id_number("19400101"), age=40),
            "is 40, but the birth date in person.id_number (1940-01-01) gives 84 on as_of "
            "(2024-06-01)",
        ),
        (
            Person(birth_date=dt.date(1980, 1, 1), age=20),
            "is 20, but person.birth_date (1980-01-01) gives 44 on as_of (2024-06-01)",
        ),
        (
            Person(birth_date=dt.date(1980, 1, 1), age=46),
            "is 46, but person.birth_date (1980-01-01) gives 44 on as_of (2024-06-01)",
        ),
    ],
)
def test_an_age_that_is_not_the_birth_dates_is_refused_naming_both(
    policies: PolicySet, person: Person, message: str
) -> None:
    with pytest.raises(FactError) as raised:
        _decide(person, policies)
    assert (raised.value.path, raised.value.message) == ("person.age", message)


@pytest.mark.parametrize("age", [43, 44, 45])
def test_an_age_one_year_off_is_the_same_person_and_the_birth_date_decides(
    policies: PolicySet, age: int
) -> None:
    # A year either way: the age said before a birthday, or as 虚岁 (eligibility.birth).
    person = Person(birth_date=dt.date(1980, 1, 1), age=age)
    facts = flatten(Applicant(region_code="140821", person=person), AS_OF)
    assert facts["person.age"] == 44
