"""Bilingual wording: every sentence a household or caseworker reads exists in zh and en."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Literal

import msgspec

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

# A yes-or-no value as a reader says it (a boolean fact's or parameter's value), no first.
YES_NO: dict[Lang, tuple[str, str]] = {"zh": ("否", "是"), "en": ("no", "yes")}
# The words of a number's unit (`eligibility.catalogue.Unit`): "3个月", "3 months".
UNIT_WORDS: dict[str, dict[Lang, str]] = {
    "months": {"zh": "个月", "en": "months"},
    "years": {"zh": "周岁", "en": "years"},
    "yuan": {"zh": "元", "en": "yuan"},
    "people": {"zh": "人", "en": "people"},
}


# A parameter's unit as the policy files write it (in Chinese, as the documents do), in English:
# a diff or a listing in English says "65 years", not "65 周岁".
PARAMETER_UNITS_EN: dict[str, str] = {
    "元": "yuan",
    "月": "months",
    "个月": "months",
    "周岁": "years",
    "%": "%",
    "元/人/年": "yuan per person per year",
    "元/学年": "yuan per school year",
    "元/学期": "yuan per semester",
    "元/月": "yuan per month",
    **{unit: words["en"] for unit, words in UNIT_WORDS.items()},
}


# ... and in Chinese as a reader says it with a number ("36个月", not "36月").
PARAMETER_UNITS_ZH: dict[str, str] = {
    "月": "个月",
    **{unit: words["zh"] for unit, words in UNIT_WORDS.items()},
}


def with_parameter_unit(value: object, unit: str | None, lang: Lang) -> str:
    """A parameter's value with its unit ("65周岁", "65 years", "70%"); bare without one."""
    if unit is None:
        return str(value)
    if lang == "zh":
        return f"{value}{PARAMETER_UNITS_ZH.get(unit, unit)}"
    words = PARAMETER_UNITS_EN.get(unit, unit)
    return f"{value}{words}" if words == "%" else f"{value} {words}"


def yes_no(value: bool, lang: Lang) -> str:
    """是/否, yes/no."""
    return YES_NO[lang][value]


def with_unit(number: int, unit: str | None, lang: Lang) -> str:
    """A number with its unit's words ("3个月", "3 months", "1 month"); bare without a unit."""
    if unit is None:
        return str(number)
    words = UNIT_WORDS[unit][lang]
    if lang == "zh":
        return f"{number}{words}"
    if number == 1 and words.endswith("s"):
        words = words[:-1]
    return f"{number} {words}"


def date_words(day: dt.date, lang: Lang) -> str:
    """A day as a reader says it: "2027年1月5日"; in English the ISO date, "2027-01-05"."""
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()


class Text(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One sentence in Chinese (written first) and English."""

    zh: str
    en: str

    def in_(self, lang: Lang) -> str:
        """The sentence in `lang`."""
        return self.zh if lang == "zh" else self.en

    def placeholders(self) -> frozenset[str]:
        """The `{name}` placeholders of both languages, as `fill` reads them."""
        return frozenset(
            m[1] for template in (self.zh, self.en) for m in _PLACEHOLDER.finditer(template)
        )

    def stray_braces(self) -> bool:
        """Whether a brace stands outside a `{name}` placeholder (`{}`, `{x:d}`, `{{x}}`): `fill`
        would leave it, braces and all, for a reader."""
        return any(
            "{" in rest or "}" in rest
            for rest in (_PLACEHOLDER.sub("", t) for t in (self.zh, self.en))
        )

    def format(self, values: Mapping[str, object]) -> Text:
        """Fill `{name}` placeholders (parameters) in both languages."""
        return Text(zh=fill(self.zh, values), en=fill(self.en, values))


_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def fill(template: str, values: Mapping[str, object]) -> str:
    # A placeholder is `{name}`: a parameter, or a dotted fact path (`{person.age}`), which
    # `str.format` would read as an attribute.  Names without a value are left as they are.
    def one(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            return match[0]
        return str(_show(values[name]))

    return _PLACEHOLDER.sub(one, template)


def _show(value: object) -> object:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value
