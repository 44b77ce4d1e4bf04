"""GB 11643-1999 resident identity numbers: check digit, birth date, masking, derived age."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from eligibility.derive import age_on, flatten
from eligibility.facts import Applicant, decode_applicant
from eligibility.identity import (
    IdentityNumberError,
    check_character,
    mask_identity_number,
    parse_identity_number,
)


def make_id(region: str, birth: str, sequence: str = "123") -> str:
    first17 = region + birth + sequence
    return first17 + check_character(first17)


def test_known_public_example_checks() -> None:
    # The worked example of GB 11643-1999 Appendix: 11010519491231002X.
    parsed = parse_identity_number("11010519491231002x")
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.region_code == "110105"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("11010519491231002", "17 digits"),
        ("1101051949123100AX", "17 digits"),
        ("110105194902300021", "impossible birth date"),
        ("110105194912310021", "check digit"),
    ],
)
def test_malformed_numbers_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(IdentityNumberError, match=message):
        parse_identity_number(text)


def test_mask_keeps_four_and_four() -> None:
    assert mask_identity_number("51012119800101123X") == "5101**********123X"


def test_mask_of_short_text_shows_nothing() -> None:
    # A register may hold a truncated number; four and four of eight would be all of it.
    assert mask_identity_number("51012119") == "********"
    assert mask_identity_number("123") == "***"
    assert mask_identity_number("510121198") == "5101*1198"


def test_decoding_a_bad_id_number_names_the_field() -> None:
    with pytest.raises(msgspec.ValidationError, match="id_number"):
        decode_applicant(b'{"person": {"id_number": "510121198001011230"}}')


def test_birth_date_must_agree_with_the_id_number() -> None:
    number = make_id("510121", "19800101")
    with pytest.raises(msgspec.ValidationError, match="birth_date"):
        decode_applicant(
            msgspec.json.encode({"person": {"id_number": number, "birth_date": "1980-01-02"}})
        )


def test_age_comes_from_the_id_number_at_as_of() -> None:
    number = make_id("510121", "20060601")
    applicant = msgspec.convert({"person": {"id_number": number}}, Applicant)
    assert flatten(applicant, dt.date(2024, 5, 31))["person.age"] == 17
    assert flatten(applicant, dt.date(2024, 6, 1))["person.age"] == 18


def test_the_id_number_itself_never_reaches_the_rules() -> None:
    number = make_id("510121", "19800101")
    applicant = msgspec.convert({"person": {"id_number": number}}, Applicant)
    facts = flatten(applicant, dt.date(2024, 1, 1))
    assert number not in msgspec.json.encode(facts).decode()
    assert facts["person.birth_date"] == "1980-01-01"


def test_given_age_wins_over_birth_date() -> None:
    applicant = msgspec.convert({"person": {"age": 30, "birth_date": "1980-01-01"}}, Applicant)
    assert flatten(applicant, dt.date(2024, 1, 1))["person.age"] == 30


def test_leap_day_birthdays() -> None:
    assert age_on(dt.date(2004, 2, 29), dt.date(2022, 2, 28)) == 17
    assert age_on(dt.date(2004, 2, 29), dt.date(2022, 3, 1)) == 18
