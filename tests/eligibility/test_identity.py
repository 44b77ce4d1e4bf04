"""GB 11643-1999 resident identity numbers: check digit, birth date, masking, derived age."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import given, settings

from eligibility.derive import age_on, flatten
from eligibility.facts import Applicant, decode_applicant
from eligibility.identity import (
    IdentityNumberError,
    check_character,
    mask_identity_number,
    normalise_identity_text,
    parse_identity_number,
)
from tests.eligibility.identity_views import MIN_CANDIDATES, candidates, identity_numbers


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


def test_mask_shows_only_the_first_four() -> None:
    # Issue 11 (finding 2): the last four (sequence and check character) shown beside the birth
    # date left at most 9 numbers; the mask used to be "5101**********123X".
    assert mask_identity_number("51012119800101123X") == "5101**************"


def test_mask_of_short_text_shows_nothing() -> None:
    # A register may hold a truncated number: eight characters or fewer show nothing.
    assert mask_identity_number("51012119") == "********"
    assert mask_identity_number("123") == "***"
    assert mask_identity_number("510121198") == "5101*****"


@settings(max_examples=200, deadline=None)
@given(identity_numbers())
def test_mask_birth_date_and_region_leave_at_least_1000_numbers(number: str) -> None:
    # Issue 11 (finding 2): everything a caller is shown of a member (the mask, the birth date
    # the number gives, the household's region) must leave >= 1,000 valid numbers.
    identity = parse_identity_number(number)
    shown = mask_identity_number(number)
    left = candidates(shown, region_code=identity.region_code, birth_date=identity.birth_date)
    assert left >= MIN_CANDIDATES
    assert number[6:] not in shown and identity.birth_date.strftime("%Y%m%d") not in shown


def test_the_old_mask_would_have_left_one() -> None:
    # The counter itself: with the last four shown beside the birth date (the old mask,
    # "1408**********2014"), the view rebuilds the number.
    def old_mask(text: str) -> str:
        return text[:4] + "*" * 10 + text[-4:]

    number = make_id("140821", "19890512", "201")
    left = candidates(
        old_mask(number), region_code="140821", birth_date=dt.date(1989, 5, 12), mask=old_mask
    )
    assert left == 1


# Issue 11 (finding 3): full-width digits and X are the same number as ASCII ones.
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９ｘ")


def test_full_width_numbers_are_normalised_before_checking() -> None:
    number = make_id("140821", "19890512", "201")
    wide = " " + number.translate(FULL_WIDTH) + "\u3000"
    assert parse_identity_number(wide).number == number
    assert normalise_identity_text(wide) == number
    assert mask_identity_number(wide) == mask_identity_number(number)


def test_full_width_x_check_character() -> None:
    parsed = parse_identity_number("１１０１０５１９４９１２３１００２ｘ")
    assert parsed.number == "11010519491231002X"


def test_other_scripts_digits_are_refused() -> None:
    # NFKC leaves Arabic-Indic digits as they are; int() would read them, the shape must not.
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    with pytest.raises(IdentityNumberError, match="17 digits"):
        parse_identity_number("11010519491231002X".translate(arabic))


def test_a_person_decoded_with_full_width_digits_keeps_the_ascii_number() -> None:
    number = make_id("140821", "19890512", "201")
    applicant = msgspec.convert({"person": {"id_number": number.translate(FULL_WIDTH)}}, Applicant)
    assert applicant.person is not None and applicant.person.id_number == number


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


def test_the_birth_date_decides_over_an_age_given_with_it() -> None:
    # Review #5: a given age of 30 won over a 1980 birth date (44 on 2024-01-01); an age more
    # than a year off is now refused (tests/eligibility/test_birth_dates.py), one within it
    # gives way to the birth date.
    applicant = msgspec.convert({"person": {"age": 43, "birth_date": "1980-01-01"}}, Applicant)
    assert flatten(applicant, dt.date(2024, 1, 1))["person.age"] == 44


def test_leap_day_birthdays() -> None:
    assert age_on(dt.date(2004, 2, 29), dt.date(2022, 2, 28)) == 17
    assert age_on(dt.date(2004, 2, 29), dt.date(2022, 3, 1)) == 18
