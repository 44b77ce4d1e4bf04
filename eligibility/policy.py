"""Policies as data: one TOML file per programme, decoded into typed Structs and checked at load.

A policy file reads like the document it encodes: its sources, then its criteria in the order the
document lists them (each citing a source), its parameters with their effective-date history and
regional overrides (each value citing a source), the benefit, next steps and documents, and last
the examples that must pass before the policy loads.  See `eligibility/policies/*.toml`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal, TypeVar

import msgspec

from eligibility import rules
from eligibility.catalogue import ChildSpec, FactCatalogueFile, FactSpec, QuestionSpec
from eligibility.derive import DERIVED_FACTS
from eligibility.facts import Applicant
from eligibility.regions import is_region_code
from eligibility.text import Lang, Text

Verdict = Literal["eligible", "ineligible", "needs_info"]
ParamValue = int | float | bool | str | list[str | int] | None

PROGRAMME_ORDER = (
    "microloan",
    "transport_subsidy",
    "public_welfare_post",
    "yulu_plan",
    "monitoring_referral",
)
CATALOGUE_FILE = "facts.toml"
_T = TypeVar("_T")


# Shown for a value a text names that no variant sets (a safeguard: see `Programme.wording`).
NOT_SET: dict[Lang, str] = {"zh": "（未定）", "en": "(not set)"}
# The amount's note when the note a policy gives names values not in force on the date.
AMOUNT_NOT_SET = Text(
    zh="这个日期还没有查到在用的标准，钱数请以县里公布的为准。",
    en="No rule in force for this date was found: ask your county for the amount.",
)

# The next step a determination gives when some rule it needs is not in force on its date.
GAP_STEP = Text(
    zh="有些规定在这个日期还没有查到：请到村委会、乡镇或县里主管部门问清楚现在的条件和标准。",
    en="Some rules for this date were not found: ask your village, township or the county office "
    "for the current conditions and amounts.",
)

# The engine's wording of the warnings (`Programme.warnings`); a policy may give its own.
UNCONFIRMED_WARNING = Text(
    zh="{year}年的具体标准还没有核实，下面按{confirmed}的规定算，请以县里公布的为准。",
    en="The rules for {year} have not been verified yet; this follows the rules as checked for "
    "{confirmed}. What your county announces prevails.",
)
# A programme none of whose rules had started on the date (finding 13): the one criterion of
# its `ineligible` answer, and how the verdict reads.  Nothing is asked and no amount is given:
# there was no such programme to apply to on that day.
NOT_IN_FORCE_CRITERION = "not_in_force"
NOT_IN_FORCE = Text(
    zh="在这个日期还没有这项政策（从{starts}起）",
    en="This programme did not exist yet on this date (it applies from {starts})",
)
NOT_IN_FORCE_LABEL = Text(zh="这个日期还没有这项政策", en="Not in force on this date")
NOT_YET_PARAMETER = Text(
    zh="“{what}”从{starts}起才有规定，在此之前没有，这一条没有算进去。",
    en="“{what}” is set only from {starts}; there was no rule before, so it is not counted here.",
)
# A local table that has ended (finding 11), in plain words: no office or newspaper names (they
# stay in the citations), one sentence however many of its values ended (review9 F4/F7).
ENDED_TABLE = Text(
    zh="这里查到的本地标准最晚只到{last}；{year}年的还没有查到，这里没有按旧标准算，条件和钱数"
    "请问县里。",
    en="The local rules found here run at the latest to {last}; none has been found for {year}, "
    "so the old figures are not used: ask your county for the current conditions and amount.",
)
# A national figure for some years only (the 2021 monitoring floor), ended.
ENDED_NATIONAL = Text(
    zh="“{what}”这里只查到{last}的；{year}年的由省里、县里定，这里还没有查到，请以当地公布的为准。",
    en="“{what}” is recorded here only for {last}; for {year} your province and county set it "
    "and it has not been found: what they announce prevails.",
)


# How a text names a figure that differs between the places a region code may stand for.
LOCAL_FIGURE: dict[Lang, str] = {"zh": "（按当地标准）", "en": " (the local figure)"}
_UNIT_AFTER: dict[Lang, str] = {"zh": r"(?:元|个月|周岁|岁|%)?", "en": r"(?: yuan| months|%)?"}


def _differs(name: str, variants: Sequence[Mapping[str, object]]) -> bool:
    """Whether the places behind `variants` do not all have one value of `name`."""
    own = variants[0].get(name)
    return own is None or any(v.get(name) not in (None, own) for v in variants[1:])


def _local_figure(text: Text, names: Sequence[str]) -> Text:
    """`text` with each `{name}` (and the unit after it) replaced by `LOCAL_FIGURE`."""

    def replace(template: str, lang: Lang) -> str:
        for name in names:
            pattern = re.compile(r"\s?\{" + re.escape(name) + r"\}" + _UNIT_AFTER[lang])
            template = pattern.sub(lambda _m: LOCAL_FIGURE[lang], template)
        return template

    return Text(zh=replace(text.zh, "zh"), en=replace(text.en, "en"))


def _date_words(day: dt.date, lang: Lang) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()


def _period_words(day: dt.date, lang: Lang) -> str:
    """A confirmed-until date as a reader says it: a whole year as "2025年", else the day."""
    if (day.month, day.day) == (12, 31):
        return f"{day.year}年" if lang == "zh" else str(day.year)
    return f"截至{_date_words(day, lang)}" if lang == "zh" else f"up to {day.isoformat()}"


class PolicyError(ValueError):
    """A policy file that must not load; the message names the file and what is wrong."""


class Source(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A document a criterion or value comes from."""

    title: str
    issuer: str
    number: str | None = None
    article: str | None = None
    date: dt.date | None = None
    url: str | None = None
    note: str | None = None


