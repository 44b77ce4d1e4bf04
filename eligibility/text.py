"""Bilingual wording: every sentence a household or caseworker reads exists in zh and en."""

from __future__ import annotations

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
        return Text(zh=_fill(self.zh, values), en=_fill(self.en, values))


class _Placeholders(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: Mapping[str, object]) -> str:
    shown = _Placeholders({k: _show(v) for k, v in values.items()})
    return template.format_map(shown)


def _show(value: object) -> object:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value
