"""The compiled programme: a policy file with its expressions parsed and its sources resolved.

What a determination reads: the criteria, amounts and steps compiled, the parameters in force for
a region and date (`select_parameter_value`, the gaps where none is), the wording filled in from
them, the warnings, and the `PolicySet` that holds every programme with the fact catalogue.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from eligibility import rules
from eligibility.answer import Determination
from eligibility.catalogue import ChildSpec, FactSpec, QuestionSpec
from eligibility.policy_file import (
    AmountRule,
    Criterion,
    Parameter,
    ParameterValue,
    ParamValue,
    PolicyFile,
    Source,
    Step,
    Verdict,
)
from eligibility.text import Lang, Text

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
# ...where a rule in force on the date was found from a source later than the last year the
# rules were checked (贵州 2025: 百里杜鹃管理区's 2025 notice, "待核实"; checked to 2023): "下面按
# 2023年的规定算" beside its 2025 amount would be false.
UNCONFIRMED_LATER_WARNING = Text(
    zh="{year}年的具体标准还没有核实，下面按查到的{found}的规定算，请以县里公布的为准。",
    en="The rules for {year} have not been verified yet; this follows the rules found for "
    "{found}. What your county announces prevails.",
)
# A warning's code begins so (`Programme.coded_warnings`): told apart from reason codes
# (`<criterion>!` / `<criterion>?`) in a batch's cells and legend.
WARNING_CODE_PREFIX = "warn."
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
    zh="全国统一的“{what}”这里只查到{last}的；{year}年的由省里、县里定，这里还没有查到，"
    "请以当地公布的为准。",
    en="The national “{what}” is recorded here only for {last}; for {year} your province and "
    "county set it and it has not been found: what they announce prevails.",
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


class Citation(msgspec.Struct, frozen=True, kw_only=True):
    """A source as cited by a determination: the document and where in it."""

    title: str
    issuer: str
    number: str | None = None
    article: str | None = None
    date: dt.date | None = None
    url: str | None = None


@dataclass(frozen=True)
class CompiledCriterion:
    """A criterion with its expressions parsed."""

    spec: Criterion
    test: rules.Expr
    applies_when: rules.Expr | None
    citations: tuple[Citation, ...]
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
    # `PolicyFile.suggest_when`, compiled; None: suggestions for everyone.
    suggest_when: rules.Expr | None = None
    _params_cache: dict[tuple[str, dt.date], dict[str, ParamValue]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _params_interned: dict[bytes, dict[str, ParamValue]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _variants_cache: dict[tuple[str, dt.date], tuple[dict[str, ParamValue], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _warnings_cache: dict[tuple[str, dt.date, str], tuple[tuple[str, str], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # The ids of the criteria confirmed at application (`to_confirm_at_application`).
    _confirmed_ids: frozenset[str] = field(init=False, compare=False, repr=False)
    # `rule_params`, which every plan built asks for (walking every rule) several times.
    _rule_params: frozenset[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        confirmed = frozenset(c.spec.id for c in self.criteria if c.spec.confirmed_by is not None)
        object.__setattr__(self, "_confirmed_ids", confirmed)
        object.__setattr__(self, "_rule_params", self._params_read())

    def parameters(self, region_code: str | None, as_of: dt.date) -> dict[str, ParamValue]:
        """Every parameter's value in force for the region on the date (most specific wins)."""
        key = (region_code or "", as_of)
        found = self._params_cache.get(key)
        if found is None:
            found = {
                name: resolve_parameter(param, region_code, as_of)
                for name, param in self.policy.parameters.items()
            }
            # Most dates and regions share the same values: one dict per distinct set of values,
            # so `parameter_variants` tells variants apart by identity.
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
    ) -> str:
        """`text` in `lang`, filled in from the first variant that sets every value it names.

        The first variant is the region's own (see `parameter_variants`); a criterion that only
        some counties have (an age limit) is worded with the values of one that has it, never
        with "None"; fact placeholders (`{person.age}`) are left for the plan to fill with the
        applicant's own values.  Called when a decision plan is built (`eligibility.plan`), not
        per applicant.
        """
        params = variants[0]
        names = text.placeholders()
        if len(variants) > 1:
            # The region is unknown (or a province code) and its counties' values differ: the
            # wording names none of them ("监测线19560元" is 德化's, not this household's) but
            # says the figure is local (review9 F3).
            differing = [n for n in names if "." not in n and _differs(n, variants)]
            if differing:
                local = _local_figure(text, differing)
                values: dict[str, object] = {
                    n: params.get(n)
                    if params.get(n) is not None
                    else next((v[n] for v in variants if v.get(n) is not None), NOT_SET[lang])
                    for n in local.placeholders()
                    if "." not in n
                }
                return local.format(values).in_(lang)
        for candidate in variants:
            if all(candidate.get(name) is not None for name in names if "." not in name):
                params = candidate
                break
        else:
            if names:
                # No variant sets every value named: never show "None".  Callers choose texts
                # whose values are set (see `sets_all`); this is the last safeguard.
                filled = {n: NOT_SET[lang] for n in names if "." not in n and params.get(n) is None}
                return text.format({**params, **filled}).in_(lang)
        return text.format(params).in_(lang)

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

    @property
    def lends(self) -> bool:
        """Whether its amount is a sum to borrow (a cap, repaid), not money paid out: never
        added to what a household gets, never "more money"."""
        return self.policy.benefit.paid == "loan"

    def amount_params(self) -> frozenset[str]:
        """The parameters the amount rules read (their conditions and their sums)."""
        found: set[str] = set()
        for amount in self.amounts:
            found |= rules.param_names(amount.when) | rules.param_names(amount.amount)
        return frozenset(found)

    def gap_step(self, gaps: tuple[Gap, ...]) -> Text | None:
        """The next step for rules not in force on a date: the programme's own, the one for
        conditions alone where the amount reads none of `gaps`, else the engine's; None
        without gaps."""
        if not gaps:
            return None
        amount_params = self.amount_params()
        if self.policy.conditions_gap_step is not None and all(
            gap.name not in amount_params for gap in gaps
        ):
            return self.policy.conditions_gap_step
        return self.policy.gap_step or GAP_STEP

    def rule_params(self) -> frozenset[str]:
        """The parameters some rule reads (criteria, amounts, steps), not only some wording."""
        return self._rule_params

    def _params_read(self) -> frozenset[str]:
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

    def to_confirm_at_application(self, verdict: Verdict, unknown: Iterable[str]) -> bool:
        """Whether an answer of `verdict` whose unknown criteria are those with the ids
        `unknown` waits only on what a named party confirms at application
        (`Criterion.confirmed_by`: a 2026 loan the bank checks the borrower for): nothing is
        left to ask, and it is one to apply for (`StepVerdict` `to_confirm_at_application`)."""
        if verdict != "needs_info" or not self._confirmed_ids:
            return False
        ids = set(unknown)
        return bool(ids) and ids <= self._confirmed_ids

    def can_apply(self, verdict: Verdict, unknown: Iterable[str]) -> bool:
        """Whether an answer is one to apply for: eligible, or waiting only on what is confirmed
        at application (`to_confirm_at_application`).  What a suggestion aims at
        (`eligibility.whatif`): a 2026 帮扶小额信贷 is never `eligible` before the bank's checks."""
        return verdict == "eligible" or self.to_confirm_at_application(verdict, unknown)

    def answer_to_confirm(self, answer: Determination) -> bool:
        """`to_confirm_at_application` of an answer in full (its unknown criteria)."""
        unknown = (c.id for c in answer.criteria if c.outcome == "unknown")
        return self.to_confirm_at_application(answer.verdict, unknown)

    def answer_can_apply(self, answer: Determination) -> bool:
        """`can_apply` of an answer in full: what the doors and the re-checks of a suggestion
        ask of a determination."""
        return answer.verdict == "eligible" or self.answer_to_confirm(answer)

    def confirmed_until(self, region_code: str | None) -> dt.date | None:
        """The last date the rules for the region were checked (most specific region first)."""
        best: tuple[int, dt.date] | None = None
        for region, until in self.policy.confirmed_until_by_region.items():
            if (region_code or "").startswith(region) and (best is None or len(region) > best[0]):
                best = (len(region), until)
        return self.policy.confirmed_until if best is None else best[1]

    def checked_on(self, region_code: str | None, as_of: dt.date) -> bool:
        """Whether the rules for the region were checked for the date (`confirmed_until`), so
        that an amount they give may be summed as confirmed (the household plan's total, the
        batch's 汇总)."""
        confirmed = self.confirmed_until(region_code)
        return confirmed is None or as_of <= confirmed

    def warnings(self, region_code: str | None, as_of: dt.date, lang: Lang) -> tuple[str, ...]:
        """Plain-words warnings for a determination: rules for the date not yet verified, and
        rules not in force on the date (not yet started, or a local table that has ended).

        They depend only on the programme, the region and the date, and name no date of
        `as_of` but its year: the batch path words them once per parameter profile and year.
        """
        return tuple(line for _, line in self.coded_warnings(region_code, as_of, lang))

    def coded_warnings(
        self, region_code: str | None, as_of: dt.date, lang: Lang
    ) -> tuple[tuple[str, str], ...]:
        """The warnings of `warnings`, each with its code: what it is about, the same in every
        language (`warn.unconfirmed.<year>`, `warn.not_yet.<parameter>`,
        `warn.note.<parameter>`, `warn.unset.<parameter>`, `warn.ended.<parameter>.<year>`,
        `warn.table_ended.<year>`: those whose words name the year decided for carry it, so
        that one code has one wording per place in the legend); a batch with reason codes
        shows these and spells them out in its legend (`WARNING_CODE_PREFIX`)."""
        key = (region_code or "", as_of, lang)
        found = self._warnings_cache.get(key)
        if found is None:
            found = tuple(self._warnings(region_code, as_of, lang))
            if len(self._warnings_cache) < 65_536:
                self._warnings_cache[key] = found
        return found

    def _warnings(
        self, region_code: str | None, as_of: dt.date, lang: Lang
    ) -> list[tuple[str, str]]:
        said: list[tuple[str, str]] = []

        def say(code: str, text: Text, **values: object) -> None:
            line = text.format(values).in_(lang).strip()
            # Whole sentences: the batch runs them together in one cell.
            if line and line[-1] not in "。！？.!?":
                line += "。" if lang == "zh" else "."
            if all(line != seen for _, seen in said):
                said.append((WARNING_CODE_PREFIX + code, line))

        gaps = self.gaps(region_code, as_of)
        params = self.policy.parameters
        confirmed = self.confirmed_until(region_code)
        # Where a local table has ended, its warning says the old rules are *not* used; "下面按
        # 2024年的规定算" beside it would contradict it.
        ended = any(g.ended is not None and params[g.name].gap_note is None for g in gaps)
        if confirmed is not None and as_of > confirmed and not ended:
            found = self._latest_rule(region_code, as_of)
            if self.policy.unconfirmed_warning is None and found is not None and found > confirmed:
                say(
                    f"unconfirmed.{as_of.year}",
                    UNCONFIRMED_LATER_WARNING,
                    year=as_of.year,
                    found=f"{found.year}年" if lang == "zh" else str(found.year),
                )
            else:
                say(
                    f"unconfirmed.{as_of.year}",
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
                say(f"note.{gap.name}", note)
            elif gap.starts is not None:
                say(
                    f"not_yet.{gap.name}",
                    NOT_YET_PARAMETER,
                    what=params[gap.name].description.in_(lang),
                    starts=_date_words(gap.starts, lang),
                )
        # A criterion left out because its parameter is deliberately not set here says why,
        # if the entry says ("2026年起借款人年龄由银行按规定掌握").
        for name in sorted({n for c in self.criteria for n in c.required_params}):
            entry = select_parameter_value(params[name], region_code, as_of)
            if entry is not None and entry.value is None and entry.note is not None:
                say(f"unset.{name}", entry.note)
        local_last: dt.date | None = None
        for gap in gaps:
            if gap.ended is None:
                continue
            note = params[gap.name].gap_note
            if note is not None:
                say(f"note.{gap.name}", note)
                continue
            assert gap.ended.until is not None
            last = gap.ended.until - dt.timedelta(days=1)
            if gap.ended.region is None:
                say(
                    f"ended.{gap.name}.{as_of.year}",
                    ENDED_NATIONAL,
                    what=params[gap.name].description.in_(lang),
                    last=_period_words(last, lang),
                    year=as_of.year,
                )
            elif local_last is None or last > local_last:
                local_last = last
        if local_last is not None:
            say(
                f"table_ended.{as_of.year}",
                self.policy.table_ended_warning or ENDED_TABLE,
                last=_period_words(local_last, lang),
                year=as_of.year,
            )
        return said

    def _latest_rule(self, region_code: str | None, as_of: dt.date) -> dt.date | None:
        """The day the latest of the rules' values in force began (set values only)."""
        days = [
            entry.since
            for name in self.rule_params()
            if (entry := self.parameter_source(name, region_code, as_of)) is not None
            and entry.value is not None
        ]
        return max(days, default=None)

    def parameter_source(
        self, name: str, region_code: str | None, as_of: dt.date
    ) -> ParameterValue | None:
        """The value entry that is in force (with its source), or None before any is."""
        return select_parameter_value(self.policy.parameters[name], region_code, as_of)

    def citation(self, key: str) -> Citation:
        """The citation for source `key` of this policy."""
        return citation_of(self.policy.sources[key])


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
    limit), so the parameter is not in force, and the gap is the ended regional entry that
    answered last (the latest `until`).
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
        # The ended entry that answered last: 云南's 2025 line, not 元谋's own of 2023, which
        # gave way to it ("本地标准最晚只到2023年" was said of 元谋 in 2026).
        if ended is None or (
            ended.until is not None and entry.until is not None and entry.until > ended.until
        ):
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


