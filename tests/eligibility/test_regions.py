"""Region codes (GB/T 2260): one type for structured input, one normaliser for typed text.

Issue 11 (finding 7): `"140821\\n"`, full-width and other scripts' digits used to pass the
pattern (`\\d` and `$` in Python's `re`), so a household could be stored where no caseworker's
prefix finds it, and a check lost its regional amount.
"""

from __future__ import annotations

import msgspec
import pytest

from eligibility.facts import Applicant
from eligibility.regions import RegionCodeError, is_region_code, normalise_region_code

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
