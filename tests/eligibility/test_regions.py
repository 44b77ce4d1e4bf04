"""Region codes (GB/T 2260): one type for structured input, one normaliser for typed text.

Issue 11 (finding 7): `"140821\\n"`, full-width and other scripts' digits used to pass the
pattern (`\\d` and `$` in Python's `re`), so a household could be stored where no caseworker's
prefix finds it, and a check lost its regional amount.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from eligibility.derive import WORK_REGION, FactError, flatten
from eligibility.facts import Applicant
from eligibility.regions import (
    RegionCodeError,
    is_known_region_code,
    is_region_code,
    normalise_region_code,
)

NOT_CODES = [
    "140821\n",
    "１４０８２１",  # full-width
    "١٤٠٨٢١",  # Arabic-Indic
    "१४०८२१",  # Devanagari
    " 140821",
    "14082",
    "1408211",
    "",
]


@pytest.mark.parametrize("code", NOT_CODES)
def test_structured_input_takes_ascii_codes_only(code: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=r"at `\$\.region_code`"):
        msgspec.convert({"region_code": code}, Applicant)
    with pytest.raises(
        msgspec.ValidationError, match=r"at `\$\.person\.employment\.work_region_code`"
    ):
        msgspec.convert({"person": {"employment": {"work_region_code": code}}}, Applicant)
    assert not is_region_code(code)


@pytest.mark.parametrize("code", ["14", "1408", "140821"])
def test_codes_pass_as_they_are(code: str) -> None:
    assert msgspec.convert({"region_code": code}, Applicant).region_code == code
    assert normalise_region_code(code) == code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("１４０８２１", "140821"), (" 140821\n", "140821"), ("\u3000１４０８ ", "1408")],
)
def test_typed_codes_are_normalised(typed: str, stored: str) -> None:
    assert normalise_region_code(typed) == stored


@pytest.mark.parametrize("typed", ["١٤٠٨٢١", "१४०८२१", "14082", "14 08 21", "abc"])
def test_typed_codes_in_other_digits_or_lengths_are_refused(typed: str) -> None:
    with pytest.raises(RegionCodeError, match="2, 4 or 6 digit"):
        normalise_region_code(typed)


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("140821", True),
        ("1408", True),
        ("14", True),
        ("1101", True),  # 北京市市辖区: no entry of its own in the data set, counties under it
        ("4290", True),  # 湖北省直辖县级行政区划 (仙桃 429004)
        ("340000", True),  # the 6-digit forms GB/T 2260 writes provinces and prefectures in
        ("440300", True),
        ("999999", False),
        ("000000", False),
        ("99", False),
        ("330104", False),  # 杭州江干区, merged in 2021: retired codes are refused, not mapped
    ],
)
def test_a_code_must_name_a_region_that_exists_today(code: str, known: bool) -> None:
    # Review #6: every door but the bot took 999999 and decided it under the national rules.
    assert is_known_region_code(code) is known
    applicant = msgspec.convert({"region_code": code, "as_of": "2026-12-01"}, Applicant)
    work = msgspec.convert(
        {"region_code": "140821", "person": {"employment": {"work_region_code": code}}}, Applicant
    )
    for decided, path in ((applicant, "region_code"), (work, WORK_REGION)):
        if known:
            flatten(decided, dt.date(2026, 12, 1))
        else:
            with pytest.raises(FactError, match="not a region code in use today") as raised:
                flatten(decided, dt.date(2026, 12, 1))
            assert raised.value.path == path
