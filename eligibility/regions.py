"""Region codes (GB/T 2260): the one type and the one check every door uses.

A code is a province (`14`), a prefecture (`1408`) or a county (`140821`), written in ASCII
digits only.  Codes are compared by prefix (a caseworker of `1408` sees `140821`) and matched
against policy overrides by prefix, so a code stored as `"140821\\n"` or in full-width digits
(`１４０８２１`) would silently fall outside every scope and every regional amount.  Structured
input (JSON) must therefore be exact; text that people type or registers hold is normalised
first (`normalise_region_code`: NFKC turns full-width digits into ASCII, surrounding
whitespace goes), and anything else, other scripts' digits included, is refused.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec

if TYPE_CHECKING:  # polars is imported where a column form is built: the row path needs none
    import polars as pl

# The shape, without anchors: ASCII digits only (`\d` would admit every script's digits).
REGION_CODE_SHAPE = r"(?:[0-9]{2}|[0-9]{4}|[0-9]{6})"
# Anchored for Python's `re` (msgspec, Litestar) and JSON Schema alike: in Python `$` also
# matches before a final newline, which the look-ahead refuses ("140821\n" is not a code).
REGION_CODE_PATTERN = rf"^{REGION_CODE_SHAPE}$(?!\n)"
REGION_CODE_MESSAGE = "must be a 2, 4 or 6 digit GB/T 2260 code (ASCII digits)"

RegionCode = Annotated[
    str,
    msgspec.Meta(
        pattern=REGION_CODE_PATTERN, description="GB/T 2260 code: 2, 4 or 6 digits, e.g. 140821"
    ),
]

_REGION_CODE = re.compile(REGION_CODE_PATTERN)


RegionLevel = Literal["province", "prefecture", "county"]
# How many leading digits name a region at each level (GB/T 2260).
LEVEL_DIGITS: dict[RegionLevel, int] = {"province": 2, "prefecture": 4, "county": 6}


class RegionCodeError(ValueError):
    """The text is not a 2, 4 or 6 digit region code."""


def is_region_code(text: str) -> bool:
    """Whether `text` is exactly a region code as stored (no normalising)."""
    return _REGION_CODE.match(text) is not None


def normalise_region_code(text: str) -> str:
    """The stored form of a typed or registered code, or `RegionCodeError`.

    Full-width digits become ASCII and surrounding whitespace goes; anything else is refused.
    """
    code = unicodedata.normalize("NFKC", text).strip()
    if not is_region_code(code):
        raise RegionCodeError(REGION_CODE_MESSAGE)
    return code


def region_codes_in(text: pl.Expr) -> pl.Expr:
    """The column form of `is_region_code`, for text already normalised: in polars' (Rust)
    regex `$` is the end of the text, so no look-ahead is needed."""
    return text.str.contains(f"^{REGION_CODE_SHAPE}$")


def region_level(code: str) -> RegionLevel:
    """Whether a (valid) code names a province, a prefecture or a county."""
    return next(level for level, digits in LEVEL_DIGITS.items() if len(code) == digits)


def enclosing(code: str, level: RegionLevel) -> str | None:
    """The code of the region at `level` that `code` lies in (itself if it is that level), or
    None where the code is less precise than that (a province has no county)."""
    digits = LEVEL_DIGITS[level]
    return code[:digits] if len(code) >= digits else None


def enclosing_in(codes: pl.Expr, level: RegionLevel) -> pl.Expr:
    """The column form of `enclosing`: null where a code is less precise than `level`."""
    import polars as pl

    digits = LEVEL_DIGITS[level]
    return pl.when(codes.str.len_chars() >= digits).then(codes.str.slice(0, digits))
