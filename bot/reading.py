"""Numbers and yes/no as people type them: "三万块", "3w", "大概9500", "半年", "没有", "还没".

Chinese and mixed numerals go through `cn2an` (the well-kept converter: 四十五, 叁万, 九千五,
3万5); this module handles what is around them: units (元、块、万、千、w、周岁、岁、个月、年、
半年), approximations (大概, 左右), full-width digits, "没有/无" where zero is meaningful.
"半个月" is refused as less than a whole month (never read as 半年).
Anything that could be read two ways ("3个5", "1,5万") or is out of any range ("1.0e999") is
refused with a reason, never guessed and never a crash.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from typing import Final, Literal

import cn2an
import msgspec

Unit = Literal["yuan", "years", "months", "people"]
Refusal = Literal["unreadable", "ambiguous", "too_big", "not_whole", "part_month"]


class Number(msgspec.Struct, frozen=True, kw_only=True):
    """A number read from text; `approximate` when the person said 大概 / 左右 / 多."""

    value: int
    approximate: bool = False


class NotRead(msgspec.Struct, frozen=True, kw_only=True):
    """Why the text could not be read as a number."""

    reason: Refusal


# Words that mean "none" where 0 is a meaningful answer (a balance owed, an income).
ZERO_WORDS: Final = frozenset(
    {"没有", "无", "没", "零", "〇", "没欠", "不欠", "没借", "没有欠", "一分没有", "none", "no"}
)
_APPROX_BEFORE = re.compile(r"^(大概|大约|约莫|约|差不多|将近|接近|估计|可能|应该|大致)")
_APPROX_AFTER = re.compile(r"(左右|上下|来|多|吧|的样子)$")
_UNIT_WORDS: Final[dict[Unit, re.Pattern[str]]] = {
    "yuan": re.compile(r"(块钱|元钱|人民币|块|元|rmb|yuan|钱)$"),
    "years": re.compile(r"(周岁|岁了|岁|years?|yrs?)$"),
    "months": re.compile(r"(个月|月|months?)$"),
    "people": re.compile(r"(口人|个人|口|人|people|persons?)$"),
}
_ARABIC = re.compile(r"^\d+(\.\d+)?$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_SCALED = re.compile(r"^(\d+(?:\.\d+)?)(万|w|千|k|百)$")
_SCALE: Final = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000, "百": 100}
_LIMIT: Final = 10**12  # far above any fact's range: beyond it the text is a slip, not a sum


def read_number(text: str, unit: Unit | None = None, *, zero_ok: bool = False) -> Number | NotRead:
    """The whole number in `text`, in the fact's own unit (months for "半年", "3年").

    `zero_ok`: "没有"/"无" read as 0 (where 0 is a meaningful answer).
    """
    value = unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")
    value = value.rstrip("。.!！~")
    if zero_ok and value in ZERO_WORDS:
        return Number(value=0)
    approximate = False
    for pattern in (_APPROX_BEFORE, _APPROX_AFTER):
        stripped = pattern.sub("", value)
        approximate = approximate or stripped != value
        value = stripped
    said_months = False
    if unit is not None:
        before = value
        value = _UNIT_WORDS[unit].sub("", value)
        said_months = unit == "months" and value != before
        stripped = _APPROX_AFTER.sub("", value)  # "3000多块": the 多 before the unit
        approximate = approximate or stripped != value
        value = stripped
    months_per = 1
    if unit == "months":
        if value == "半年":
            return Number(value=6, approximate=approximate)
        if said_months and (value == "半" or value.endswith("个半")):
            # 半个月, 一个半月: not a whole number of months, and rounding would decide a
            # "满3个月" rule for them; they are asked for the whole months instead.
            return NotRead(reason="part_month")
        if value == "半":
            return NotRead(reason="ambiguous")  # half a year or half a month? ask again
        half = value.endswith("年半")
        if value.endswith(("年半", "年")):
            value = value.removesuffix("半").removesuffix("年")
            months_per = 12
            if half:
                number = _numeral(value)
                if isinstance(number, NotRead):
                    return number
                return _whole(number * 12 + 6, approximate)
    negative = value.startswith(("-", "负", "亏"))
    if negative:
        value = value[1:]
    if not value:
        return NotRead(reason="unreadable")
    number = _numeral(value)
    if isinstance(number, NotRead):
        return number
    return _whole(-number * months_per if negative else number * months_per, approximate)


def _numeral(value: str) -> float | NotRead:
    """Digits, digits with 万/千/w/k, or a Chinese or mixed numeral."""
    if "e" in value or "inf" in value or "nan" in value:
        return NotRead(reason="too_big")  # 1.0e999: nobody types an exponent for a sum
    if "个" in value:
        return NotRead(reason="ambiguous")  # 3个5: 3.5? 35? 3万5? ask again
    if "," in value:
        if not _GROUPED.match(value):
            return NotRead(reason="ambiguous")  # 1,5万: a decimal comma or a slip
        value = value.replace(",", "")
    if len(re.sub(r"\D", "", value)) > 15:
        return NotRead(reason="too_big")
    if _ARABIC.match(value):
        return float(value) if "." in value else int(value)
    scaled = _SCALED.match(value)
    if scaled:
        return float(scaled[1]) * _SCALE[scaled[2]]
    if re.search(r"[a-z]", value):
        return NotRead(reason="unreadable")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            converted = cn2an.cn2an(value, "smart")
    except (ValueError, KeyError, IndexError, TypeError, OverflowError):
        return NotRead(reason="unreadable")
    if not isinstance(converted, int | float):
        return NotRead(reason="unreadable")
    return converted


def _whole(number: float, approximate: bool) -> Number | NotRead:
    if number != number or abs(number) > _LIMIT:
        return NotRead(reason="too_big")
    rounded = round(number)
    if abs(number - rounded) > 1e-9:
        return NotRead(reason="not_whole")
    return Number(value=int(rounded), approximate=approximate)


# Words a person may type instead of pressing 是 / 否 (after full-width folding, lower case).
YES_WORDS: Final = frozenset(
    {
        "是", "是的", "是啊", "对", "对的", "对啊", "有", "有的", "嗯", "嗯嗯", "好", "好的",
        "领了", "领过", "领过了", "已领", "已经领了", "能", "可以", "会", "想", "要", "行",
        "y", "yes", "yeah", "true", "1", "✓", "√",
    }
)  # fmt: skip
NO_WORDS: Final = frozenset(
    {
        "否", "不是", "不", "不对", "没有", "没", "无", "没领", "没领过", "还没", "还没有",
        "还没领", "没呢", "不能", "不会", "不想", "不要", "不用", "不行", "没有的",
        "n", "no", "nope", "false", "0", "×", "x",
    }
)  # fmt: skip


def read_yes_no(text: str) -> bool | None:
    """True for 是 and its synonyms, False for 否 and its synonyms, None otherwise."""
    value = unicodedata.normalize("NFKC", text).strip().lower().rstrip("。.!！~")
    if value in YES_WORDS:
        return True
    if value in NO_WORDS:
        return False
    return None
