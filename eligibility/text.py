"""Bilingual wording: every sentence a household or caseworker reads exists in zh and en."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Literal

import msgspec

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


class Text(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One sentence in Chinese (written first) and English."""

    zh: str
    en: str

    def in_(self, lang: Lang) -> str:
        """The sentence in `lang`."""
        return self.zh if lang == "zh" else self.en

    def placeholders(self) -> frozenset[str]:
        """The `{name}` placeholders of both languages."""
        return frozenset(
            name
            for template in (self.zh, self.en)
            for _, name, _, _ in string.Formatter().parse(template)
            if name
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