class Citation(msgspec.Struct, frozen=True, kw_only=True):
    """A source as cited by a determination: the document and where in it."""

    title: str
    issuer: str
    number: str | None = None
    article: str | None = None
    date: dt.date | None = None
    url: str | None = None


class ParameterValue(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One value of a parameter, in force from `since` for `region` (a code prefix; none = all).

    `until` is **exclusive**: the value is in force on `since <= as_of < until`.  A table a county
    published for 2024 ("对2024年…") is written `since = 2024-01-01, until = 2025-01-01`, so the two
    dates read like the year's bounds and one entry can start where another ends.  See
    `select_parameter_value` for what applies once a regional value has ended.
    """

    since: dt.date
    until: dt.date | None = None
    value: ParamValue = None
    unset: bool = False
    region: str | None = None
    source: str
    note: Text | None = None


class Parameter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named value with its history; `null` values mean "not set here".

    `gap_note` is what a determination says when no value is in force for its date (before the
    first `since`, or after a regional value's `until`): who decides instead.  Without it the
    engine's general wording is used.
    """

    description: Text
    unit: str | None = None
    values: tuple[ParameterValue, ...]
    gap_note: Text | None = None


class Criterion(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named condition of a programme: wording, sources, and its rule expression.

    `text` states the condition (listings, and every outcome without its own wording).  `met`,
    `not_met` and `unknown` word one outcome where one sentence cannot serve both: "您62岁，公益性
    岗位要16到60岁" says what was found and what is required.  Besides `{parameter}` placeholders
    these may name facts, `{person.age}` (an enum shows its option's words); if a named fact is
    unknown the general `text` is shown instead, so no placeholder or "None" ever reaches a reader.
    """

    id: str
    text: Text
    test: str
    sources: tuple[str, ...]
    applies_when: str | None = None
    met: Text | None = None
    not_met: Text | None = None
    unknown: Text | None = None

    def outcome_text(self, outcome: str) -> Text:
        """The wording for `outcome` (`met`, `not_met`, `unknown`): its own, else `text`."""
        own: Text | None = getattr(self, outcome)
        return self.text if own is None else own


class AmountRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The first amount rule whose `when` holds gives the amount."""

    when: str = "true"
    amount: str
    note: Text | None = None


class Benefit(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the amount is found, its unit, and what to say about it."""

    unit: Text | None = None
    amounts: tuple[AmountRule, ...] = ()
    note: Text | None = None
    unset_note: Text | None = None
    sources: tuple[str, ...] = ()


class Step(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A next step or a document to bring, shown for the listed verdicts.

    `regions` (code prefixes) limits it to applicants whose region code starts with one of them;
    an applicant whose region is unknown is not shown a local step ("临猗县每年11月上旬集中申报"
    is for 临猗 only).  `since`/`until` (until exclusive, as for parameters) limit it in time.
    """

    text: Text
    verdicts: tuple[Verdict, ...] = ("eligible", "needs_info")
    when: str | None = None
    regions: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None

    def shown_for(self, region_code: str | None, as_of: dt.date) -> bool:
        """Whether the step applies to the region and date (its verdicts and `when` aside)."""
        if self.regions and not any((region_code or "").startswith(r) for r in self.regions):
            return False
        if self.since is not None and as_of < self.since:
            return False
        return self.until is None or as_of < self.until


class ExpectedOutcome(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What an example must give."""

    verdict: Verdict
    amount: int | Literal["none"] | msgspec.UnsetType = msgspec.UNSET
    not_met: tuple[str, ...] | msgspec.UnsetType = msgspec.UNSET
    missing: tuple[str, ...] | msgspec.UnsetType = msgspec.UNSET


class Example(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A test case inside the policy: facts and the expected outcome."""

    name: str
    facts: dict[str, object]
    expect: ExpectedOutcome


class VerdictLabels(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a programme's verdicts read where "能办 / 不能办" would mislead (a referral's
    `ineligible` is "目前不需要申请监测")."""

    eligible: Text | None = None
    ineligible: Text | None = None
    needs_info: Text | None = None


class Renaming(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A programme's name (and its summary and who) from a date on: 脱贫人口小额信贷 became
    帮扶小额信贷 on 2026-02-28, under the same id."""

    since: dt.date
    name: Text
    summary: Text | None = None
    who: Text | None = None


class PolicyFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One programme's policy file as written.

    `confirmed_until` (inclusive) is the last date for which the programme's rules were checked
    against a source; `confirmed_until_by_region` overrides it for a region code prefix (the most
    specific wins).  A determination for a later date carries a warning (`unconfirmed_warning`,
    else the engine's wording) that the rules for its date are not verified.
    """

    id: str
    name: Text
    summary: Text
    who: Text
    confirmed_until: dt.date | None = None
    confirmed_until_by_region: dict[str, dt.date] = {}
    unconfirmed_warning: Text | None = None
    # The next step when a rule is not in force on the date (a table ended, a rule not yet
    # started): who decides instead.  Else the engine's `GAP_STEP`.
    gap_step: Text | None = None
    verdict_labels: VerdictLabels = VerdictLabels()
    renamed: tuple[Renaming, ...] = ()
    sources: dict[str, Source]
    criteria: tuple[Criterion, ...]
    parameters: dict[str, Parameter] = {}
    benefit: Benefit = Benefit()
    next_steps: tuple[Step, ...] = ()
    documents: tuple[Step, ...] = ()
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class CompiledCriterion:
    """A criterion with its expressions parsed."""

    spec: Criterion
    test: rules.Expr
    applies_when: rules.Expr | None
    citations: tuple[Citation, ...]
    run_test: rules.Compiled = field(init=False, compare=False, repr=False)
    run_applies_when: rules.Compiled | None = field(init=False, compare=False, repr=False)
    request_facts: frozenset[str] = field(init=False, compare=False, repr=False)
    required_params: frozenset[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Parameters without which the criterion cannot be applied on a date (see
        # `Programme.applies_under`).
        required = rules.required_params(self.test)
        if self.applies_when is not None:
            required |= rules.required_params(self.applies_when)
        object.__setattr__(self, "required_params", frozenset(required))
        # Facts whose mere presence makes the criterion apply (`given(loan_request.amount)`):
        # details of a request the applicant may give to have it checked too.
        object.__setattr__(
            self,
            "request_facts",
            frozenset() if self.applies_when is None else rules.given_facts(self.applies_when),
        )
        object.__setattr__(self, "run_test", rules.compile_expr(self.test))
        object.__setattr__(
            self,
            "run_applies_when",
            None if self.applies_when is None else rules.compile_expr(self.applies_when),
        )


@dataclass(frozen=True)
class CompiledAmount:
    """An amount rule with its expressions parsed."""

    spec: AmountRule
    when: rules.Expr
    amount: rules.Expr


@dataclass(frozen=True)
class CompiledStep:
    """A step with its optional condition parsed."""

    spec: Step
    when: rules.Expr | None


@dataclass(frozen=True)
class Programme:
    """A loaded programme: the policy file with expressions compiled and sources resolved."""

    id: str
    policy: PolicyFile
    criteria: tuple[CompiledCriterion, ...]
    amounts: tuple[CompiledAmount, ...]
    next_steps: tuple[CompiledStep, ...]
    documents: tuple[CompiledStep, ...]
    benefit_citations: tuple[Citation, ...]
    _params_cache: dict[tuple[str, dt.date], dict[str, ParamValue]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _params_interned: dict[bytes, dict[str, ParamValue]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _variants_cache: dict[tuple[str, dt.date], tuple[dict[str, ParamValue], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _wording_cache: dict[tuple[int, int, str], str] = field(
        default_factory=dict, compare=False, repr=False
    )
    _placeholders: dict[int, frozenset[str]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _warnings_cache: dict[tuple[str, dt.date, str], tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def parameters(self, region_code: str | None, as_of: dt.date) -> dict[str, ParamValue]:
        """Every parameter's value in force for the region on the date (most specific wins)."""
        key = (region_code or "", as_of)
        found = self._params_cache.get(key)
        if found is None:
            found = {
                name: resolve_parameter(param, region_code, as_of)
                for name, param in self.policy.parameters.items()
            }
            # Most dates and regions share the same values: one dict per distinct set of values
            # lets the wording cache below key on it.
            found = self._params_interned.setdefault(msgspec.json.encode(found), found)
            if len(self._params_cache) < 65_536:
                self._params_cache[key] = found
        return found

    def parameter_variants(
        self, region_code: str | None, as_of: dt.date
    ) -> tuple[dict[str, ParamValue], ...]:
        """Every distinct set of parameters a person of `region_code` may be under on `as_of`.

        The first is the region's own.  A county code gives exactly one; an unknown region, or a
        province or prefecture code, also gives those of every more specific override in force,
        so that a decision holds for all of them or waits for the region.
        """
        key = (region_code or "", as_of)
        found = self._variants_cache.get(key)
        if found is None:
            prefix = region_code or ""
            candidates = {
                entry.region
                for param in self.policy.parameters.values()
                for entry in param.values
                if entry.region is not None
                and len(entry.region) > len(prefix)
                and entry.region.startswith(prefix)
                and entry.since <= as_of
            }
            variants = [self.parameters(region_code, as_of)]
            for candidate in sorted(candidates):
                params = self.parameters(candidate, as_of)
                if all(params is not v for v in variants):
                    variants.append(params)
            found = tuple(variants)
            if len(self._variants_cache) < 65_536:
                self._variants_cache[key] = found
        return found

    def wording(
        self,
        text: Text,
        variants: Sequence[Mapping[str, object]],
        lang: Lang,
        shown_facts: Mapping[str, str] | None = None,
    ) -> str:
        """`text` in `lang`, filled in from the first variant that sets every value it names.

        The first variant is the region's own (see `parameter_variants`); a criterion that only
        some counties have (an age limit) is worded with the values of one that has it, never
        with "None".  `shown_facts` fills fact placeholders (`{person.age}`) with the words
        already chosen for them.  Memoised: it is on the hot path.
        """
        params = variants[0]
        names = self._placeholders.get(id(text))
        if names is None:
            names = self._placeholders[id(text)] = text.placeholders()
        if len(variants) > 1:
            # The region is unknown (or a province code) and its counties' values differ: the
            # wording names none of them ("监测线19560元" is 德化's, not this household's) but
            # says the figure is local (review9 F3).
            differing = [n for n in names if "." not in n and _differs(n, variants)]
            if differing:
                # A fresh Text: not memoised (the caches are keyed by the policy's own texts).
                local = _local_figure(text, differing)
                values: dict[str, object] = {
                    n: params.get(n)
                    if params.get(n) is not None
                    else next((v[n] for v in variants if v.get(n) is not None), NOT_SET[lang])
                    for n in local.placeholders()
                    if "." not in n
                }
                return local.format({**values, **(shown_facts or {})}).in_(lang)
        for candidate in variants:
            if all(candidate.get(name) is not None for name in names if "." not in name):
                params = candidate
                break
        else:
            if names:
                # No variant sets every value named: never show "None".  Callers choose texts
                # whose values are set (see `sets_all`); this is the last safeguard.  Not
                # memoised: the key below holds the id of a variant, and this dict is a
                # temporary whose id a later one may reuse.
                filled = {n: NOT_SET[lang] for n in names if "." not in n and params.get(n) is None}
                return text.format({**params, **filled, **(shown_facts or {})}).in_(lang)
        if shown_facts:
            # Fact values make the wording per applicant: not memoised.
            return text.format({**params, **shown_facts}).in_(lang)
        key = (id(text), id(params), lang)
        found = self._wording_cache.get(key)
        if found is None:
            found = text.format(params).in_(lang)
            if len(self._wording_cache) < 262_144:
                self._wording_cache[key] = found
        return found

    def sets_all(self, text: Text, params: Mapping[str, object]) -> bool:
        """Whether `params` give a value for every parameter `text` names."""
        return all(params.get(n) is not None for n in text.placeholders() if "." not in n)

    def applies_under(self, criterion: CompiledCriterion, params: Mapping[str, object]) -> bool:
        """Whether the criterion can be applied under these parameter values.

        A criterion reading a parameter with no value (not set for the region, not yet in force,
        or ended) is left out of the verdict: the programme is decided on its other criteria,
        and the determination's warnings name the gap.  It never stays `unknown` with nothing
        the applicant could answer (finding 13).
        """
        return all(params.get(name) is not None for name in criterion.required_params)

    def rule_params(self) -> frozenset[str]:
        """The parameters some rule reads (criteria, amounts, steps), not only some wording."""
        found: set[str] = set()
        for criterion in self.criteria:
            found |= rules.param_names(criterion.test)
            if criterion.applies_when is not None:
                found |= rules.param_names(criterion.applies_when)
        for amount in self.amounts:
            found |= rules.param_names(amount.when) | rules.param_names(amount.amount)
        for step in (*self.next_steps, *self.documents):
            if step.when is not None:
                found |= rules.param_names(step.when)
        return frozenset(found)

    def gaps(self, region_code: str | None, as_of: dt.date) -> tuple[Gap, ...]:
        """The parameters some rule reads that have no value in force for the region and date."""
        found = []
        for name in sorted(self.rule_params()):
            gap = parameter_gap(name, self.policy.parameters[name], region_code, as_of)
            if gap is not None:
                found.append(gap)
        return tuple(found)

    def not_in_force_from(self, region_code: str | None, as_of: dt.date) -> dt.date | None:
        """The first date of the programme when none of its rules had started on `as_of`
        (finding 13), else None.

        Such a programme is not in force: the answer is `ineligible` with the one criterion
        `NOT_IN_FORCE` ("在这个日期还没有这项政策（从2021年1月1日起）"), nothing asked, no amount.
        A programme some of whose rules have started is decided on those (`gaps`).
        """
        gaps = self.gaps(region_code, as_of)
        if not gaps or len(gaps) < len(self.rule_params()) or any(g.ended for g in gaps):
            return None
        return min((g.starts for g in gaps if g.starts is not None), default=None)

    def not_in_force_sources(self, region_code: str | None, starts: dt.date) -> tuple[str, ...]:
        """The sources of the values that start the programme on `starts` (what it cites)."""
        found: list[str] = []
        for name in sorted(self.rule_params()):
            entry = select_parameter_value(self.policy.parameters[name], region_code, starts)
            if entry is not None and entry.since == starts and entry.source not in found:
                found.append(entry.source)
        return tuple(found)

    def named_on(self, as_of: dt.date) -> tuple[Text, Text, Text]:
        """The programme's name, summary and who as they read on `as_of` (see `Renaming`)."""
        name, summary, who = self.policy.name, self.policy.summary, self.policy.who
        for renaming in sorted(self.policy.renamed, key=lambda r: r.since):
            if renaming.since <= as_of:
                name = renaming.name
                summary = renaming.summary or summary
                who = renaming.who or who
        return name, summary, who

    def confirmed_until(self, region_code: str | None) -> dt.date | None:
        """The last date the rules for the region were checked (most specific region first)."""
        best: tuple[int, dt.date] | None = None
        for region, until in self.policy.confirmed_until_by_region.items():
            if (region_code or "").startswith(region) and (best is None or len(region) > best[0]):
                best = (len(region), until)
        return self.policy.confirmed_until if best is None else best[1]

    def warnings(self, region_code: str | None, as_of: dt.date, lang: Lang) -> tuple[str, ...]:
        """Plain-words warnings for a determination: rules for the date not yet verified, and
        rules not in force on the date (not yet started, or a local table that has ended).

        They depend only on the programme, the region and the date, and name no date of
        `as_of` but its year: the batch path words them once per parameter profile and year.
        """
        key = (region_code or "", as_of, lang)
        found = self._warnings_cache.get(key)
        if found is None:
            found = tuple(self._warnings(region_code, as_of, lang))
            if len(self._warnings_cache) < 65_536:
                self._warnings_cache[key] = found
        return found

    def _warnings(self, region_code: str | None, as_of: dt.date, lang: Lang) -> list[str]:
        said: list[str] = []

        def say(text: Text, **values: object) -> None:
            line = text.format(values).in_(lang).strip()
            # Whole sentences: the batch runs them together in one cell.
            if line and line[-1] not in "。！？.!?":
                line += "。" if lang == "zh" else "."
            if line not in said:
                said.append(line)

        gaps = self.gaps(region_code, as_of)
        params = self.policy.parameters
        confirmed = self.confirmed_until(region_code)
        # Where a local table has ended, its warning says the old rules are *not* used; "下面按
        # 2024年的规定算" beside it would contradict it.
        ended = any(g.ended is not None and params[g.name].gap_note is None for g in gaps)
        if confirmed is not None and as_of > confirmed and not ended:
            say(
                self.policy.unconfirmed_warning or UNCONFIRMED_WARNING,
                year=as_of.year,
                confirmed=_period_words(confirmed, lang),
            )
        if self.not_in_force_from(region_code, as_of) is not None:
            # The answer's one criterion says so ("在这个日期还没有这项政策"); nothing to add.
            return said
        for gap in (g for g in gaps if g.ended is None):
            note = params[gap.name].gap_note
            if note is not None:
                say(note)
            elif gap.starts is not None:
                say(
                    NOT_YET_PARAMETER,
                    what=params[gap.name].description.in_(lang),
                    starts=_date_words(gap.starts, lang),
                )
        # A criterion left out because its parameter is deliberately not set here says why,
        # if the entry says ("2026年起借款人年龄由银行按规定掌握").
        for name in sorted({n for c in self.criteria for n in c.required_params}):
            entry = select_parameter_value(params[name], region_code, as_of)
            if entry is not None and entry.value is None and entry.note is not None:
                say(entry.note)
        local_last: dt.date | None = None
        for gap in gaps:
            if gap.ended is None:
                continue
            note = params[gap.name].gap_note
            if note is not None:
                say(note)
                continue
            assert gap.ended.until is not None
            last = gap.ended.until - dt.timedelta(days=1)
            if gap.ended.region is None:
                say(
                    ENDED_NATIONAL,
                    what=params[gap.name].description.in_(lang),
                    last=_period_words(last, lang),
                    year=as_of.year,
                )
            elif local_last is None or last > local_last:
                local_last = last
        if local_last is not None:
            say(ENDED_TABLE, last=_period_words(local_last, lang), year=as_of.year)
        return said

    def parameter_source(
        self, name: str, region_code: str | None, as_of: dt.date
    ) -> ParameterValue | None:
        """The value entry that is in force (with its source), or None before any is."""
        return select_parameter_value(self.policy.parameters[name], region_code, as_of)

    def citation(self, key: str) -> Citation:
        """The citation for source `key` of this policy."""
        return _citation(self.policy.sources[key])


class Gap(msgspec.Struct, frozen=True, kw_only=True):
    """A parameter with no value in force on a date, and why.

    `ended` is the regional (or national) entry whose `until` has passed and that nothing renewed;
    `starts` is the first `since` on or after the date when no entry had started yet (finding 13).
    """

    name: str
    ended: ParameterValue | None = None
    starts: dt.date | None = None


def _resolve(
    param: Parameter, region_code: str | None, as_of: dt.date
) -> tuple[ParameterValue | None, ParameterValue | None]:
    """(the entry in force, the ended entry that leaves the parameter without one).

    Walks the matching regions from the most specific: each region's latest entry that has
    started is in force unless its `until` has passed.  A *regional* entry that has ended gives
    way to the next less specific *regional* entry in force (元谋's 2023 line ended; 云南's 2025
    province line answers for 元谋 in 2025).  It never gives way to the national entry (no
    `region`): there the county or province had its own rule, its rule for the later year is
    unknown, and the national default could flip the answer (崇信's 省内市外 coverage, 环江's age
    limit), so the parameter is not in force and the most specific ended entry is the gap.
    """
    latest: dict[str, ParameterValue] = {}
    for entry in param.values:
        if entry.since > as_of:
            continue
        region = entry.region or ""
        if entry.region is not None and not (region_code or "").startswith(region):
            continue
        held = latest.get(region)
        if held is None or entry.since > held.since:
            latest[region] = entry
    ended: ParameterValue | None = None
    for region in sorted(latest, key=len, reverse=True):
        entry = latest[region]
        if ended is not None and entry.region is None:
            break  # an ended regional rule does not fall back to the national default
        if entry.until is None or entry.until > as_of:
            return entry, None
        if ended is None:
            ended = entry
    return None, ended


def select_parameter_value(
    param: Parameter, region_code: str | None, as_of: dt.date
) -> ParameterValue | None:
    """The entry in force: the most specific matching region, then the latest `since`.

    None before any entry has started, and also when that entry has ended (`until <= as_of`)
    and nothing less specific but regional is in force (see `_resolve`: an ended county table
    gives way to its province's value in force, never to the national default).  The
    parameter is then "not in force" (a `Gap`): the criteria reading it are left out of the
    verdict, the amount is "set by your county", and the determination's warnings say so.  A
    later entry for the same region (a renewed table) ends the gap.
    """
    return _resolve(param, region_code, as_of)[0]


def parameter_gap(
    name: str, param: Parameter, region_code: str | None, as_of: dt.date
) -> Gap | None:
    """Why no value of the parameter is in force, or None when one is (`unset` counts as one)."""
    entry, ended = _resolve(param, region_code, as_of)
    if entry is not None:
        return None
    if ended is not None:
        return Gap(name=name, ended=ended)
    later = [
        e.since
        for e in param.values
        if e.region is None or (region_code or "").startswith(e.region)
    ]
    return Gap(name=name, starts=min(later) if later else None)


def resolve_parameter(param: Parameter, region_code: str | None, as_of: dt.date) -> ParamValue:
    """The value in force, or None (not set, or no value in force on the date)."""
    entry = select_parameter_value(param, region_code, as_of)
    return None if entry is None else entry.value


def _citation(source: Source) -> Citation:
    return Citation(
        title=source.title,
        issuer=source.issuer,
        number=source.number,
        article=source.article,
        date=source.date,
        url=source.url,
    )


# --- sources by id (eligibility.sources says which a determination names) ---------------


def _document_key(source: Source) -> tuple[str, str, str | None, dt.date | None]:
    """What makes two sources one document: title, issuer, number and date (the article is
    where a programme cites it; a link or note one file gives and another omits is no
    different document: 人社部发〔2022〕13号 in two files)."""
    return (source.title, source.issuer, source.number, source.date)


@dataclass(frozen=True)
class SourceRegistry:
    """Every document the programmes cite, by a stable, readable id.

    `citations` maps id → document; `ids` maps (programme id, source key in its file) → id.  An
    id is the source key a file gives the document (the first programme's, in the policy set's
    order); a key that two different documents share is written `programme.key` for each of them.
    """

    citations: Mapping[str, Citation]
    ids: Mapping[tuple[str, str], str]

    def id_of(self, programme: str, key: str) -> str:
        """The registry id of source `key` of `programme` (KeyError if it has none)."""
        return self.ids[(programme, key)]

    def cited(self, ids: Iterable[str]) -> dict[str, Citation]:
        """The table an answer carries for the ids its determinations name, in first-named order."""
        return {i: self.citations[i] for i in dict.fromkeys(ids)}


def build_registry(programmes: Mapping[str, Programme]) -> SourceRegistry:
    """The registry of the programmes' sources (built once, when the policy set loads).

    Each document once, without an article; its link the first file's that gives one.
    """
    users_of: dict[tuple[object, ...], list[tuple[str, str]]] = {}
    url_of: dict[tuple[object, ...], str | None] = {}
    for pid, programme in programmes.items():
        for key, source in programme.policy.sources.items():
            doc = _document_key(source)
            users_of.setdefault(doc, []).append((pid, key))
            url_of[doc] = url_of.get(doc) or source.url
    first_key: dict[str, int] = {}
    for users in users_of.values():
        first_key[users[0][1]] = first_key.get(users[0][1], 0) + 1
    citations: dict[str, Citation] = {}
    ids: dict[tuple[str, str], str] = {}
    for found, users in users_of.items():
        pid, key = users[0]
        source_id = key if first_key[key] == 1 else f"{pid}.{key}"
        source = programmes[pid].policy.sources[key]
        citations[source_id] = Citation(
            title=source.title,
            issuer=source.issuer,
            number=source.number,
            date=source.date,
            url=url_of[found],
        )
        ids.update(dict.fromkeys(users, source_id))
    return SourceRegistry(citations=citations, ids=ids)


@dataclass(frozen=True)
class PolicySet:
    """All programmes and the fact catalogue, with the content hash that identifies them."""

    programmes: Mapping[str, Programme]
    facts: Mapping[str, FactSpec]
    version: str
    sources: Mapping[str, bytes]
    # Combined questions and the child's programmes (facts.toml), for the bot's asking.
    questions: tuple[QuestionSpec, ...] = ()
    child: ChildSpec | None = None
    # Each fact's and question's `ask_when`, parsed.
    gates: Mapping[str, rules.Expr] = field(default_factory=dict)
    # Every cited document once, by id (`build_registry`): what determinations name.
    registry: SourceRegistry = field(default_factory=lambda: SourceRegistry({}, {}))

    def fact_rank(self, path: str) -> int:
        """Where a fact stands in the asking order (unknown facts last)."""
        return _ranks(self).get(path, len(self.facts))

    def programme(self, programme_id: str) -> Programme:
        """The programme, or KeyError naming it."""
        try:
            return self.programmes[programme_id]
        except KeyError:
            raise KeyError(f"unknown programme {programme_id!r}") from None


_rank_cache: dict[str, dict[str, int]] = {}


def _ranks(policies: PolicySet) -> dict[str, int]:
    found = _rank_cache.get(policies.version)
    if found is None:
        found = {path: i for i, path in enumerate(policies.facts)}
        _rank_cache[policies.version] = found
    return found


def policy_version(sources: Mapping[str, bytes]) -> str:
    """Content hash of a policy set: the same files give the same version anywhere."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name] + b"\0")
    return "ps-" + digest.hexdigest()[:16]


def bundled_sources() -> dict[str, bytes]:
    """The policy files shipped with the package, by file name."""
    folder = resources.files("eligibility") / "policies"
    return {
        entry.name: entry.read_bytes() for entry in folder.iterdir() if entry.name.endswith(".toml")
    }


def load_bundled() -> PolicySet:
    """Load and check the bundled policy set (the only I/O the core does)."""
    return load_policy_set(bundled_sources())


def load_policy_set(sources: Mapping[str, bytes], *, run_examples: bool = True) -> PolicySet:
    """Decode, check and (unless told not to) run every example; raise `PolicyError` if any fails.

    `sources` maps file names to their bytes, so a stored snapshot loads exactly like the
    bundled files.
    """
    if CATALOGUE_FILE not in sources:
        raise PolicyError(f"{CATALOGUE_FILE}: the fact catalogue is missing")
    catalogue = _decode(CATALOGUE_FILE, sources[CATALOGUE_FILE], FactCatalogueFile)
    facts = {spec.path: spec for spec in catalogue.facts}
    known_facts = set(facts) | set(DERIVED_FACTS)
    for spec in catalogue.facts:
        if spec.asked_with is not None and spec.asked_with not in facts:
            raise PolicyError(f"{CATALOGUE_FILE}: {spec.path} asked with unknown {spec.asked_with}")
    definitions = _definitions(catalogue, known_facts)

    programmes: dict[str, Programme] = {}
    for name in sorted(sources):
        if name == CATALOGUE_FILE:
            continue
        policy = _decode(name, sources[name], PolicyFile)
        if f"{policy.id}.toml" != name:
            raise PolicyError(f"{name}: id {policy.id!r} does not match the file name")
        programmes[policy.id] = _compile(name, policy, known_facts, definitions)

    ordered = {pid: programmes[pid] for pid in PROGRAMME_ORDER if pid in programmes}
    ordered.update({pid: p for pid, p in programmes.items() if pid not in ordered})
    policy_set = PolicySet(
        programmes=ordered,
        facts=facts,
        version=policy_version(sources),
        sources=dict(sources),
        questions=catalogue.questions,
        child=catalogue.child,
        gates=_gates(catalogue, known_facts, set(ordered)),
        registry=build_registry(ordered),
    )
    if run_examples:
        check_examples(policy_set)
    return policy_set


def _gates(
    catalogue: FactCatalogueFile, known_facts: set[str], programmes: set[str]
) -> dict[str, rules.Expr]:
    """Each `ask_when` parsed (by fact path, or by combined question id), its facts checked."""
    gates: dict[str, rules.Expr] = {}
    wanted = [(spec.path, spec.ask_when) for spec in catalogue.facts]
    wanted += [(q.id, q.ask_when) for q in catalogue.questions]
    if catalogue.child is not None:
        wanted.append(("child", catalogue.child.when))
    for key, source in wanted:
        if source is None:
            continue
        try:
            parsed = rules.parse(source)
        except rules.RuleSyntaxError as exc:
            raise PolicyError(f"{CATALOGUE_FILE}: {key}: ask_when: {exc}") from None
        unknown = rules.fact_paths(parsed) - known_facts
        if unknown:
            raise PolicyError(f"{CATALOGUE_FILE}: {key}: unknown facts {sorted(unknown)}")
        gates[key] = parsed
    for question in catalogue.questions:
        named = set(question.facts) | {f for c in question.choices for f in c.sets}
        if question.typed is not None:
            named |= {*question.typed.facts, *question.typed.sets}
        if named - known_facts:
            raise PolicyError(
                f"{CATALOGUE_FILE}: {question.id}: unknown facts {sorted(named - known_facts)}"
            )
    if catalogue.child is not None and set(catalogue.child.programmes) - programmes:
        raise PolicyError(f"{CATALOGUE_FILE}: child: unknown programmes")
    return gates


def _decode(name: str, raw: bytes, kind: type[_T]) -> _T:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return msgspec.convert(data, kind)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, msgspec.ValidationError) as exc:
        raise PolicyError(f"{name}: {exc}") from None


def _definitions(catalogue: FactCatalogueFile, known_facts: set[str]) -> dict[str, rules.Expr]:
    """The catalogue's shared definitions, parsed; one may use those defined before it."""
    parsed: dict[str, rules.Expr] = {}
    for key, definition in catalogue.definitions.items():
        where = f"{CATALOGUE_FILE}: definition {key!r}"
        try:
            expr = rules.expand_definitions(rules.parse(definition.test), parsed)
        except rules.RuleSyntaxError as exc:
            raise PolicyError(f"{where}: {exc}") from None
        except KeyError as exc:
            raise PolicyError(f"{where}: unknown definition {exc.args[0]!r}") from None
        unknown = rules.fact_paths(expr) - known_facts
        if unknown:
            raise PolicyError(f"{where}: unknown facts {sorted(unknown)}")
        if rules.param_names(expr):
            raise PolicyError(f"{where}: a shared definition may not read parameters")
        parsed[key] = expr
    return parsed


def _compile(
    name: str, policy: PolicyFile, known_facts: set[str], definitions: Mapping[str, rules.Expr]
) -> Programme:
    def expr(where: str, source: str) -> rules.Expr:
        try:
            parsed = rules.expand_definitions(rules.parse(source), definitions)
        except rules.RuleSyntaxError as exc:
            raise PolicyError(f"{name}: {where}: {exc}") from None
        except KeyError as exc:
            raise PolicyError(f"{name}: {where}: unknown definition {exc.args[0]!r}") from None
        unknown_facts = rules.fact_paths(parsed) - known_facts
        if unknown_facts:
            raise PolicyError(f"{name}: {where}: unknown facts {sorted(unknown_facts)}")
        unknown_params = rules.param_names(parsed) - set(policy.parameters)
        if unknown_params:
            raise PolicyError(f"{name}: {where}: unknown parameters {sorted(unknown_params)}")
        return parsed

    def cite(where: str, keys: Iterable[str]) -> tuple[Citation, ...]:
        keys = tuple(keys)
        if not keys:
            raise PolicyError(f"{name}: {where} cites no source")
        for key in keys:
            if key not in policy.sources:
                raise PolicyError(f"{name}: {where} cites unknown source {key!r}")
        return tuple(_citation(policy.sources[k]) for k in keys)

    seen: set[str] = set()
    criteria = []
    for criterion in policy.criteria:
        if criterion.id in seen:
            raise PolicyError(f"{name}: criterion {criterion.id!r} is defined twice")
        seen.add(criterion.id)
        where = f"criterion {criterion.id!r}"
        for outcome in ("met", "not_met", "unknown"):
            own: Text | None = getattr(criterion, outcome)
            if own is None:
                continue
            names = own.placeholders()
            facts_named = {n for n in names if "." in n} - known_facts
            params_named = {n for n in names if "." not in n} - set(policy.parameters)
            if facts_named or params_named:
                raise PolicyError(
                    f"{name}: {where} {outcome}: unknown placeholders "
                    f"{sorted(facts_named | params_named)}"
                )
        criteria.append(
            CompiledCriterion(
                spec=criterion,
                test=expr(where, criterion.test),
                applies_when=(
                    expr(where + " applies_when", criterion.applies_when)
                    if criterion.applies_when
                    else None
                ),
                citations=cite(where, criterion.sources),
            )
        )
    for pname, param in policy.parameters.items():
        if not param.values:
            raise PolicyError(f"{name}: parameter {pname!r} has no values")
        for entry in param.values:
            cite(
                f"parameter {pname!r} ({entry.since}, {entry.region or 'national'})", [entry.source]
            )
            if (entry.value is None) != entry.unset:
                raise PolicyError(
                    f"{name}: parameter {pname!r} ({entry.since}): give a value or unset = true"
                )
            if entry.until is not None and entry.until <= entry.since:
                raise PolicyError(
                    f"{name}: parameter {pname!r} ({entry.since}): until must be after since"
                )
            if entry.region is not None and not is_region_code(entry.region):
                raise PolicyError(f"{name}: parameter {pname!r}: bad region {entry.region!r}")

    def check_region(where: str, region: str) -> None:
        if not is_region_code(region):
            raise PolicyError(f"{name}: {where}: bad region {region!r}")

    for region in policy.confirmed_until_by_region:
        check_region("confirmed_until_by_region", region)
    for kind, items in (("next step", policy.next_steps), ("document", policy.documents)):
        for i, step in enumerate(items):
            for region in step.regions:
                check_region(f"{kind} {i}", region)
    amounts = tuple(
        CompiledAmount(
            spec=rule,
            when=expr(f"benefit amount {i}", rule.when),
            amount=expr(f"benefit amount {i}", rule.amount),
        )
        for i, rule in enumerate(policy.benefit.amounts)
    )
    benefit_citations = cite("benefit", policy.benefit.sources) if amounts else ()

    def steps(kind: str, items: tuple[Step, ...]) -> tuple[CompiledStep, ...]:
        return tuple(
            CompiledStep(spec=s, when=expr(f"{kind} {i}", s.when) if s.when else None)
            for i, s in enumerate(items)
        )

    return Programme(
        id=policy.id,
        policy=policy,
        criteria=tuple(criteria),
        amounts=amounts,
        next_steps=steps("next step", policy.next_steps),
        documents=steps("document", policy.documents),
        benefit_citations=benefit_citations,
    )


def check_examples(policy_set: PolicySet) -> None:
    """Run every programme's examples; raise `PolicyError` naming the first that fails."""
    # Imported here: the determination module needs PolicySet, defined above.
    from eligibility.determination import determine_programme

    for programme in policy_set.programmes.values():
        if not programme.policy.examples:
            raise PolicyError(f"{programme.id}.toml: a policy must carry examples")
        for example in programme.policy.examples:
            where = f"{programme.id}.toml: example {example.name!r}"
            try:
                applicant = msgspec.convert(example.facts, Applicant)
            except msgspec.ValidationError as exc:
                raise PolicyError(f"{where}: bad facts: {exc}") from None
            if applicant.as_of is None:
                raise PolicyError(f"{where}: examples must give as_of")
            result = determine_programme(programme, applicant, policy_set, lang="en")
            problems = []
            expect = example.expect
            if result.verdict != expect.verdict:
                problems.append(f"verdict {result.verdict!r}, expected {expect.verdict!r}")
            if expect.amount is not msgspec.UNSET:
                wanted = None if expect.amount == "none" else expect.amount
                if result.amount != wanted:
                    problems.append(f"amount {result.amount!r}, expected {wanted!r}")
            if expect.not_met is not msgspec.UNSET:
                got = tuple(c.id for c in result.criteria if c.outcome == "not_met")
                if set(got) != set(expect.not_met):
                    problems.append(f"not met {list(got)}, expected {list(expect.not_met)}")
            if expect.missing is not msgspec.UNSET:
                got_missing = tuple(m.fact for m in result.missing)
                if got_missing != expect.missing:
                    problems.append(f"missing {list(got_missing)}, expected {list(expect.missing)}")
            if problems:
                raise PolicyError(f"{where} fails: " + "; ".join(problems))
