"""Decision plans: a programme resolved once per parameter profile, then decided per applicant.

A programme's answer depends on the region and the date only through its *parameter profile*
(`Profiles`): which of the programme's regions the region code falls under, which of its dates
the day is on or after, and the year (warnings name it).  A `ProgrammePlan` holds everything
that follows from the profile alone: the parameter variants, every criterion's rule with them
folded in and its wording per outcome, the amount rules with their notes, the next steps and
documents shown there, the warnings, the names and labels, the sources in force.  Deciding an
applicant runs the plan's generated code (`decision_function`, written by `rules.Emitter`; the
plans of one region and date together as one function, `plans_function`) into the `Key` of its
`Signature` and takes the answer assembled once per key, from parts kept by what each depends
on (`Template`); it looks up no parameter and formats no text but the applicant's own values.
`outcomes_function` and `choices_function` give the same signature and choices from the same
generated code, for the suggestions (`eligibility.whatif`).

The decision semantics are written here once: `criterion_outcome` (a criterion's outcome over
the parameter variants), `verdict_of`, `weighs_amount`/`settle_amount`/`choose_amount` (which
amount stands), `missing_facts`/`rank_missing` (the facts still worth asking, best first) and
the reasons (`CriterionPlan.result`).  The row back-end (`Plans.decide_under`) and the columnar
back-end (`eligibility.columnar`, which evaluates the same rules over whole registers in polars
and decodes each distinct outcome pattern with these functions) both call them.  The two rules
over an applicant's facts, a criterion's code under one variant and which amount rule decides,
are written once as data (`criterion_ladder`, `amount_ladder`: ordered `Rung`s), which each
back-end translates mechanically at build time (`_ladder_code` here, `columnar._ladder`).
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from types import CodeType
from typing import Any, Generic, Literal, TypeVar, cast

import msgspec
from msgspec.structs import replace

from eligibility import rules
from eligibility.answer import CriterionResult, Determination, MissingFact
from eligibility.derive import askable
from eligibility.policy_file import TO_CONFIRM, KeyDate, ParamValue, Step, Verdict
from eligibility.programme import (
    AMOUNT_NOT_SET,
    NOT_IN_FORCE,
    NOT_IN_FORCE_CRITERION,
    NOT_IN_FORCE_LABEL,
    CompiledCriterion,
    CompiledStep,
    PolicySet,
    Programme,
)
from eligibility.sources import amount_sources, criterion_sources, ids_of
from eligibility.text import LANGS, Lang, Text, fill
from eligibility.windows import season_day, season_of, season_turns, window_step

Outcome = Literal["met", "not_met", "unknown"]
Params = Mapping[str, object]

# A criterion's outcome as a small integer: what both back-ends compute per applicant or row.
# SKIPPED: the criterion does not apply (its `applies_when` is false, or the parameters it reads
# are not set there); it is left out of the answer.
SKIPPED, MET, NOT_MET, UNKNOWN = 0, 1, 2, 3
# An `applies_when` folded to false under a variant's parameters: the criterion is not applied.
_NEVER = rules.Const(False)
OUTCOME_NAMES: dict[int, Outcome] = {MET: "met", NOT_MET: "not_met", UNKNOWN: "unknown"}
REGION = "region_code"
_REGION_HINGE = frozenset((REGION,))
_NOTHING: frozenset[str] = frozenset()
_NO_PARAMS: Params = {}

# How a verdict reads unless the programme words it itself (`verdict_labels` in its policy).
VERDICT_LABELS: dict[Verdict, dict[Lang, str]] = {
    "eligible": {"zh": "能办", "en": "You can apply"},
    "ineligible": {"zh": "不能办", "en": "Not eligible"},
    "needs_info": {"zh": "还要确认", "en": "Still to confirm"},
}

OUTCOME_PREFIX: dict[Outcome, dict[Lang, str]] = {
    "met": {"zh": "符合：", "en": "Met: "},
    "not_met": {"zh": "不符合：", "en": "Not met: "},
    "unknown": {"zh": "待确认：", "en": "To confirm: "},
}


# ---------------------------------------------------------------------------------------------
# The decision semantics


def criterion_outcome(raw: Sequence[int]) -> tuple[int, bool]:
    """A criterion's outcome from its outcome under each parameter variant, and whether the
    variants disagree (then the region decides: the outcome is unknown and hinges on it).

    A variant that does not apply the criterion counts as met; the criterion is SKIPPED only
    when no variant applies it.
    """
    seen = set(raw)
    if len(seen) == 1:  # one variant, or all agree (all SKIPPED: SKIPPED)
        return raw[0], False
    if SKIPPED in seen:
        seen.discard(SKIPPED)
        seen.add(MET)
        if len(seen) == 1:
            return MET, False
    return UNKNOWN, True


def verdict_tests(outcomes: str) -> tuple[tuple[str | None, Verdict], ...]:
    """The verdict of the tuple of codes named `outcomes`, as generated Python: `ineligible` as
    soon as one criterion is not met, else `needs_info` while one is unknown, else `eligible`.
    Each verdict in turn with the test that gives it, the last one's None (otherwise).  The one
    statement of the rule: the plans test it inline (every decision makes one per plan), and
    `verdict_of` is it compiled."""
    return (
        (f"{NOT_MET} in {outcomes}", "ineligible"),
        (f"{UNKNOWN} in {outcomes}", "needs_info"),
        (None, "eligible"),
    )


def verdict_code(outcomes: str) -> str:
    """`verdict_tests` as one expression."""
    found = ""
    for test, verdict in verdict_tests(outcomes):
        found += repr(verdict) if test is None else f"{verdict!r} if {test} else "
    return f"({found})"


def _verdict_function() -> Callable[[Sequence[int]], Verdict]:
    namespace: dict[str, object] = {}
    exec(f"def verdict_of(outcomes):\n    return {verdict_code('outcomes')}\n", namespace)
    return cast(Callable[[Sequence[int]], Verdict], namespace["verdict_of"])


# The verdict of a sequence of outcome codes (`verdict_tests`), for those holding one.
verdict_of = _verdict_function()


# An amount under one variant: (the rule that decided it, or None; the amount, or None; the facts
# it hinges on), as `amount_ladder` gives it.
Choice = tuple[int | None, int | None, frozenset[str]]


def weighs_amount(verdict: Verdict) -> bool:
    """Whether an answer has an amount at all: not once a criterion is not met."""
    return verdict != "ineligible"


def asks_hinges(verdict: Verdict) -> bool:
    """Whether the facts the unknown criteria hinge on are asked: only while the verdict
    needs them (`needs_info`); an answer that is settled asks only what its amount waits on."""
    return verdict == "needs_info"


def settle_amount(
    agree: Sequence[bool], hinges: Iterable[frozenset[str]]
) -> tuple[bool, frozenset[str]]:
    """Whether the amount under the region's own variant stands, given whether each other
    variant's amount equals it (`agree`), and the facts the amount hinges on: those of every
    variant, and the region when a variant disagrees (then the region decides)."""
    union = _NOTHING.union(*hinges)
    if all(agree):
        return True, union
    return False, union | _REGION_HINGE


def choose_amount(choices: Sequence[Choice]) -> tuple[int | None, frozenset[str], bool]:
    """The amount under the region's own variant (the first), unless another variant gives a
    different one (`settle_amount`).  Returns the amount, the facts it hinges on under any
    variant, and whether the variants disagree."""
    own = choices[0][1]
    stands, hinges = settle_amount(
        [other == own for _, other, _ in choices[1:]], (h for _, _, h in choices)
    )
    return (own if stands else None), hinges, not stands


def rank_missing(hinges: Mapping[str, int], policies: PolicySet) -> list[str]:
    """The facts still worth asking, best first: a fact that several open criteria hinge on,
    then the catalogue's asking order.  Derived facts are asked as what they come from."""
    asked = askable(hinges, policies.facts)
    return sorted(asked, key=lambda path: (-asked[path], policies.fact_rank(path)))


def missing_facts(
    verdict: Verdict,
    hinges: Iterable[frozenset[str] | None],
    amount_hinges: Iterable[str],
    policies: PolicySet,
) -> tuple[list[str], list[str]]:
    """The facts still worth asking for the verdict (only while it `needs_info`: those the
    unknown criteria hinge on, ranked by `rank_missing`), and then those only the amount waits
    on (ranked the same way, none asked already).

    A fact asked only when its `ask_when` holds is left out while every fact that gate reads is
    itself still missing (`PolicySet.asked_after`): the school's three follow-ups wait until the
    level says it is a vocational school, the job's until the status says the person works.
    Their criteria stay unknown; only the asking waits."""
    counts: dict[str, int] = {}
    if asks_hinges(verdict):
        for unknown in hinges:
            for path in unknown or ():
                counts[path] = counts.get(path, 0) + 1
    asked = rank_missing(counts, policies)
    known = set(asked)
    extra = rank_missing({p: 1 for p in amount_hinges if p not in known}, policies)
    extra = [p for p in extra if p not in known]
    after = policies.asked_after
    open_facts = known.union(extra)
    if not after.keys() & open_facts:
        return asked, extra
    waits = {p for p in open_facts if p in after and after[p] <= open_facts}
    return [p for p in asked if p not in waits], [p for p in extra if p not in waits]


def show_fact(policies: PolicySet, path: str, value: object, lang: Lang) -> str:
    """A fact's value as a reader says it: an enum's option words, 是/否, or the number."""
    spec = policies.facts.get(path)
    if spec is not None and spec.kind == "enum":
        for option in spec.options:
            if option.value == value:
                return option.zh if lang == "zh" else option.en
    if isinstance(value, bool):
        return {"zh": ("否", "是"), "en": ("no", "yes")}[lang][value]
    return str(value)


def not_in_force_reason(starts: dt.date, lang: Lang) -> tuple[str, str]:
    """The text and reason of the one criterion of a programme not in force on the date."""
    day = f"{starts.year}年{starts.month}月{starts.day}日" if lang == "zh" else starts.isoformat()
    text = NOT_IN_FORCE.format({"starts": day}).in_(lang)
    return text, OUTCOME_PREFIX["not_met"][lang] + text


# ---------------------------------------------------------------------------------------------
# The ladders: the two decision rules over an applicant's facts, written once as data
#
# A ladder is an ordered list of rungs; the first rung whose condition holds gives the result.
# Both back-ends translate the same ladders mechanically, at build time: the row back-end into
# generated Python (`_ladder_code`), the columnar back-end into polars (`columnar._ladder`).
# A rung's condition, in the rule language's three-valued logic (None = unknown):
#   "left_out"  the variant's parameters leave the criterion out (`Programme.applies_under`);
#   "false"     its expression is exactly False (not merely falsy, not unknown);
#   "unknown"   one of its expressions is unknown; the result hinges on the unknown facts of
#               every one that is;
#   "holds"     its expression is true (as Python's `if value:` reads it);
#   "otherwise" always (the last rung).
RungOn = Literal["left_out", "false", "unknown", "holds", "otherwise"]
R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rung(Generic[R]):
    """One step of a ladder: when it holds, and what it gives then."""

    on: RungOn
    exprs: tuple[rules.Expr, ...]
    result: R


