"""The fact catalogue: what each fact is called, how it is asked, and its Chinese header."""

from __future__ import annotations

from typing import Literal

import msgspec

from eligibility.text import Text

FactKind = Literal["bool", "int", "enum", "date", "region", "text"]


class Option(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One value of an enum fact and its words."""

    value: str
    zh: str
    en: str


class FactSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one fact is named, typed and asked."""

    path: str
    kind: FactKind
    header_zh: str
    label: Text
    question: Text
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None
    note: Text | None = None
    # Asked through another fact's question: the household status facts are asked with one
    # 户类型 question whose answer gives all of them (see `facts.CATEGORY_STATUS`).
    asked_with: str | None = None


class Definition(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named condition several policies share, read in rules as `def.<name>`.

    One place says who "脱贫户 or a monitored household whose risk remains" is, so the
    programmes that use the same group cannot drift apart.
    """

    text: Text
    test: str


class FactCatalogueFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`facts.toml`: all facts, in the order questions are best asked, and shared definitions."""

    facts: tuple[FactSpec, ...]
    definitions: dict[str, Definition] = {}