def citation_of(source: Source) -> Citation:
    """The citation a determination gives for a policy file's source."""
    return Citation(
        title=source.title,
        issuer=source.issuer,
        number=source.number,
        article=source.article,
        date=source.date,
        url=source.url,
    )


@dataclass(frozen=True)
class SourceRegistry:
    """Every document the programmes cite, by a stable, readable id.

    `citations` maps id → document; `ids` maps (programme id, source key in its file) → id.  An
    id is the source key a file gives the document (the first programme's, in the policy set's
    order); a key that two different documents share is written `programme.key` for each of them.
    """

    citations: Mapping[str, Citation]
    ids: Mapping[tuple[str, str], str]
    # Which ids a criterion or an amount names depends on the programme, region and date only:
    # resolved once per profile (`eligibility.sources`), as the parameters are.
    memo: dict[tuple[object, ...], tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def id_of(self, programme: str, key: str) -> str:
        """The registry id of source `key` of `programme` (KeyError if it has none)."""
        return self.ids[(programme, key)]


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
    # Each fact with an `ask_when`: the facts its gate reads, as facts someone is asked
    # (`derive.askable`).  While all of them are still missing, the fact is not listed as
    # missing itself: it is asked after them (`plan.missing_facts`).
    asked_after: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Every cited document once, by id (`eligibility.sources.build_registry`): what
    # determinations name.
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