# An amount ladder's result: the rule that decided it and its amount expression, or None (no
# rule decided: no amount).
AmountResult = tuple[int, rules.Expr] | None


def criterion_ladder(applies_when: rules.Expr | None, test: rules.Expr) -> tuple[Rung[int], ...]:
    """A criterion's outcome code under one parameter variant: SKIPPED where the variant's
    parameters leave it out or its `applies_when` is exactly False; UNKNOWN where the test or
    `applies_when` is unknown (hinging on the unknown facts of both); else MET or NOT_MET."""
    applies: tuple[rules.Expr, ...] = () if applies_when is None else (applies_when,)
    return (
        Rung("left_out", (), SKIPPED),
        *(Rung("false", (a,), SKIPPED) for a in applies),
        Rung("unknown", (*applies, test), UNKNOWN),
        Rung("holds", (test,), MET),
        Rung("otherwise", (), NOT_MET),
    )


def amount_ladder(
    amount_rules: Sequence[tuple[rules.Expr, rules.Expr]],
) -> tuple[Rung[AmountResult], ...]:
    """The amount under one parameter variant, from its rules' (`when`, amount) in order: the
    first rule whose `when` holds decides; an unknown `when` before it leaves the amount
    unknown (hinging on its facts); no amount where none holds."""
    rungs: list[Rung[AmountResult]] = []
    for index, (when, amount) in enumerate(amount_rules):
        rungs += [Rung("unknown", (when,), None), Rung("holds", (when,), (index, amount))]
    rungs.append(Rung("otherwise", (), None))
    return tuple(rungs)


# ---------------------------------------------------------------------------------------------
# Parameter profiles


@dataclass(frozen=True)
class Profiles:
    """The distinct situations of one programme over regions and dates, and how to find one's own.

    What a programme says for `(region_code, as_of)` (its parameter variants, steps, warnings,
    name) depends on the region code only through (a) the longest of the programme's regions
    (override regions, `confirmed_until_by_region`, steps' `regions`) that prefixes it and (b)
    which of them extend it (a province or prefecture code, or none, may stand for any county
    below it), and on `as_of` only through how many of the programme's dates it is on or after
    (and its year), and on the day of the year only through which phase of each yearly window
    its answers say (`eligibility.windows`: before, open, passed) the day is in, its *season*.
    So region codes fall into a few classes (each region and each of its shorter prefixes by
    exact match, then "starts with this region", then "none"), and a profile id is class × date
    bucket × season.  `points` holds a representative (code, day) of each (a day of its
    bucket in its season where there is one).
    """

    exact: tuple[str, ...]  # codes matched exactly: the regions and their prefixes
    prefixed: tuple[str, ...]  # regions matched as prefixes, longest first
    dates: tuple[dt.date, ...]  # every date something starts, ends or is confirmed to
    # The days of the year (MMDD) a yearly window said in an answer opens or has passed on
    # (`windows.season_turns`); none for most programmes (one season).
    seasons: tuple[int, ...]
    variants: tuple[tuple[dict[str, ParamValue], ...], ...]  # by profile id; the first is own
    points: tuple[tuple[str | None, dt.date], ...]
    _exact_class: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, programme: Programme) -> Profiles:
        policy = programme.policy
        entries = [e for p in policy.parameters.values() for e in p.values]
        # Key dates limit where and when they apply as steps do.
        steps: list[Step | KeyDate] = [*policy.next_steps, *policy.documents, *policy.dates]
        regions = (
            {e.region for e in entries if e.region}
            | set(policy.confirmed_until_by_region)
            | {r for s in steps for r in s.regions}
            # What a criterion cites depends on the documents' regions and dates too.
            | {s.region for s in policy.sources.values() if s.region}
        )
        exact = tuple(sorted(regions | {r[:n] for r in regions for n in (2, 4) if n < len(r)}))
        # Longest first; codes of one length by code, so profile ids (and a batch legend's
        # order) do not follow the string hashing of a set.
        prefixed = tuple(sorted(regions, key=lambda code: (-len(code), code)))
        confirmed = [policy.confirmed_until, *policy.confirmed_until_by_region.values()]
        dates = tuple(
            sorted(
                {e.since for e in entries}
                | {e.until for e in entries if e.until is not None}
                | {s.since for s in steps if s.since is not None}
                | {s.until for s in steps if s.until is not None}
                | {r.since for r in policy.renamed}
                | {d for s in policy.sources.values() for d in (s.since, s.until) if d}
                # Unconfirmed from the day after.
                | {day + dt.timedelta(days=1) for day in confirmed if day is not None}
            )
        )
        seasons = season_turns(policy.dates)
        representatives: list[str | None] = [None, *exact]
        for region in ("", *prefixed):
            representatives.append(_inside_only(region, regions))
        variants = []
        points = []
        for code in representatives:
            for bucket in range(len(dates) + 1):
                # Any date of the bucket selects the same entries; the day before the first
                # date, or the bucket's own first date, is one such date.
                if not dates:
                    day = dt.date(2000, 1, 1)
                elif bucket == 0:
                    day = dates[0] - dt.timedelta(days=1)
                else:
                    day = dates[bucket - 1]
                found = programme.parameter_variants(code, day)
                for season in range(len(seasons) + 1):
                    variants.append(found)
                    points.append((code, _in_season(seasons, season, day, before=bucket == 0)))
        return cls(
            exact=exact,
            prefixed=prefixed,
            dates=dates,
            seasons=seasons,
            variants=tuple(variants),
            points=tuple(points),
            _exact_class={code: i for i, code in enumerate(exact, start=1)},
        )

    def __len__(self) -> int:
        return len(self.variants)

    @property
    def no_match(self) -> int:
        """The class of region codes that none of the programme's regions touches."""
        return 1 + len(self.exact)

    @property
    def most_variants(self) -> int:
        """The largest number of variants any profile has (1 when only county codes occur)."""
        return max(len(v) for v in self.variants)

    def multi(self) -> list[int]:
        """The profiles under more than one parameter variant."""
        return [i for i, v in enumerate(self.variants) if len(v) > 1]

    def profile_of(self, region_code: str | None, as_of: dt.date) -> int:
        """The profile id of a region code and date (the columnar back-end's `profile_expr`
        computes the same per row)."""
        if region_code is None:
            region_class = 0
        else:
            found = self._exact_class.get(region_code)
            if found is None:
                found = self.no_match
                for index, prefix in enumerate(self.prefixed, start=self.no_match + 1):
                    if region_code.startswith(prefix):
                        found = index
                        break
            region_class = found
        bucket = region_class * (len(self.dates) + 1) + bisect_right(self.dates, as_of)
        return bucket * (len(self.seasons) + 1) + season_of(self.seasons, as_of)

    def point(self, profile: int, year: int) -> tuple[str | None, dt.date]:
        """A (region code, day) of the profile in `year`: the bucket starts at its point's day
        and holds every date of the profile, so it holds the first day of the profile's season
        in a later year (or its last in an earlier one) too."""
        code, day = self.points[profile]
        season = profile % (len(self.seasons) + 1)
        if year > day.year:
            day = season_day(self.seasons, season, year)
        elif year < day.year:
            day = season_day(self.seasons, season, year, last=True)
        return code, day

    def where(self, profile: int) -> str:
        """Where and when a profile applies, in codes: `140821`, `1408*` (codes under 1408 not
        listed apart), `*` (any other region), `-` (no region); then the dates, if any."""
        buckets = len(self.dates) + 1
        profile, season = divmod(profile, len(self.seasons) + 1)
        region_class, bucket = divmod(profile, buckets)
        if region_class == 0:
            region = "-"
        elif region_class < self.no_match:
            region = self.exact[region_class - 1]
        elif region_class == self.no_match:
            region = "*"
        else:
            region = self.prefixed[region_class - self.no_match - 1] + "*"
        if self.seasons:
            first = season_day(self.seasons, season, 2001)
            last = season_day(self.seasons, season, 2001, last=True)
            region += f" {first:%m-%d}..{last:%m-%d}"
        if not self.dates:
            return region
        since = "" if bucket == 0 else self.dates[bucket - 1].isoformat()
        until = self.dates[bucket].isoformat() if bucket < len(self.dates) else ""
        return f"{region} {since}–{until}"


def _in_season(seasons: tuple[int, ...], season: int, day: dt.date, before: bool) -> dt.date:
    """A day of `season` as near `day` as the bucket allows: the latest on or before it for the
    bucket before the first date (`before`), else the first on or after it (a bucket holding
    no day of the season is never asked for, so any such day serves)."""
    if season_of(seasons, day) == season:
        return day
    if before:
        last = season_day(seasons, season, day.year, last=True)
        return last if last < day else season_day(seasons, season, day.year - 1, last=True)
    first = season_day(seasons, season, day.year)
    return first if first > day else season_day(seasons, season, day.year + 1)


def _inside_only(prefix: str, regions: set[str]) -> str:
    """A six-digit code under `prefix` that no longer region prefixes or extends."""
    for filler in "9876543210":
        code = prefix + filler * (6 - len(prefix))
        deeper = any(code.startswith(r) and len(r) > len(prefix) for r in regions)
        extends = any(r.startswith(code) for r in regions if r != code)
        if not deeper and not extends and (code not in regions or code == prefix):
            return code
    raise ValueError(f"no representative code under {prefix!r}")


# ---------------------------------------------------------------------------------------------
# The plan of one programme under one profile


