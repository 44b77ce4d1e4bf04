"""Birth dates no applicant can have are refused, naming the field (issue 11, finding 8).

Before, a birth date after as_of gave a negative age and one before 1900 an age over 126,
and both were decided (only a given age over 130 was refused).
"""

from __future__ import annotations

import datetime as dt

import pytest

from eligibility.derive import FactError
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
