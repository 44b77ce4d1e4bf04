"""Numbers and yes/no as people type them (#12): every form the issue lists, read or refused.

Each row is what a household typed at a question in that unit, and the value kept (or why it is
refused: never guessed, never a crash)."""

from __future__ import annotations

import pytest

from bot.reading import NotRead, Number, read_number, read_yes_no

READ = [
    # text, unit, zero_ok, value, approximate
    ("四十五", "years", False, 45, False),
    ("45周岁", "years", False, 45, False),
    ("45岁", "years", False, 45, False),
    ("４５", "years", False, 45, False),  # full-width digits
    ("三万", "yuan", False, 30000, False),
    ("三万块", "yuan", False, 30000, False),
    ("3万块钱", "yuan", False, 30000, False),
    ("叁万", "yuan", False, 30000, False),
    ("3w", "yuan", False, 30000, False),
    ("3W", "yuan", False, 30000, False),
    ("九千五", "yuan", False, 9500, False),
    ("三万五", "yuan", False, 35000, False),
    ("3万5", "yuan", False, 35000, False),
    ("1.5万", "yuan", False, 15000, False),
    ("12,000元", "yuan", False, 12000, False),
    ("3千", "yuan", False, 3000, False),
    ("两千五", "yuan", False, 2500, False),
    ("大概9500", "yuan", False, 9500, True),
    ("9500左右", "yuan", False, 9500, True),
    ("大约三千块", "yuan", False, 3000, True),
    ("3000多块", "yuan", False, 3000, True),
    ("-500", "yuan", False, -500, False),
    ("负500", "yuan", False, -500, False),
    ("没有", "yuan", True, 0, False),  # "没有就填 0"
    ("无", "yuan", True, 0, False),
    ("0", "yuan", True, 0, False),
    ("半年", "months", False, 6, False),
    ("六个月", "months", False, 6, False),
    ("6个月", "months", False, 6, False),
    ("3年", "months", False, 36, False),  # a loan term
    ("两年", "months", False, 24, False),
    ("一年半", "months", False, 18, False),
    ("5口人", "people", False, 5, False),
    ("五口", "people", False, 5, False),
]

REFUSED = [
    ("3个5", "yuan", "ambiguous"),  # was silently read as 35
    ("1,5万", "yuan", "ambiguous"),  # was read as 150000
    ("1.0e999", "yuan", "too_big"),  # was an OverflowError: the user saw 出了点问题
    ("1e5", "yuan", "too_big"),
    ("inf", "yuan", "too_big"),
    ("99999999999999999999", "yuan", "too_big"),
    ("4.5", "months", "not_whole"),
    # Half a month is not 半年 (review #4: "半个月" was read as 6 and met a "满3个月" rule).
    ("半个月", "months", "part_month"),
    ("半月", "months", "part_month"),
    ("一个半月", "months", "part_month"),
    ("半", "months", "ambiguous"),  # half a year or half a month
    ("abc", "years", "unreadable"),
    ("很多", "yuan", "unreadable"),
    ("", "years", "unreadable"),
    ("没有", "years", "unreadable"),  # no age is "none"
]


@pytest.mark.parametrize(("text", "unit", "zero_ok", "value", "approximate"), READ)
def test_read(text: str, unit: str, zero_ok: bool, value: int, approximate: bool) -> None:
    assert read_number(text, unit, zero_ok=zero_ok) == Number(  # type: ignore[arg-type]
        value=value, approximate=approximate
    )


@pytest.mark.parametrize(("text", "unit", "reason"), REFUSED)
def test_refused(text: str, unit: str, reason: str) -> None:
    assert read_number(text, unit) == NotRead(reason=reason)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("是", True),
        ("是的", True),
        ("对的", True),
        ("对", True),
        ("有", True),
        ("嗯", True),
        ("领了", True),
        ("Yes", True),
        ("否", False),
        ("没有", False),
        ("没领", False),
        ("还没", False),
        ("还没有", False),
        ("不是", False),
        ("没", False),
        ("no", False),
        ("也许", None),
        ("可能吧", None),
    ],
)
def test_yes_no(text: str, value: bool | None) -> None:
    assert read_yes_no(text) is value