@dataclass(frozen=True)
class CriterionPlan:
    """One criterion under a profile: its rule per variant and its wording per outcome."""

    index: int
    id: str
    criterion: CompiledCriterion
    # Per variant: None where the variant cannot apply it (a parameter it reads is not set),
    # else (its `applies_when` or None, its test), with the variant's parameters folded in.
    bound: tuple[tuple[rules.Expr | None, rules.Expr] | None, ...]
    sources: tuple[str, ...]  # registry ids, those in force under the profile
    policies: PolicySet = field(repr=False)
    # Per (outcome, lang): the text with parameters filled in, and the facts it still names.
    texts: dict[tuple[int, Lang], tuple[str, tuple[str, ...]]]
    general: dict[Lang, str]  # the wording when a fact the outcome's text names is unknown
    # Per (outcome, lang): the whole result where the text names no fact.
    results: dict[tuple[int, Lang], CriterionResult]
    # Per (outcome, lang) worded apart for a count of 0 (`Criterion.zero_text`): the count's
    # fact, and the text with parameters filled in and the facts it still names.
    zero_texts: dict[tuple[int, Lang], tuple[str, str, tuple[str, ...]]] = field(
        default_factory=dict
    )
    # Per (outcome, lang, the values named): results whose text names the applicant's values.
    shown: dict[tuple[int, Lang, tuple[object, ...]], CriterionResult] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def request_facts(self) -> frozenset[str]:
        """The request details that make it apply (`CompiledCriterion.request_facts`), if any
        variant may apply it: none for one the profile never applies (its `applies_when` folds
        to false: a 2026 line on a 2024 date asks nothing)."""
        for bound in self.bound:
            if bound is not None and bound[0] != _NEVER:
                return self.criterion.request_facts
        return frozenset()

    def text(self, outcome: int, lang: Lang, fact_value: Callable[[str], object]) -> str:
        """The wording of the outcome, with the applicant's own values of the facts it names
        (`fact_value` gives them; the general wording if one is unknown)."""
        template, names = self.texts[(outcome, lang)]
        if not names:
            return template
        zero = self.zero_texts.get((outcome, lang))
        if zero is not None and fact_value(zero[0]) == 0:
            _, template, names = zero
        shown: dict[str, str] = {}
        for path in names:
            value = fact_value(path)
            if value is None:
                return self.general[lang]
            shown[path] = show_fact(self.policies, path, value, lang)
        return fill(template, shown)

    def result(
        self, outcome: int, lang: Lang, fact_value: Callable[[str], object]
    ) -> CriterionResult:
        """The criterion's result as the answer shows it: outcome, wording, reason, sources."""
        found = self.results.get((outcome, lang))
        if found is not None:
            return found
        values = tuple(fact_value(path) for path in self.texts[(outcome, lang)][1])
        return self.result_of(outcome, lang, values, fact_value)

    def result_of(
        self,
        outcome: int,
        lang: Lang,
        values: tuple[object, ...],
        fact_value: Callable[[str], object],
    ) -> CriterionResult:
        """`result` of an outcome whose wording names facts, given their values in the order
        of its names (as the decision's key holds them)."""
        key = (outcome, lang, values)
        found = self.shown.get(key)
        if found is None:
            if len(self.shown) >= 4096:
                self.shown.clear()
            found = self.shown[key] = self._result(outcome, lang, fact_value)
        return found

    def _result(
        self, outcome: int, lang: Lang, fact_value: Callable[[str], object]
    ) -> CriterionResult:
        text = self.text(outcome, lang, fact_value)
        name = OUTCOME_NAMES[outcome]
        return CriterionResult(
            id=self.id,
            outcome=name,
            text=text,
            reason=OUTCOME_PREFIX[name][lang] + text,
            sources=self.sources,
        )


@dataclass(frozen=True)
class AmountRulePlan:
    """An amount rule under one variant, with the notes it gives in each language."""

    when: rules.Expr  # with the variant's parameters folded in
    amount: rules.Expr
    note: dict[Lang, str | None]  # a value: the rule's (or the benefit's) note
    entry_note: dict[Lang, str | None]  # a value and one variant: with its entry's note
    unset_note: dict[Lang, str | None]  # no value and nothing missing: the county decides


@dataclass(frozen=True)
class StepPlan:
    """A next step or document shown under the profile, its text in each language."""

    verdicts: frozenset[str]
    when: rules.Expr | None  # with the parameters folded in
    text: dict[Lang, str]


@dataclass
class AnswerParts:
    """The parts of a plan's answers already made, each by what it depends on."""

    criteria: dict[tuple[object, ...], tuple[CriterionResult, ...]] = field(default_factory=dict)
    amounts: dict[tuple[object, ...], tuple[int | None, str | None, frozenset[str]]] = field(
        default_factory=dict
    )
    requests: dict[tuple[object, ...], tuple[MissingFact, ...]] = field(default_factory=dict)
    steps: dict[tuple[object, ...], tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict
    )

    def __len__(self) -> int:
        kept: tuple[Mapping[tuple[object, ...], object], ...] = (
            self.criteria,
            self.amounts,
            self.requests,
            self.steps,
        )
        return sum(len(k) for k in kept)

    def clear(self) -> None:
        """Forget them all (a bound on memory; they are remade as needed)."""
        for kept in (self.criteria, self.amounts, self.requests, self.steps):
            kept.clear()


