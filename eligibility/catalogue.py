"""The fact catalogue: what each fact is called, how it is asked, and its Chinese header.

The catalogue (`policies/facts.toml`) and the `Applicant` Struct (`eligibility.facts`) are the
two declarations of a fact; everything else is derived from them.  The Structs' bounds are the
catalogue's `min`/`max` (`fact_bounds`), and `tests/eligibility/test_fact_catalogue.py` holds
the catalogue's paths, kinds and options equal to the Structs' fields and types.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Literal

import msgspec

from eligibility.text import Text

FactKind = Literal["bool", "int", "enum", "date", "region", "text"]
# The unit a number is asked in: a typed "3万", "半年" or "45周岁" is read in it.
Unit = Literal["yuan", "years", "months", "people"]
FactValue = bool | int | str
# How a fact can change, which is what a suggestion may ask of it (`eligibility.whatif`):
# `time` moves on by itself with the calendar (age, months of work, the semester), only forwards;
# `choice` is the household's own to change (what a loan is for, applying for a post);
# `decided` is a status someone else decides (monitoring, 学籍, 就业困难人员认定): say who;
# `fixed` cannot be changed by anyone now (the household's past, the ID, the region).
ChangeKind = Literal["time", "choice", "decided", "fixed"]
# How a time fact moves on: a year of age at each birthday, a month of work each calendar
# month, the semester at each semester's start.
Advance = Literal["years", "months", "semesters"]


class Option(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One value of an enum fact and its words."""

    value: str
    zh: str
    en: str


class Becoming(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A value a fact may come to take, in the words of a suggestion (`FactSpec.becomes`)."""

    value: FactValue
    zh: str
    en: str


class FactSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one fact is named, typed and asked."""

    path: str
    kind: FactKind
    # Required: a fact without its class is refused at load (`ChangeKind`).
    change: ChangeKind
    header_zh: str
    label: Text
    question: Text
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None
    note: Text | None = None
    unit: Unit | None = None
    # "没有" / "无" read as 0 (a balance owed, an income), where 0 is a meaningful answer.
    none_is_zero: bool = False
    # Asked only when this rule-language expression holds on the answers so far: the work
    # follow-ups only for someone working, the loan questions only for someone who wants a loan.
    # While it is unknown, the facts it reads are asked first; once they are answered "不清楚",
    # this question is not asked at all.  A determination's `missing` list likewise leaves the
    # fact out while every fact its gate reads is still missing (`plan.missing_facts`).
    ask_when: str | None = None
    # The question when it is asked about the household's child rather than the person.
    child_question: Text | None = None
    # A wish ("想不想贷款"): answered false, these programmes are not checked at all.
    wish_for: tuple[str, ...] = ()
    # Other Chinese headers a register may use for it ("户籍所在地" with county names).
    also_headers: tuple[str, ...] = ()
    # Asked through another fact's question: the household status facts are asked with one
    # 户类型 question whose answer gives all of them (see `facts.CATEGORY_STATUS`).
    asked_with: str | None = None
    # A time fact: how it moves on.  A decided fact: who decides it.
    advances: Advance | None = None
    decided_by: Text | None = None
    # Values never offered as a way in (`eligibility.whatif`), whatever a rule would gain: to
    # stop working, leave school, be unwilling to work or give up a post is not advice a
    # household should get from this service.
    never_suggested: tuple[FactValue, ...] = ()
    # How a suggestion says the fact comes to take a value, where "“休学/保留学籍”从“是”改为
    # “否”" reads as "change your answer": "复学以后".  Said instead of the from-to words, with
    # who decides it after (`decided_by`).
    becomes: tuple[Becoming, ...] = ()

    def __post_init__(self) -> None:
        # msgspec reports a ValueError here as a validation error at this entry.
        if (self.change == "time") != (self.advances is not None):
            raise ValueError(f"{self.path}: `advances` is given for time facts, and only them")
        if (self.change == "decided") != (self.decided_by is not None):
            raise ValueError(f"{self.path}: `decided_by` is given for decided facts, and only them")
        if self.never_suggested and self.change == "fixed":
            raise ValueError(f"{self.path}: `never_suggested` is for facts that can change")
        if self.kind == "enum":
            known = {o.value for o in self.options}
            for value in self.never_suggested:
                if value not in known:
                    raise ValueError(f"{self.path}: `never_suggested` {value!r} is not an option")
        elif self.kind == "bool" and any(not isinstance(v, bool) for v in self.never_suggested):
            raise ValueError(f"{self.path}: `never_suggested` of a yes/no fact is true or false")
        if self.becomes and self.change == "fixed":
            raise ValueError(f"{self.path}: `becomes` is for facts that can change")
        if self.kind == "bool" and any(not isinstance(b.value, bool) for b in self.becomes):
            raise ValueError(f"{self.path}: `becomes` of a yes/no fact is true or false")


class Choice(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A button of a combined question and the facts it sets."""

    label: Text
    sets: dict[str, FactValue] = {}


class TypedAnswer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a typed answer to a combined question fills: `facts` in order, each read as its own
    kind ("3万，3年": an amount, then a term; "浙江": a place of work), plus `sets`."""

    facts: tuple[str, ...]
    sets: dict[str, FactValue] = {}


class QuestionSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One question that answers several facts at once ("都对" to three loan conditions, a
    place of work that also says the person works).  Asked in place of any of its `facts`
    while at least two of them are open; a choice that sets nothing ("不全对") leaves them
    to be asked one by one."""

    id: str
    facts: tuple[str, ...]
    question: Text
    note: Text | None = None
    choices: tuple[Choice, ...] = ()
    typed: TypedAnswer | None = None
    ask_when: str | None = None


class ChildSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Programmes for the household's child: when the person is an adult (`when`), these are
    decided for a child added as a second person, with the household's facts."""

    label: Text
    programmes: tuple[str, ...]
    when: str
    facts: tuple[str, ...]


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
    questions: tuple[QuestionSpec, ...] = ()
    child: ChildSpec | None = None
    definitions: dict[str, Definition] = {}


CATALOGUE_FILE = "facts.toml"


@functools.lru_cache(maxsize=4)
def decoded_catalogue(raw: bytes) -> FactCatalogueFile:
    """`facts.toml`'s bytes decoded (raising what tomllib and msgspec raise on bad input).

    The same bytes are decoded once: the loader (`eligibility.policy`) and the facts Structs'
    bounds (`fact_bounds`, at import) read the bundled catalogue once per process, not twice
    (pure-Python TOML parsing is a noticeable share of a command's start-up)."""
    return msgspec.convert(tomllib.loads(raw.decode("utf-8")), FactCatalogueFile)


@functools.cache
def bundled_catalogue() -> FactCatalogueFile:
    """The catalogue shipped with the package (read once: the core's own policy file)."""
    entry = resources.files("eligibility") / "policies" / CATALOGUE_FILE
    return decoded_catalogue(entry.read_bytes())


def fact_bounds(path: str) -> msgspec.Meta:
    """The bounds of the bundled catalogue's int fact at `path`, as msgspec checks them.

    Every door (the API's schemas, the batch's cells, the bot's answers) then refuses the same
    numbers; a fact without both bounds is an error here, at import, naming the fact.
    """
    spec = next((s for s in bundled_catalogue().facts if s.path == path), None)
    if spec is None or spec.kind != "int" or spec.min is None or spec.max is None:
        raise LookupError(f"{CATALOGUE_FILE}: {path} is not an int fact with min and max")
    return msgspec.Meta(ge=spec.min, le=spec.max)