@dataclass(slots=True)
class Template:
    """What the answers of the keys with the same verdict, request details given, conditions
    and choices of amount share (`Key`): the answer of the first such key; the others have
    their own criteria's results (by their outcomes and the values named) and their own
    missing facts (by the hinges, which only they depend on besides the verdict and amount)."""

    answer: Determination
    verdict: Verdict
    amount_hinges: frozenset[str]
    # The missing facts (verdict, then amount) by the hinges' bits: those of the unknown
    # criteria, sorted (None where the verdict asks none).
    missing: dict[object, tuple[MissingFact, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgrammePlan:
    """A programme under one parameter profile and year: everything that follows from where
    and when, resolved once."""

    programme: Programme
    policies: PolicySet
    variants: tuple[dict[str, ParamValue], ...]
    not_in_force: dt.date | None
    criteria: tuple[CriterionPlan, ...]
    amounts: tuple[tuple[AmountRulePlan, ...], ...]  # per variant
    amount_note: dict[Lang, str | None]  # the benefit's general note (a fact missing)
    amount_unset: dict[Lang, str | None]  # no rule holds
    amount_unit: dict[Lang, str | None]
    # Registry ids of the amount: by the index of the rule that gave it, and when none did.
    amount_sources: tuple[tuple[str, ...], ...]
    amount_sources_unset: tuple[str, ...]
    # A rule that gives no amount, only a note (a known overdue loan): the ids when none did,
    # and those its note quotes (`AmountRule.quotes`).
    amount_sources_null: tuple[tuple[str, ...], ...]
    next_steps: tuple[StepPlan, ...]
    documents: tuple[StepPlan, ...]
    gap_step: dict[Lang, tuple[str, ...]]
    warnings: dict[Lang, tuple[str, ...]]
    name: dict[Lang, str]
    labels: dict[tuple[Verdict, Lang], str]
    not_in_force_sources: tuple[str, ...]
    # The row back-end's evaluator of every criterion (`outcomes_function`).
    outcomes: Outcomes = field(repr=False)
    # The amount rules' evaluator: each variant's `Choice` (`choices_function`).
    choices: Callable[[Mapping[str, object]], tuple[Choice, ...]] = field(repr=False)
    # What else an answer depends on, besides the outcomes: the facts a criterion's wording
    # names, by criterion and outcome (only criteria that name some); the request details
    # (`given(loan_request.amount)`) by criterion; the steps and documents with a condition.
    named: tuple[tuple[int, dict[int, tuple[str, ...]]], ...]
    requests: tuple[str, ...]
    conditional: tuple[StepPlan, ...]
    # The row back-end's evaluator of the whole plan, giving the key of an applicant's answer.
    decision: Decision = field(repr=False)
    # Per language and criterion, by outcome code: its result where the wording names no fact.
    fixed: dict[Lang, tuple[tuple[CriterionResult | None, ...], ...]] = field(
        init=False, repr=False
    )
    # By criterion index: the position of the values its wording names among those of the
    # key (`named`).
    named_at: dict[int, int] = field(init=False, repr=False)
    # Per language: the results of the criteria not skipped from their outcome codes, the
    # values named (as the key holds them) and the facts (`criteria_function`).
    results_of: dict[Lang, Results] = field(init=False, repr=False)
    # Whether a criterion is confirmed at application (`Criterion.confirmed_by`): then the steps
    # of an answer depend on which criteria are unknown (`to_confirm`), not its verdict alone.
    confirms: bool = field(init=False, repr=False)
    # Answers already assembled, by language and everything they depend on (the `Key`, see
    # `Plans.decide`), and their parts by what each part depends on: most applicants share them.
    answers: dict[Lang, dict[Key, Determination]] = field(
        default_factory=lambda: {lang: {} for lang in LANGS}, repr=False
    )
    parts: AnswerParts = field(default_factory=lambda: AnswerParts(), repr=False)
    # By language and the first part of the key (`Decision.base`): what the answers of every
    # key starting so share, and how to make each.
    templates: dict[Lang, dict[Key, Template]] = field(
        default_factory=lambda: {lang: {} for lang in LANGS}, repr=False
    )
    # `to_confirm` by the verdict and outcome codes (most answers not seen share them).
    _confirmed: dict[tuple[Verdict, tuple[int, ...]], bool] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        codes = range(max(OUTCOME_NAMES) + 1)
        fixed = {
            lang: tuple(tuple(c.results.get((code, lang)) for code in codes) for c in self.criteria)
            for lang in LANGS
        }
        object.__setattr__(self, "fixed", fixed)
        object.__setattr__(self, "named_at", {i: at for at, (i, _) in enumerate(self.named)})
        results = {lang: criteria_function(self, lang) for lang in LANGS}
        object.__setattr__(self, "results_of", results)
        confirms = any(c.criterion.spec.confirmed_by is not None for c in self.criteria)
        object.__setattr__(self, "confirms", confirms)

    def to_confirm(self, verdict: Verdict, codes: Sequence[int]) -> bool:
        """Whether an answer of the verdict and outcome codes waits only on criteria confirmed
        at application (`Programme.to_confirm_at_application`), each pattern worked out once."""
        if not self.confirms or verdict != "needs_info":
            return False  # `Programme.to_confirm_at_application` says so without the codes
        key = (verdict, tuple(codes))
        found = self._confirmed.get(key)
        if found is None:
            unknown = (
                c.id for c, code in zip(self.criteria, codes, strict=True) if code == UNKNOWN
            )
            found = self.programme.to_confirm_at_application(verdict, unknown)
            if len(self._confirmed) >= 4096:
                self._confirmed.clear()
            self._confirmed[key] = found
        return found

    def amount(
        self, choices: Sequence[Choice], lang: Lang
    ) -> tuple[int | None, str | None, frozenset[str]]:
        """The amount of the variants' choices (`choose_amount`), its note in `lang`, and the
        facts it still hinges on.  The note is that of the region's own variant's choice."""
        rule, own, own_hinges = choices[0]
        if rule is None:
            note = self.amount_note if own_hinges else self.amount_unset
        elif own is None:
            note = self.amount_note if own_hinges else self.amounts[0][rule].unset_note
        else:
            chosen = self.amounts[0][rule]
            note = chosen.entry_note if len(self.variants) == 1 else chosen.note
        amount, hinges, disagree = choose_amount(choices)
        if disagree:
            return None, self.amount_note[lang], hinges
        return amount, note[lang], hinges

    def steps(
        self,
        which: tuple[StepPlan, ...],
        verdict: Verdict,
        conditions: tuple[bool, ...],
        lang: Lang,
        to_confirm: bool = False,
    ) -> tuple[str, ...]:
        """The steps (or documents) shown for the verdict (and for an answer waiting only on
        what is confirmed at application, `to_confirm`), given which of the conditional
        steps' conditions hold (in the order of `conditional`)."""
        held = {id(step): holds for step, holds in zip(self.conditional, conditions, strict=True)}
        return tuple(
            step.text[lang]
            for step in which
            if (verdict in step.verdicts or (to_confirm and TO_CONFIRM in step.verdicts))
            and (step.when is None or held[id(step)])
        )


# The results of a plan's criteria not skipped, from their outcome codes, the values their
# wording names (the key's) and the facts' look-up (`ProgrammePlan.results_of`).
Results = Callable[
    [tuple[int, ...], tuple[object, ...], Callable[[str], object]], tuple[CriterionResult, ...]
]


def criteria_function(plan: ProgrammePlan, lang: Lang) -> Results:
    """`CriterionPlan.result` of each criterion not skipped, in order, as one generated
    function: a result whose wording names no value taken by outcome code from a table (an
    empty piece where skipped), the others (`CriterionPlan.result_of`) by the values named, as
    the key holds them.  Every answer not seen before makes its criteria so."""
    names: dict[str, object] = {}
    codes = "".join(f"c{i}, " for i in range(len(plan.criteria)))
    pieces: list[str] = []
    named_at = plan.named_at
    for i, (criterion, by_code) in enumerate(zip(plan.criteria, plan.fixed[lang], strict=True)):
        table = tuple(
            () if code == SKIPPED else None if result is None else (result,)
            for code, result in enumerate(by_code)
        )
        names[f"P{i}"] = table
        if None not in table:
            pieces.append(f"*P{i}[c{i}]")
            continue
        names[f"R{i}"] = criterion.result_of
        pieces.append(
            f"*(p if (p := P{i}[c{i}]) is not None else "
            f"(R{i}(c{i}, {lang!r}, named[{named_at[criterion.index]}], get),))"
        )
    lines = ["def results(codes, named, get):"]
    if codes:
        lines.append(f"    {codes}= codes")
    lines.append(f"    return ({''.join(p + ', ' for p in pieces)})")
    found: Results = generated_function(names, lines, "results", "<criteria results>")
    return found


def build_plan(
    programme: Programme, policies: PolicySet, region_code: str | None, as_of: dt.date
) -> ProgrammePlan:
    """Resolve everything the programme says for the region and date."""
    variants = programme.parameter_variants(region_code, as_of)
    benefit = programme.policy.benefit

    def note(text: Text | None, lang: Lang) -> str | None:
        if text is None:
            return None
        if not any(programme.sets_all(text, params) for params in variants):
            # A note naming values not in force on the date ("原则上None元"): say so.
            text = benefit.unset_note or AMOUNT_NOT_SET
            if not any(programme.sets_all(text, params) for params in variants):
                text = AMOUNT_NOT_SET
        return programme.wording(text, variants, lang)

    criteria = tuple(
        _criterion_plan(index, criterion, programme, policies, variants, region_code, as_of)
        for index, criterion in enumerate(programme.criteria)
    )
    amounts = tuple(
        tuple(
            AmountRulePlan(
                when=rules.fold(rule.when, params),
                amount=rules.fold(rule.amount, params),
                note={lang: note(rule.spec.note or benefit.note, lang) for lang in LANGS},
                entry_note={
                    lang: _with_entry_note(
                        programme,
                        rule.amount,
                        region_code,
                        as_of,
                        note(rule.spec.note or benefit.note, lang),
                        lang,
                    )
                    for lang in LANGS
                },
                unset_note={
                    lang: note(benefit.unset_note or rule.spec.note or benefit.note, lang)
                    for lang in LANGS
                },
            )
            for rule in programme.amounts
        )
        for params in variants
    )
    gaps = programme.gaps(region_code, as_of)
    gap_step = programme.gap_step(gaps)
    name, _, _ = programme.named_on(as_of)
    starts = programme.not_in_force_from(region_code, as_of)
    labels: dict[tuple[Verdict, Lang], str] = {}
    for verdict in VERDICT_LABELS:
        own: Text | None = getattr(programme.policy.verdict_labels, verdict)
        for lang in LANGS:
            labels[(verdict, lang)] = (
                VERDICT_LABELS[verdict][lang] if own is None else own.in_(lang)
            )
    next_steps = _step_plans(programme, programme.next_steps, variants[0], region_code, as_of)
    next_steps += _window_steps(programme, region_code, as_of)
    documents = _step_plans(programme, programme.documents, variants[0], region_code, as_of)
    named = []
    for criterion in criteria:
        by_outcome = {code: criterion.texts[(code, "zh")][1] for code in OUTCOME_NAMES}
        if any(by_outcome.values()):
            named.append((criterion.index, by_outcome))
    requests = tuple(sorted({p for c in criteria for p in c.request_facts}))
    conditional = tuple(s for s in (*next_steps, *documents) if s.when is not None)
    unset_sources = amount_sources(policies.registry, programme, region_code, as_of)
    return ProgrammePlan(
        programme=programme,
        policies=policies,
        variants=variants,
        not_in_force=starts,
        criteria=criteria,
        amounts=amounts,
        outcomes=outcomes_function(
            criteria, named, requests, [s.when for s in conditional if s.when is not None]
        ),
        choices=choices_function(amounts),
        decision=decision_function(
            criteria, named, requests, [s.when for s in conditional if s.when is not None], amounts
        ),
        named=tuple(named),
        requests=requests,
        conditional=conditional,
        amount_note={lang: note(benefit.note, lang) for lang in LANGS},
        amount_unset={lang: note(benefit.unset_note or benefit.note, lang) for lang in LANGS},
        amount_unit={lang: benefit.unit.in_(lang) if benefit.unit else None for lang in LANGS},
        amount_sources=tuple(
            amount_sources(policies.registry, programme, region_code, as_of, rule)
            for rule in range(len(programme.amounts))
        ),
        amount_sources_unset=unset_sources,
        amount_sources_null=tuple(
            tuple(
                dict.fromkeys(
                    (*unset_sources, *ids_of(policies.registry, programme, rule.spec.quotes))
                )
            )
            for rule in programme.amounts
        ),
        next_steps=next_steps,
        documents=documents,
        gap_step={lang: () if gap_step is None else (gap_step.in_(lang),) for lang in LANGS},
        warnings={lang: programme.warnings(region_code, as_of, lang) for lang in LANGS},
        name={lang: name.in_(lang) for lang in LANGS},
        labels=labels,
        not_in_force_sources=(
            ()
            if starts is None
            else ids_of(
                policies.registry, programme, programme.not_in_force_sources(region_code, starts)
            )
        ),
    )


def _criterion_plan(
    index: int,
    criterion: CompiledCriterion,
    programme: Programme,
    policies: PolicySet,
    variants: Sequence[Params],
    region_code: str | None,
    as_of: dt.date,
) -> CriterionPlan:
    sources = criterion_sources(policies.registry, programme, criterion, region_code, as_of)
    bound: list[tuple[rules.Expr | None, rules.Expr] | None] = []
    for params in variants:
        if not programme.applies_under(criterion, params):
            bound.append(None)
            continue
        applies_when = (
            None if criterion.applies_when is None else rules.fold(criterion.applies_when, params)
        )
        bound.append((applies_when, rules.fold(criterion.test, params)))
    texts: dict[tuple[int, Lang], tuple[str, tuple[str, ...]]] = {}
    for code, outcome in OUTCOME_NAMES.items():
        # One variant: the place is known, and a local rule is said as "本地" (`met_here`).
        own = criterion.spec.outcome_text(outcome, here=len(variants) == 1)
        names = tuple(sorted(n for n in own.placeholders() if "." in n))
        for lang in LANGS:
            texts[(code, lang)] = (programme.wording(own, variants, lang), names)
    general = {lang: programme.wording(criterion.spec.text, variants, lang) for lang in LANGS}
    zero_texts: dict[tuple[int, Lang], tuple[str, str, tuple[str, ...]]] = {}
    for code, outcome in OUTCOME_NAMES.items():
        zero = criterion.spec.zero_text(outcome)
        if zero is not None:
            # The loader holds it to one counted fact, the one its outcome's wording names.
            [counted] = texts[(code, "zh")][1]
            names = tuple(sorted(n for n in zero.placeholders() if "." in n))
            for lang in LANGS:
                zero_texts[(code, lang)] = (counted, programme.wording(zero, variants, lang), names)
    results: dict[tuple[int, Lang], CriterionResult] = {}
    for (code, lang), (text, names) in texts.items():
        if not names:
            outcome = OUTCOME_NAMES[code]
            results[(code, lang)] = CriterionResult(
                id=criterion.spec.id,
                outcome=outcome,
                text=text,
                reason=OUTCOME_PREFIX[outcome][lang] + text,
                sources=sources,
            )
    return CriterionPlan(
        index=index,
        id=criterion.spec.id,
        criterion=criterion,
        bound=tuple(bound),
        sources=sources,
        policies=policies,
        texts=texts,
        general=general,
        results=results,
        zero_texts=zero_texts,
    )


# What an applicant's facts make of a plan: every criterion's outcome, the facts each unknown
# one hinges on, and what else the answer depends on (`ProgrammePlan.named`, `.requests`,
# `.conditional`): the values the wording names, which request details are given, the steps'
# conditions.
Signature = tuple[
    tuple[int, ...],
    tuple[frozenset[str] | None, ...],
    tuple[object, ...],
    tuple[bool, ...],
    tuple[bool, ...],
]
Outcomes = Callable[[Mapping[str, object]], Signature]
# The same as one flat tuple, the key of the plan's answers (`decision_function`): the codes
# (a tuple), the verdict (`verdict_of` them), the given request details, the conditions, the
# variants' choices with their hinges as bits (None where the answer weighs no amount); then
# the hinges as bits (a tuple, None in it where the criterion is not unknown; None where the
# verdict does not ask them) and the values shown (`Decision.base`: where the hinges are).
Key = tuple[object, ...]


@dataclass(frozen=True)
class _OutcomeCode:
    """The generated code of a plan's outcomes (`_outcome_code`): its body and the expression
    of each part of the `Signature`."""

    body: list[str]
    codes: list[str]
    hinges: list[str]
    shown: list[str]
    given: list[str]
    conditions: list[str]


def _outcome_code(
    emitter: rules.Emitter,
    criteria: Sequence[CriterionPlan],
    named: Sequence[tuple[int, dict[int, tuple[str, ...]]]],
    requests: Sequence[str],
    conditional: Sequence[rules.Expr],
) -> _OutcomeCode:
    """The code of each criterion under each variant, its `criterion_ladder` translated by
    `_ladder_code`, combined as `criterion_outcome` says (which it calls, or a table of it,
    where there are several variants).  The outcome codes are written as numbers (this
    module's constants, not data)."""
    emitter.names.update(combine=criterion_outcome)
    body: list[str] = []
    codes: list[str] = []
    hinges: list[str] = []
    for i, criterion in enumerate(criteria):
        c, h = f"c{i}", f"h{i}"
        codes.append(c)
        hinges.append(h)
        # Variants with the same rule (most: few parameters differ between counties) give the
        # same outcome: each distinct rule is decided once.  `criterion_outcome` reads only
        # which outcomes occur (and the first where all agree), the hinges are their union: the
        # same over the distinct rules as over every variant.
        ladders = [
            (
                bound is None,
                criterion_ladder(*bound)
                if bound is not None
                else criterion_ladder(None, criterion.criterion.test),
            )
            for bound in _distinct(criterion.bound)
        ]
        if len(ladders) == 1:
            [(left_out, ladder)] = ladders
            unknown: list[str] = []  # the hinges of the rungs giving UNKNOWN

            def single(
                code: int,
                hinge: str | None,
                at: str,
                c: str = c,
                h: str = h,
                unknown: list[str] = unknown,
            ) -> list[str]:
                if code == UNKNOWN:
                    unknown.append(hinge or "E")
                return [f"{at}{c} = {code}", f"{at}{h} = {hinge or 'None'}"]

            lines = _ladder_code(emitter, ladder, left_out, single, "    ")
            if len(set(unknown)) < 2:
                # The hinges are read only where the answer asks them (`asks_hinges`), after
                # the verdict, from the locals bound wherever the outcome is unknown (with
                # several ways to be unknown, each sets them where it decides).
                lines = [line for line in lines if not line.lstrip().startswith(f"{h} = ")]
                hinges[-1] = (
                    f"(({unknown[0]}) if {c} == {UNKNOWN} else None)" if unknown else "None"
                )
            body.extend(lines)
            continue
        # Several variants: each one's outcome, combined by `criterion_outcome` (a table of
        # it for a few variants); the region decides where they disagree.
        raw: list[str] = []
        raw_hinges: list[str] = []
        for v, (left_out, ladder) in enumerate(ladders):
            settled = _resolved(ladder, left_out)
            if settled is not None:
                raw.append(str(settled[0]))
                continue
            r, m = f"r{i}_{v}", f"m{i}_{v}"

            def each(code: int, hinge: str | None, at: str, r: str = r, m: str = m) -> list[str]:
                return [f"{at}{r} = {code}", f"{at}{m} = {hinge or 'E'}"]

            body.extend(_ladder_code(emitter, ladder, left_out, each, "    "))
            raw.append(r)
            raw_hinges.append(m)
        table = _combined(len(raw))
        combine = "combine" if table is None else emitter.constant(table.__getitem__)
        body.append(f"    {c}, d = {combine}(({', '.join(raw)},))")
        union = " | ".join([*raw_hinges, f"({emitter.hinge(REGION)} if d else E)"])
        body.append(f"    {h} = ({union}) if {c} == {UNKNOWN} else None")
    shown: list[str] = []
    for i, by_outcome in named:
        values = {
            code: "(" + "".join(emitter.emit(rules.Fact(p))[0] + ", " for p in paths) + ")"
            for code, paths in by_outcome.items()
        }
        # The values named by the outcome's wording; () for an outcome whose wording names
        # none, and where the criterion is skipped.
        branches = "".join(
            f"{values[code]} if c{i} == {code} else "
            for code in (NOT_MET, UNKNOWN, MET)
            if by_outcome[code]
        )
        shown.append(f"({branches}())")
    given = [f"({emitter.constant(path)} in facts)" for path in requests]
    conditions = [f"({emitter.emit(expr)[0]} is True)" for expr in conditional]
    return _OutcomeCode(body, codes, hinges, shown, given, conditions)


def _distinct(items: Sequence[T]) -> list[T]:
    """The items, each once (by `_same`: rules may hold lists), in order."""
    found: list[T] = []
    for item in items:
        if not any(_same(item, seen) for seen in found):
            found.append(item)
    return found


def _same(a: object, b: object) -> bool:
    """Alike to the types of their constants: `Const(1) == Const(True) == Const(1.0)`, yet a
    rule comparing with `true` is not one comparing with 1 (`x < true` is refused, `x < 1` is
    not), so variants are merged only where they encode alike (JSON keeps 1, 1.0 and true
    apart, as `whatif._likeness` does)."""
    return a == b and _encode_exactly(a) == _encode_exactly(b)


_encode_exactly = msgspec.json.Encoder(order="deterministic").encode


# How a ladder's result is written (`_ladder_code`): the lines giving the outputs from the
# result and the code of the facts it hinges on (None where the rung that gave it hinges on
# none), at an indent.
Settle = Callable[[R, "str | None", str], list[str]]


def _static(rung: Rung[R], left_out: bool) -> bool | None:
    """Whether the rung holds whatever the facts (True, False), or None where they decide:
    a condition on constants (the variant's parameters folded in) is settled here once."""
    if rung.on == "otherwise":
        return True
    if rung.on == "left_out":
        return left_out
    consts = [e for e in rung.exprs if isinstance(e, rules.Const)]
    if len(consts) < len(rung.exprs):
        if rung.on == "unknown" and any(c.value is None for c in consts):
            return True
        return None
    if rung.on == "false":
        return consts[0].value is False
    if rung.on == "unknown":
        return any(c.value is None for c in consts)
    return bool(consts[0].value)


def _resolved(rungs: Sequence[Rung[R]], left_out: bool) -> tuple[R] | None:
    """The ladder's result where its constants alone give it, with no hinges (else None)."""
    for rung in rungs:
        static = _static(rung, left_out)
        if static is None:
            return None
        if static:
            return None if rung.on == "unknown" else (rung.result,)
    raise AssertionError("a ladder ends with an `otherwise` rung")


def _ladder_code(
    emitter: rules.Emitter,
    rungs: Sequence[Rung[R]],
    left_out: bool,
    settle: Settle[R],
    indent: str,
) -> list[str]:
    """A ladder as generated Python: an `if`/`elif` chain in which each expression is computed
    into a local once, just before the first rung that reads it (an `else:` block opened for
    it), so that rungs below a deciding one cost nothing.  Rungs the constants settle
    (`_static`) are decided here."""
    lines: list[str] = []
    locals_: list[tuple[rules.Expr, str, str]] = []  # (expression, its local, its hinges)
    first = True

    def local(expr: rules.Expr) -> tuple[str, str]:
        for known, name, missing in locals_:
            if known == expr:
                return name, missing
        raise KeyError(expr)

    for rung in rungs:
        static = _static(rung, left_out)
        if static is False:
            continue
        dynamic: list[rules.Expr] = [e for e in rung.exprs if not isinstance(e, rules.Const)]
        if static is True and rung.on != "unknown":
            dynamic = []  # decided whatever they are
        fresh: list[rules.Expr] = []
        for wanted in dynamic:
            if all(wanted != e for e in fresh) and all(wanted != k for k, _, _ in locals_):
                fresh.append(wanted)
        if fresh:
            if not first:
                lines.append(f"{indent}else:")
                indent += "    "
                first = True
            if rung.on == "unknown" and static is None and len(dynamic) == 1:
                # A comparison read first for being unknown: its two parts tested in turn
                # (`Emitter.test`), the rungs below reading the value part.
                guard, value, missing, under = emitter.test(dynamic[0])
                if guard is not None:
                    locals_.append((dynamic[0], f"({value})", missing))
                    lines.append(f"{indent}if {guard}:")
                    lines += settle(rung.result, f"({under})", indent + "    ")
                    first = False
                    continue
                name = emitter.temp()
                lines.append(f"{indent}{name} = {value}")
                locals_.append((dynamic[0], name, missing))
                fresh = []
            for expr in fresh:
                value, missing = emitter.emit(expr)
                name = emitter.temp()
                lines.append(f"{indent}{name} = {value}")
                locals_.append((expr, name, missing))
        names = [local(e) for e in dynamic]
        if static is True:
            hinge = None
            if rung.on == "unknown":
                hinge = emitter.either(*names)
            if first:
                return lines + settle(rung.result, hinge, indent)
            return [*lines, f"{indent}else:", *settle(rung.result, hinge, indent + "    ")]
        if rung.on == "false":
            condition = f"{names[0][0]} is False"
            hinge = None
        elif rung.on == "unknown":
            condition = " or ".join(f"{n} is None" for n, _ in names)
            hinge = f"({names[0][1]})" if len(names) == 1 else emitter.either(*names)
        else:
            condition, hinge = names[0][0], None
        lines.append(f"{indent}{'if' if first else 'elif'} {condition}:")
        lines += settle(rung.result, hinge, indent + "    ")
        first = False
    raise AssertionError("a ladder ends with an `otherwise` rung")


_COMBINED: dict[int, dict[tuple[int, ...], tuple[int, bool]]] = {}


def _combined(variants: int) -> dict[tuple[int, ...], tuple[int, bool]] | None:
    """`criterion_outcome` of every combination of outcome codes of a few variants, as a
    table (None for more than four variants: the function is called)."""
    if variants > 4:
        return None
    found = _COMBINED.get(variants)
    if found is None:
        found = _COMBINED[variants] = {
            codes: criterion_outcome(codes)
            for codes in product((SKIPPED, MET, NOT_MET, UNKNOWN), repeat=variants)
        }
    return found


def _choice_code(
    emitter: rules.Emitter, amounts: Sequence[Sequence[AmountRulePlan]], indent: str
) -> list[str]:
    """The code giving each variant's `Choice` of amount rule and amount (`ch<v>`): its
    `amount_ladder` translated by `_ladder_code`."""
    body: list[str] = []
    # Variants with the same amount rules (as most counties of a province) choose alike: each
    # distinct list of rules is decided once, the others take its choice.
    rules_of = [[(rule.when, rule.amount) for rule in variant] for variant in amounts]
    for v, variant_rules in enumerate(rules_of):
        same = next(u for u in range(v + 1) if _same(rules_of[u], variant_rules))
        if same < v:
            body.append(f"{indent}ch{v} = ch{same}")
            continue
        ladder = amount_ladder(variant_rules)

        def settle(result: AmountResult, hinge: str | None, at: str, v: int = v) -> list[str]:
            none = emitter.names["E"]
            if result is None:
                if not hinge:  # no rule holds, nor could with more facts: a constant
                    return [f"{at}ch{v} = {emitter.constant((None, None, none))}"]
                one = re.fullmatch(r"\((K\d+)\)", hinge)
                # The hinges a constant (a fact's, under its guard: `Emitter.test`): so is the
                # choice.
                if one is not None:
                    hinged = (None, None, emitter.names[one.group(1)])
                    return [f"{at}ch{v} = {emitter.constant(hinged)}"]
                return [f"{at}ch{v} = (None, None, {hinge})"]
            index, amount = result
            if isinstance(amount, rules.Const) and (
                amount.value is None or amount.value.__class__ is int
            ):
                # A set amount (most tables): its choice is a constant, made here.
                made = (index, None, none) if amount.value is None else (index, amount.value, none)
                return [f"{at}ch{v} = {emitter.constant(made)}"]
            value, missing = emitter.emit(amount)
            x = emitter.temp()
            return [
                f"{at}{x} = {value}",
                f"{at}ch{v} = ({index}, None, {missing}) if {x} is None "
                f"else ({index}, int({x}), E)",
            ]

        body += _ladder_code(emitter, ladder, False, settle, indent)
    return body


def _row(items: Sequence[str]) -> str:
    return "(" + "".join(item + ", " for item in items) + ")"


def _function(emitter: rules.Emitter, lines: Sequence[str], name: str, label: str) -> object:
    return generated_function(emitter.names, lines, name, label)


def generated_function(
    names: Mapping[str, object], lines: Sequence[str], name: str, label: str
) -> Any:
    """The function `name` defined by the generated `lines`, run in a namespace of `names`
    (its constants), compiled once per source and label (`_compiled`)."""
    source = "".join(line + "\n" for line in lines)
    namespace = dict(names)
    exec(_compiled(source, label), namespace)
    return namespace[name]


# Compiled generated code by its source and label: plans of the same rules in other years or
# regions, and the same plans decided together in another order of first use, are the same
# source with other constants (which reach the code through its namespace, never its text).
_CODE: dict[tuple[str, str], CodeType] = {}


def _compiled(source: str, label: str) -> CodeType:
    """The code of `source`, compiled once; each function gets a copy of its own, as the
    interpreter specializes a code object's instructions to the namespace it last ran in
    (functions of other namespaces sharing one would undo each other's)."""
    found = _CODE.get((source, label))
    if found is None:
        if len(_CODE) >= 1024:
            _CODE.clear()
        found = _CODE[(source, label)] = compile(source, label, "exec")
    return _copy(found)


def _copy(code: CodeType) -> CodeType:
    consts = tuple(_copy(c) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_consts=consts)


def outcomes_function(
    criteria: Sequence[CriterionPlan],
    named: Sequence[tuple[int, dict[int, tuple[str, ...]]]],
    requests: Sequence[str],
    conditional: Sequence[rules.Expr],
) -> Outcomes:
    """One generated function giving an applicant's `Signature` under a plan (`_outcome_code`):
    what the plan's facts make of each criterion, for the suggestions (`eligibility.whatif`)."""
    emitter = rules.Emitter()
    code = _outcome_code(emitter, criteria, named, requests, conditional)
    found: Outcomes = _function(  # type: ignore[assignment]
        emitter,
        [
            "def outcomes(facts):",
            emitter.loads().rstrip("\n"),
            *code.body,
            f"    return {_row(code.codes)}, {_row(code.hinges)}, {_row(code.shown)}, "
            f"{_row(code.given)}, {_row(code.conditions)}",
        ],
        "outcomes",
        "<decision plan>",
    )
    return found


def choices_function(
    amounts: Sequence[Sequence[AmountRulePlan]],
) -> Callable[[Mapping[str, object]], tuple[Choice, ...]]:
    """One generated function giving each variant's `Choice` of amount rule and amount."""
    emitter = rules.Emitter()
    body = _choice_code(emitter, amounts, "    ")
    found: Callable[[Mapping[str, object]], tuple[Choice, ...]] = _function(  # type: ignore[assignment]
        emitter,
        [
            "def choices(facts):",
            emitter.loads().rstrip("\n"),
            *body,
            "    return " + _row([f"ch{v}" for v in range(len(amounts))]),
        ],
        "choices",
        "<amount plan>",
    )
    return found


@dataclass(frozen=True)
class Decision:
    """The row back-end's evaluator of a whole plan: one generated function giving the `Key`
    of an applicant's answer (the `Signature` and the choices of amount, as `outcomes_function`
    and `choices_function` give them, with hinges as bits), and how to read the key back."""

    key: Callable[[Mapping[str, object]], Key] = field(repr=False)
    criteria: int
    named: int
    requests: int
    conditional: int
    hinge_set: Callable[[int], frozenset[str]] = field(repr=False)
    hinge_paths: tuple[str, ...]  # the path of each bit of the hinges, lowest first

    # How long the key's first part is: the codes, the request details given, the conditions
    # and the choices of amount; then come the hinges and the values named.
    base: int = field(init=False)
    _hinges: dict[tuple[int | None, ...] | None, tuple[frozenset[str] | None, ...]] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", 2 + self.requests + self.conditional + 1)

    def hinges(self, key: Key) -> tuple[frozenset[str] | None, ...]:
        """The `Signature`'s hinges of a key (each pattern of bits read once): none where the
        verdict does not ask them (`asks_hinges`), as the key does not keep them then."""
        bits = cast(tuple[int | None, ...] | None, key[self.base])
        found = self._hinges.get(bits)
        if found is None:
            if len(self._hinges) >= 4096:
                self._hinges.clear()
            found = self._hinges[bits] = (
                (None,) * self.criteria
                if bits is None
                else tuple(None if h is None else self.hinge_set(h) for h in bits)
            )
        return found

    def signature(self, key: Key) -> tuple[Signature, tuple[Choice, ...] | None]:
        """The `Signature` and the choices (None where no amount is weighed) of a key; the
        hinges only where the verdict asks them."""
        given = 2 + self.requests
        at = self.base + 1
        signature: Signature = (
            cast(tuple[int, ...], key[0]),
            self.hinges(key),
            key[at : at + self.named],
            cast(tuple[bool, ...], key[2:given]),
            cast(tuple[bool, ...], key[given : given + self.conditional]),
        )
        raw = cast(tuple[tuple[int | None, int | None, int], ...] | None, key[self.base - 1])
        choices = (
            None
            if raw is None
            else tuple((rule, amount, self.hinge_set(bits)) for rule, amount, bits in raw)
        )
        return signature, choices


def _key_code(
    emitter: rules.Emitter,
    criteria: Sequence[CriterionPlan],
    named: Sequence[tuple[int, dict[int, tuple[str, ...]]]],
    requests: Sequence[str],
    conditional: Sequence[rules.Expr],
    amounts: Sequence[Sequence[AmountRulePlan]],
) -> tuple[list[str], list[str], _OutcomeCode]:
    """The code of a plan's `Key`: its body, and the expression of each item of the key."""
    code = _outcome_code(emitter, criteria, named, requests, conditional)
    # The verdict (`verdict_tests`) says whether the answer weighs an amount (`weighs_amount`)
    # and asks what the unknown criteria hinge on (`asks_hinges`): a branch per verdict.
    tail = [f"    cs = {_row(code.codes)}"]
    for at, (test, verdict) in enumerate(verdict_tests("cs")):
        tail.append("    else:" if test is None else f"    {'if' if at == 0 else 'elif'} {test}:")
        tail.append(f"        vd = {verdict!r}")
        if amounts and amounts[0] and weighs_amount(verdict):
            tail += [
                *_choice_code(emitter, amounts, "        "),
                "        ch = " + _row([f"ch{v}" for v in range(len(amounts))]),
            ]
        else:
            tail.append("        ch = None")
        tail.append(f"        hs = {_row(code.hinges) if asks_hinges(verdict) else None}")
    parts = ["cs", "vd", *code.given, *code.conditions, "ch", "hs", *code.shown]
    return [*code.body, *tail], parts, code


def decision_function(
    criteria: Sequence[CriterionPlan],
    named: Sequence[tuple[int, dict[int, tuple[str, ...]]]],
    requests: Sequence[str],
    conditional: Sequence[rules.Expr],
    amounts: Sequence[Sequence[AmountRulePlan]],
) -> Decision:
    """The plan's `Decision`: `_outcome_code` and, where the verdict weighs an amount
    (`weighs_amount` of `verdict_of`) and the plan has amount rules, `_choice_code`, in one
    generated function whose hinges are bits (`rules.Emitter(bits=True)`)."""
    emitter = rules.Emitter(bits=True)
    body, parts, code = _key_code(emitter, criteria, named, requests, conditional, amounts)
    key: Callable[[Mapping[str, object]], Key] = _function(  # type: ignore[assignment]
        emitter,
        ["def key(facts):", emitter.loads().rstrip("\n"), *body, "    return " + _row(parts)],
        "key",
        "<decision key>",
    )
    return Decision(
        key=key,
        criteria=len(code.codes),
        named=len(code.shown),
        requests=len(code.given),
        conditional=len(code.conditions),
        hinge_set=_hinge_sets(emitter),
        hinge_paths=tuple(emitter.hinge_paths),
    )


def _key_inputs(
    plan: ProgrammePlan,
) -> tuple[
    Sequence[CriterionPlan],
    Sequence[tuple[int, dict[int, tuple[str, ...]]]],
    Sequence[str],
    Sequence[rules.Expr],
    Sequence[Sequence[AmountRulePlan]],
]:
    """What a plan's `Decision` was generated from."""
    conditions = [s.when for s in plan.conditional if s.when is not None]
    return plan.criteria, plan.named, plan.requests, conditions, plan.amounts


Decide = Callable[[Mapping[str, object], str, "str | None", dt.date, Lang], list[Determination]]
# `Decide` that also gives each plan's `Key` (None for a plan not in force): `keys=True`.
Keys = tuple[Key | None, ...]
DecideKeyed = Callable[
    [Mapping[str, object], str, "str | None", dt.date, Lang], tuple[list[Determination], Keys]
]


def plans_function(
    plans: Sequence[ProgrammePlan],
    answer: Callable[[ProgrammePlan, Key, Mapping[str, object], Lang], Determination],
    not_in_force: Callable[[ProgrammePlan, dt.date, str, str | None, dt.date, Lang], Determination],
    keys: bool = False,
) -> Decide | DecideKeyed | None:
    """One generated function deciding several plans for one applicant, as `Plans.decide_plans`
    does plan by plan: each plan's key code (`_key_code`, with each fact read once for all),
    its answer looked up (`answer` making one not seen), and the answer for who and when.
    None if a plan's hinges would not get the bits of its own `Decision` (then the plans are
    decided one by one).  With `keys`, it returns the answers and each plan's key."""
    emitter = rules.Emitter(bits=True)
    emitter.names.update(replace=replace, answer=answer, not_in_force=not_in_force)
    body: list[str] = []
    found: list[str] = []
    kept: list[str] = []  # with `keys`: each plan's key
    for j, plan in enumerate(plans):
        p = emitter.constant(plan)
        if plan.not_in_force is not None:
            starts = emitter.constant(plan.not_in_force)
            body.append(f"    d{j} = not_in_force({p}, {starts}, hashed, region_code, as_of, lang)")
            found.append(f"d{j}")
            kept.append("None")
            continue
        emitter.scope()
        lines, parts, _ = _key_code(emitter, *_key_inputs(plan))
        if emitter.hinge_paths != list(plan.decision.hinge_paths):
            return None
        answers = emitter.constant(plan.answers)
        body += [
            *lines,
            f"    k = {_row(parts)}",
            f"    a = {answers}[lang]",
            f"    d{j} = a.get(k)",
            f"    if d{j} is None:",
            f"        d{j} = answer({p}, k, facts, lang)",
            "        if len(a) >= 4096:",
            "            a.clear()",
            f"        a[k] = d{j}",
            f"    d{j} = replace(d{j}, as_of=as_of, region_code=region_code, facts_hash=hashed)",
        ]
        found.append(f"d{j}")
        if keys:
            body.append(f"    k{j} = k")
            kept.append(f"k{j}")
    answers = "[" + ", ".join(found) + "]"
    decide: Decide | DecideKeyed = _function(  # type: ignore[assignment]
        emitter,
        [
            "def decide(facts, hashed, region_code, as_of, lang):",
            emitter.loads().rstrip("\n"),
            *body,
            f"    return {answers}, {_row(kept)}" if keys else f"    return {answers}",
        ],
        "decide",
        "<decision plans>",
    )
    return decide


def _hinge_sets(emitter: rules.Emitter) -> Callable[[int], frozenset[str]]:
    """`emitter.hinge_set`, each set made once."""
    made: dict[int, frozenset[str]] = {}

    def hinge_set(bits: int) -> frozenset[str]:
        found = made.get(bits)
        if found is None:
            if len(made) >= 4096:
                made.clear()
            found = made[bits] = emitter.hinge_set(bits)
        return found

    return hinge_set


def _step_plans(
    programme: Programme,
    steps: tuple[CompiledStep, ...],
    params: Params,
    region_code: str | None,
    as_of: dt.date,
) -> tuple[StepPlan, ...]:
    return tuple(
        StepPlan(
            verdicts=frozenset(step.spec.verdicts),
            when=None if step.when is None else rules.fold(step.when, params),
            text={lang: programme.wording(step.spec.text, (params,), lang) for lang in LANGS},
        )
        for step in steps
        if step.spec.shown_for(region_code, as_of)
        # A step naming a value not in force on the date is not shown.
        and programme.sets_all(step.spec.text, params)
    )


def _window_steps(
    programme: Programme, region_code: str | None, as_of: dt.date
) -> tuple[StepPlan, ...]:
    """The key dates said among the next steps (`KeyDate.step`), worded for the day: a yearly
    window's phase and next occurrence depend only on the day's season and year, which the
    plan's profile and year fix (`Profiles`)."""
    confirmed = programme.confirmed_until(region_code)
    return tuple(
        StepPlan(
            verdicts=frozenset(key_date.step),
            when=None,
            text={lang: window_step(key_date, as_of, confirmed, lang) for lang in LANGS},
        )
        for key_date in programme.policy.dates
        if key_date.step and key_date.applies_to(region_code, as_of)
    )


def _with_entry_note(
    programme: Programme,
    amount: rules.Expr,
    region_code: str | None,
    as_of: dt.date,
    amount_note: str | None,
    lang: Lang,
) -> str | None:
    """The amount's note with the note of the value it came from, if that value has one
    (环江 2021: "没有车票按400元；有实名车票按票价报销，最多800元", review9 F6)."""
    names = rules.param_names(amount)
    if len(names) != 1:
        return amount_note
    [name] = names
    entry = programme.parameter_source(name, region_code, as_of)
    if entry is None or entry.note is None:
        return amount_note
    said = entry.note.in_(lang)
    said += "" if said[-1] in "。.!！" else ("。" if lang == "zh" else ".")
    return said if not amount_note else said + ("" if lang == "zh" else " ") + amount_note


# ---------------------------------------------------------------------------------------------
# The row back-end


# Plans kept at most (a few per programme, profile and year: about forty years of every
# programme).  A server asked about ever more years (`as_of` is the caller's) would otherwise
# keep every one, each with its caches of answers and suggestions.
_MOST_PLANS = 2048


class Plans:
    """The plans of a policy set, built on first use and kept (a few per programme and year,
    `_MOST_PLANS` in all), and the row back-end that decides an applicant's flat facts with
    them."""

    def __init__(self, policies: PolicySet) -> None:
        self.policies = policies
        # Every programme's id, in the policy set's order (what a caller choosing none gets).
        self.programmes = tuple(policies.programmes)
        self._profiles: dict[str, Profiles] = {}
        self._plans: dict[tuple[str, int, int], ProgrammePlan] = {}
        self._recent: dict[tuple[str, str | None, dt.date], ProgrammePlan] = {}
        self._recent_all: dict[
            tuple[tuple[str, ...], str | None, int, int, int], tuple[ProgrammePlan, ...]
        ] = {}
        self._dates: tuple[dt.date, ...] | None = None
        self._seasons: tuple[int, ...] | None = None
        # By the plans (their ids: a plan is kept as long as this object), the function
        # deciding them together (`plans_function`).
        self._deciders: dict[tuple[int, ...], object] = {}
        self._by_tuple: dict[int, tuple[Sequence[ProgrammePlan], Decide | None]] = {}
        # Likewise the functions that also give the keys (`decide_plans_keyed`).
        self._keyed: dict[int, tuple[Sequence[ProgrammePlan], DecideKeyed | None]] = {}
        # By programme and profile, the first of its plans built (`rules_on`).
        self._alike: dict[tuple[str, int], ProgrammePlan] = {}
        self._questions: dict[tuple[str, Lang, str], MissingFact | None] = {}
        self._missing_by: dict[tuple[object, ...], tuple[MissingFact, ...]] = {}

    def profiles(self, programme: Programme) -> Profiles:
        """The programme's profiles."""
        found = self._profiles.get(programme.id)
        if found is None:
            found = self._profiles[programme.id] = Profiles.of(programme)
        return found

    def plan(self, programme: Programme, region_code: str | None, as_of: dt.date) -> ProgrammePlan:
        """The plan for a region code and date."""
        key = (programme.id, region_code, as_of)
        found = self._recent.get(key)
        if found is None:
            profile = self.profiles(programme).profile_of(region_code, as_of)
            found = self.of_profile(programme, profile, as_of.year)
            if len(self._recent) >= 65_536:
                self._recent.clear()
            self._recent[key] = found
        return found

    def of_profile(self, programme: Programme, profile: int, year: int) -> ProgrammePlan:
        """The plan of a profile in a year."""
        key = (programme.id, profile, year)
        found = self._plans.get(key)
        if found is None:
            # Twice the bound: `plans_for` makes room before it builds its few plans, so a
            # tuple of plans it returns is never split by a clearing here.
            self._make_room(2 * _MOST_PLANS)
            code, day = self.profiles(programme).point(profile, year)
            found = self._plans[key] = build_plan(programme, self.policies, code, day)
            self._alike.setdefault((programme.id, profile), found)
        return found

    def rules_on(
        self, programme: Programme, region_code: str | None, day: dt.date
    ) -> ProgrammePlan:
        """A plan that decides as the plan for the region code and day (`plan`) does: that one
        where it is built, else one of its profile built for another year (the plans of a
        profile differ only in the year their wording names), else that one, built."""
        profile = self.profiles(programme).profile_of(region_code, day)
        found = self._plans.get((programme.id, profile, day.year))
        if found is None:
            found = self._alike.get((programme.id, profile))
        return self.of_profile(programme, profile, day.year) if found is None else found

    def missing(
        self,
        hinges: Mapping[str, int],
        lang: Lang,
        affects: Literal["verdict", "amount", "request"],
    ) -> list[MissingFact]:
        """The facts still worth asking (`rank_missing`), each with its question."""
        return self.questions(rank_missing(hinges, self.policies), lang, affects)

    def questions(
        self,
        paths: Iterable[str],
        lang: Lang,
        affects: Literal["verdict", "amount", "request"],
    ) -> list[MissingFact]:
        """Each fact with its question, in order (a fact the catalogue does not hold is left
        out)."""
        found = []
        for path in paths:
            key = (path, lang, affects)
            if key not in self._questions:
                spec = self.policies.facts.get(path)
                self._questions[key] = (
                    None
                    if spec is None
                    else MissingFact(
                        fact=path,
                        question=spec.question.in_(lang),
                        kind=spec.kind,
                        options=tuple(
                            (o.value, o.zh if lang == "zh" else o.en) for o in spec.options
                        ),
                        affects=affects,
                    )
                )
            question = self._questions[key]
            if question is not None:
                found.append(question)
        return found

    def decide(
        self,
        programme: Programme,
        facts: Mapping[str, object],
        hashed: str,
        region_code: str | None,
        as_of: dt.date,
        lang: Lang,
    ) -> Determination:
        """One programme's determination for the applicant's flat facts (`derive.flatten`).

        The plan's evaluator gives every criterion's outcome; with the few other things an
        answer depends on (the values its wording names, which request details are given, the
        amount rule and value under each variant, the steps' conditions), they make the key of
        an answer assembled once per plan and shared by every applicant with the same key.
        """
        return self.decide_under(
            self.plan(programme, region_code, as_of), facts, hashed, region_code, as_of, lang
        )

    def plans_for(
        self, programmes: tuple[str, ...], region_code: str | None, as_of: dt.date
    ) -> tuple[ProgrammePlan, ...]:
        """The plans of several programmes for a region code and date.

        Kept by the region code, the year, how many of the dates of every programme's profiles
        the day is on or after and its season among all their seasons: a programme's profile
        depends on the day only through how many of its own dates it is on or after and its own
        season (`Profiles.profile_of`), which those settle, so every day between two such dates
        or turns of a season has the same plans."""
        dates = self._dates
        seasons = self._seasons
        if dates is None or seasons is None:
            every = [self.profiles(p) for p in self.policies.programmes.values()]
            dates = self._dates = tuple(sorted(set().union(*(p.dates for p in every))))
            seasons = self._seasons = tuple(sorted(set().union(*(p.seasons for p in every))))
        season = season_of(seasons, as_of)
        key = (programmes, region_code, as_of.year, bisect_right(dates, as_of), season)
        found = self._recent_all.get(key)
        if found is None:
            self._make_room(_MOST_PLANS)
            found = tuple(
                self.plan(self.policies.programme(pid), region_code, as_of) for pid in programmes
            )
            if len(self._recent_all) >= 65_536:
                self._recent_all.clear()
            self._recent_all[key] = found
        return found

    def decide_plans(
        self,
        plans: Sequence[ProgrammePlan],
        facts: Mapping[str, object],
        hashed: str,
        region_code: str | None,
        as_of: dt.date,
        lang: Lang,
    ) -> list[Determination]:
        """`decide_under` of each plan, in order (the loop every applicant runs), through one
        generated function for these plans (`plans_function`)."""
        # The tuple `plans_for` keeps is usually the one given: found by its id (held, so
        # the id is its own), else by the plans' ids.
        held = self._by_tuple.get(id(plans))
        if held is not None and held[0] is plans:
            decide = held[1]
        else:
            ids = tuple(map(id, plans))
            made = self._deciders.get(ids, _NOT_MADE)
            if made is _NOT_MADE:
                if len(self._deciders) >= 1024:
                    self._deciders.clear()
                made = self._deciders[ids] = plans_function(
                    [self._kept(plan) for plan in plans], self._answer, self._not_in_force
                )
            decide = cast("Decide | None", made)
            if isinstance(plans, tuple):
                if len(self._by_tuple) >= 4096:
                    self._by_tuple.clear()
                self._by_tuple[id(plans)] = (plans, decide)
        if decide is not None:
            return decide(facts, hashed, region_code, as_of, lang)
        found = []
        for plan in plans:
            if plan.not_in_force is not None:
                found.append(
                    self._not_in_force(plan, plan.not_in_force, hashed, region_code, as_of, lang)
                )
                continue
            key = plan.decision.key(facts)
            answers = plan.answers[lang]
            answer = answers.get(key)
            if answer is None:
                answer = self._answer(plan, key, facts, lang)
                if len(answers) >= 4096:
                    answers.clear()
                answers[key] = answer
            found.append(replace(answer, as_of=as_of, region_code=region_code, facts_hash=hashed))
        return found

    def decide_plans_keyed(
        self,
        plans: tuple[ProgrammePlan, ...],
        facts: Mapping[str, object],
        hashed: str,
        region_code: str | None,
        as_of: dt.date,
        lang: Lang,
    ) -> tuple[list[Determination], Keys]:
        """`decide_plans`, with each plan's `Key` (None for a plan not in force): what the
        suggestions read of the answers (`eligibility.whatif`), made by the same code."""
        held = self._keyed.get(id(plans))
        if held is None or held[0] is not plans:
            made = plans_function(
                [self._kept(plan) for plan in plans], self._answer, self._not_in_force, keys=True
            )
            if len(self._keyed) >= 4096:
                self._keyed.clear()
            held = self._keyed[id(plans)] = (plans, cast("DecideKeyed | None", made))
        if held[1] is not None:
            return held[1](facts, hashed, region_code, as_of, lang)
        found = self.decide_plans(plans, facts, hashed, region_code, as_of, lang)
        return found, tuple(
            None if plan.not_in_force is not None else plan.decision.key(facts) for plan in plans
        )

    def _make_room(self, most: int) -> None:
        """With `most` plans kept, forget them all, and everything found by them or by their
        ids (the deciders are kept by the plans' ids, which a plan let go could pass on)."""
        if len(self._plans) < most:
            return
        self._plans.clear()
        self._recent.clear()
        self._recent_all.clear()
        self._deciders.clear()
        self._by_tuple.clear()
        self._keyed.clear()
        self._alike.clear()

    def _kept(self, plan: ProgrammePlan) -> ProgrammePlan:
        """The plan, checked to be one of these plans (which are kept: the deciders are found
        by the plans' ids)."""
        if not any(kept is plan for kept in self._plans.values()):
            raise ValueError(f"{plan.programme.id}: not a plan of this policy set's plans")
        return plan

    def decide_under(
        self,
        plan: ProgrammePlan,
        facts: Mapping[str, object],
        hashed: str,
        region_code: str | None,
        as_of: dt.date,
        lang: Lang,
    ) -> Determination:
        """`decide` with the plan already found."""
        if plan.not_in_force is not None:
            return self._not_in_force(plan, plan.not_in_force, hashed, region_code, as_of, lang)
        key = plan.decision.key(facts)
        answers = plan.answers[lang]
        found = answers.get(key)
        if found is None:
            found = self._answer(plan, key, facts, lang)
            if len(answers) >= 4096:
                answers.clear()
            answers[key] = found
        return replace(found, as_of=as_of, region_code=region_code, facts_hash=hashed)

    def _answer(
        self, plan: ProgrammePlan, key: Key, facts: Mapping[str, object], lang: Lang
    ) -> Determination:
        """The answer for a key not seen: the `Template` of its verdict, request details given,
        conditions and choices of amount, with the criteria's results of its outcomes and the
        values they name (`_criteria`) and the missing facts of its hinges; else assembled
        (`_assemble`) and kept as the template."""
        decision = plan.decision
        at = decision.base
        base = key[1:at]
        if plan.confirms:  # its steps depend on which criteria are unknown too
            base = (*base, plan.to_confirm(cast(Verdict, key[1]), cast(tuple[int, ...], key[0])))
        # The missing facts depend on the hinges only through how many unknown criteria
        # hinge on each set of facts (`_missing`): kept by the bits so, each set once.
        bits = cast("tuple[int | None, ...] | None", key[at])
        hinged = None if bits is None else tuple(sorted(filter(None, bits)))
        templates = plan.templates[lang]
        template = templates.get(base)
        if template is None:
            signature, choices = decision.signature(key)
            verdict = cast(Verdict, key[1])
            answer = self._assemble(plan, facts, signature, verdict, choices, lang)
            amount = plan.parts.amounts.get((lang, choices))
            if amount is None:
                amount = (None, None, _NOTHING) if choices is None else plan.amount(choices, lang)
            if len(templates) >= 1024:
                templates.clear()
            template = templates[base] = Template(answer, verdict, amount[2])
            template.missing[hinged] = answer.missing
            return answer
        missing = template.missing.get(hinged)
        if missing is None:
            if len(template.missing) >= 256:
                template.missing.clear()
            hinges = () if hinged is None else tuple(map(decision.hinge_set, hinged))
            missing = template.missing[hinged] = self._missing(
                template.verdict, hinges, template.amount_hinges, lang
            )
        codes: tuple[int, ...] = key[0]  # type: ignore[assignment]
        criteria = self._criteria(plan, codes, key[at + 1 :], lang, facts)
        return replace(template.answer, criteria=criteria, missing=missing)

    def _criteria(
        self,
        plan: ProgrammePlan,
        codes: tuple[int, ...],
        named: tuple[object, ...],
        lang: Lang,
        facts: Mapping[str, object],
    ) -> tuple[CriterionResult, ...]:
        """The results of the criteria not skipped, by their outcomes and the values their
        wording names."""
        key = (lang, codes, named)
        kept = plan.parts.criteria
        results = kept.get(key)
        if results is None:
            if len(kept) >= 8192:
                kept.clear()
            results = kept[key] = plan.results_of[lang](codes, named, facts.get)
        return results

    def _missing(
        self,
        verdict: Verdict,
        hinges: Iterable[frozenset[str] | None],
        amount_hinges: frozenset[str],
        lang: Lang,
    ) -> tuple[MissingFact, ...]:
        """The facts still worth asking (`missing_facts`) with their questions, kept by what
        they depend on: the verdict, the amount's hinges and how many unknown criteria hinge on
        each set of facts (not which ones, nor the plan), which many answers share."""
        # The hinges in an order of their own (equal sets side by side as a rule; where two
        # sets' hashes tie, another order of them is only another key for the same facts).
        shape = tuple(sorted((h for h in hinges if h), key=hash))
        key = (lang, verdict, shape, amount_hinges)
        missing = self._missing_by.get(key)
        if missing is None:
            for_verdict, for_amount = missing_facts(verdict, shape, amount_hinges, self.policies)
            if len(self._missing_by) >= 16_384:
                self._missing_by.clear()
            missing = self._missing_by[key] = (
                *self.questions(for_verdict, lang, "verdict"),
                *self.questions(for_amount, lang, "amount"),
            )
        return missing

    def _assemble(
        self,
        plan: ProgrammePlan,
        facts: Mapping[str, object],
        signature: Signature,
        verdict: Verdict,
        choices: tuple[Choice, ...] | None,
        lang: Lang,
    ) -> Determination:
        """The answer for a signature, but for who and when it is for; each part kept by what
        it depends on."""
        codes, hinges, named, given, conditions = signature
        parts = plan.parts
        if len(parts) >= 16_384:
            parts.clear()

        results = self._criteria(plan, codes, named, lang, facts)
        key: tuple[object, ...] = (lang, choices)
        amount_part = parts.amounts.get(key)
        if amount_part is None:
            amount_part = parts.amounts[key] = (
                (None, None, _NOTHING) if choices is None else plan.amount(choices, lang)
            )
        amount, amount_note, amount_hinges = amount_part
        missing = self._missing(verdict, hinges, amount_hinges, lang)
        key = (lang, verdict, given)
        requests = parts.requests.get(key)
        if requests is None:
            counts: dict[str, int] = {}
            if verdict != "ineligible":
                present = dict(zip(plan.requests, given, strict=True))
                for criterion in plan.criteria:
                    for path in criterion.request_facts:
                        if not present[path]:
                            counts[path] = counts.get(path, 0) + 1
            requests = parts.requests[key] = tuple(self.missing(counts, lang, "request"))
        to_confirm = plan.to_confirm(verdict, codes)
        key = (lang, verdict, conditions, to_confirm)
        steps = parts.steps.get(key)
        if steps is None:
            steps = parts.steps[key] = (
                plan.steps(plan.next_steps, verdict, conditions, lang, to_confirm)
                + (() if verdict == "ineligible" else plan.gap_step[lang]),
                plan.steps(plan.documents, verdict, conditions, lang, to_confirm),
            )
        next_steps, documents = steps
        return Determination(
            programme=plan.programme.id,
            programme_name=plan.name[lang],
            verdict=verdict,
            amount=amount,
            amount_unit=plan.amount_unit[lang],
            amount_note=amount_note,
            amount_sources=(
                ()
                if amount is None and amount_note is None
                else plan.amount_sources_unset
                if choices is None or choices[0][0] is None
                else plan.amount_sources_null[choices[0][0]]
                if amount is None
                else plan.amount_sources[choices[0][0]]
            ),
            criteria=results,
            missing=missing,
            request_details=requests,
            next_steps=next_steps,
            documents=documents,
            as_of=dt.date.min,
            region_code=None,
            policy_version=self.policies.version,
            facts_hash="",
            verdict_label=plan.labels[(verdict, lang)],
            warnings=plan.warnings[lang],
        )

    def _not_in_force(
        self,
        plan: ProgrammePlan,
        starts: dt.date,
        hashed: str,
        region_code: str | None,
        as_of: dt.date,
        lang: Lang,
    ) -> Determination:
        """A programme none of whose rules had started on the date: `ineligible`, one criterion
        saying from when it applies, nothing asked, no amount, no steps.  Not `needs_info`
        (nothing the household could answer makes it apply) and never `eligible`."""
        text, reason = not_in_force_reason(starts, lang)
        return Determination(
            programme=plan.programme.id,
            programme_name=plan.name[lang],
            verdict="ineligible",
            amount=None,
            amount_unit=None,
            amount_note=None,
            criteria=(
                CriterionResult(
                    id=NOT_IN_FORCE_CRITERION,
                    outcome="not_met",
                    text=text,
                    reason=reason,
                    sources=plan.not_in_force_sources,
                ),
            ),
            missing=(),
            request_details=(),
            next_steps=(),
            documents=(),
            as_of=as_of,
            region_code=region_code,
            policy_version=self.policies.version,
            facts_hash=hashed,
            verdict_label=NOT_IN_FORCE_LABEL.in_(lang),
            warnings=plan.warnings[lang],
        )


_NOT_MADE: object = object()

# One set of plans per loaded policy set (a policy set is immutable once loaded).
_PLANS: dict[int, tuple[PolicySet, Plans]] = {}


def plans_of(policies: PolicySet) -> Plans:
    """The decision plans of a loaded policy set (built on first use, kept with it)."""
    found = _PLANS.get(id(policies))
    if found is None or found[0] is not policies:
        if len(_PLANS) >= 64:
            _PLANS.clear()
        found = _PLANS[id(policies)] = (policies, Plans(policies))
    return found[1]
