"""Deciding: from an applicant's facts and a policy set to one `Determination` per programme.

A programme is `eligible` only when every criterion is met, `ineligible` as soon as one is not
met (all failing criteria listed), otherwise `needs_info` with the unknown facts that could still
change the verdict, best first.  Amounts, next steps and documents come from the policy; where a
bank or the county decides something no applicant can know, the next steps say so instead of
holding the verdict back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import msgspec

from eligibility import rules
from eligibility.derive import askable, flatten
from eligibility.facts import Applicant
from eligibility.policy_file import Verdict
from eligibility.programme import (
    AMOUNT_NOT_SET,
    GAP_STEP,
    NOT_IN_FORCE,
    NOT_IN_FORCE_CRITERION,
    NOT_IN_FORCE_LABEL,
    CompiledCriterion,
    CompiledStep,
    PolicySet,
    Programme,
)
from eligibility.sources import amount_sources, criterion_sources, ids_of
from eligibility.text import Lang, Text

Outcome = Literal["met", "not_met", "unknown"]
Params = Mapping[str, object]
_REGION = frozenset(("region_code",))

# How a verdict reads unless the programme words it itself (`verdict_labels` in its policy).
VERDICT_LABELS: dict[Verdict, dict[Lang, str]] = {
    "eligible": {"zh": "能办", "en": "You can apply"},
    "ineligible": {"zh": "不能办", "en": "Not possible"},
    "needs_info": {"zh": "还要确认", "en": "Still to confirm"},
}

OUTCOME_PREFIX: dict[Outcome, dict[Lang, str]] = {
    "met": {"zh": "符合：", "en": "Met: "},
    "not_met": {"zh": "不符合：", "en": "Not met: "},
    "unknown": {"zh": "待确认：", "en": "To confirm: "},
}


class CriterionResult(msgspec.Struct, frozen=True, kw_only=True):
    """One criterion's outcome, its wording (`text`), the reason shown (outcome + wording), and
    where the rule is written: the ids of its sources in `PolicySet.registry` (those in force for
    the region and date, `eligibility.sources.criterion_sources`)."""

    id: str
    outcome: Outcome
    text: str
    reason: str
    sources: tuple[str, ...] = ()


class MissingFact(msgspec.Struct, frozen=True, kw_only=True):
    """A fact still worth asking, how to ask it, and what its answer may change.

    `affects` is `verdict` (the programme's answer waits on it), `amount` (the verdict does not,
    the amount does) or `request` (a detail of what is asked for, such as the loan amount: the
    programme is open without it, and giving it has the request itself checked).
    """

    fact: str
    question: str
    kind: str
    options: tuple[tuple[str, str], ...] = ()
    affects: Literal["verdict", "amount", "request"] = "verdict"


class Determination(msgspec.Struct, frozen=True, kw_only=True):
    """The answer for one programme: verdict, amount, reasons, what is missing, what to do."""

    programme: str
    programme_name: str
    verdict: Verdict
    amount: int | None
    amount_unit: str | None
    amount_note: str | None
    criteria: tuple[CriterionResult, ...]
    missing: tuple[MissingFact, ...]
    request_details: tuple[MissingFact, ...]
    next_steps: tuple[str, ...]
    documents: tuple[str, ...]
    as_of: dt.date
    region_code: str | None
    policy_version: str
    facts_hash: str
    # Added later: stored determinations without them still decode.
    verdict_label: str | None = None
    warnings: tuple[str, ...] = ()
    # The registry ids the amount (or its note) rests on: the values in force for the region and
    # date, then the benefit's general sources (`eligibility.sources.amount_sources`).
    amount_sources: tuple[str, ...] = ()

    def source_ids(self) -> tuple[str, ...]:
        """Every source id the determination names, once each, criteria first."""
        named = [i for c in self.criteria for i in c.sources]
        return tuple(dict.fromkeys((*named, *self.amount_sources)))


def verdict_label(programme: Programme, verdict: Verdict, lang: Lang) -> str:
    """How the verdict reads for this programme ("目前不需要申请监测" for a referral's no)."""
    own: Text | None = getattr(programme.policy.verdict_labels, verdict)
    return VERDICT_LABELS[verdict][lang] if own is None else own.in_(lang)


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


def outcome_wording(
    programme: Programme,
    criterion: CompiledCriterion,
    outcome: Outcome,
    variants: Sequence[Params],
    lang: Lang,
    fact_value: Callable[[str], object],
    policies: PolicySet,
) -> str:
    """The criterion's wording for its outcome, with the facts it names filled in.

    Falls back to the general wording when a fact it names is unknown.  The batch path calls
    this too (with the row's values), so both paths word a reason the same way.
    """
    own = criterion.spec.outcome_text(outcome)
    names = [n for n in own.placeholders() if "." in n]
    if not names:
        return programme.wording(own, variants, lang)
    shown: dict[str, str] = {}
    for path in names:
        value = fact_value(path)
        if value is None:
            return programme.wording(criterion.spec.text, variants, lang)
        shown[path] = show_fact(policies, path, value, lang)
    return programme.wording(own, variants, lang, shown)


def facts_hash(facts: Mapping[str, Any]) -> str:
    """A stable hash of the (flattened, ID-free) facts a determination was made on."""
    encoded = msgspec.json.encode(dict(sorted(facts.items())))
    return "fh-" + hashlib.sha256(encoded).hexdigest()[:16]


def determine(
    applicant: Applicant,
    policies: PolicySet,
    *,
    programmes: Sequence[str] | None = None,
    lang: Lang = "zh",
    today: dt.date | None = None,
) -> list[Determination]:
    """One determination per programme (all, or those chosen), a pure function of its inputs.

    `as_of` is the applicant's, else `today` (the caller's clock: the core reads none).
    """
    chosen = list(policies.programmes) if programmes is None else list(programmes)
    as_of = applicant.as_of or today
    if as_of is None:
        raise ValueError("as_of: give the applicant's as_of or today's date")
    facts = flatten(applicant, as_of)
    hashed = facts_hash(facts)
    return [
        _determine(
            policies.programme(pid), facts, hashed, applicant.region_code, as_of, policies, lang
        )
        for pid in chosen
    ]


def determine_programme(
    programme: Programme, applicant: Applicant, policies: PolicySet, *, lang: Lang
) -> Determination:
    """The determination of one programme for an applicant whose `as_of` is set."""
    assert applicant.as_of is not None
    facts = flatten(applicant, applicant.as_of)
    return _determine(
        programme, facts, facts_hash(facts), applicant.region_code, applicant.as_of, policies, lang
    )


def _determine(
    programme: Programme,
    facts: Mapping[str, Any],
    hashed: str,
    region_code: str | None,
    as_of: dt.date,
    policies: PolicySet,
    lang: Lang,
) -> Determination:
    starts = programme.not_in_force_from(region_code, as_of)
    if starts is not None:
        return _not_in_force(programme, starts, hashed, region_code, as_of, policies, lang)
    variants = programme.parameter_variants(region_code, as_of)
    results: list[CriterionResult] = []
    hinges: dict[str, int] = {}
    any_unknown = False
    any_not_met = False
    requests: dict[str, int] = {}
    for criterion in programme.criteria:
        outcome, unknown_facts = _criterion_outcome(programme, criterion, facts, variants)
        for path in criterion.request_facts:
            if path not in facts:
                requests[path] = requests.get(path, 0) + 1
        if outcome is None:
            continue
        if outcome == "unknown":
            any_unknown = True
            for path in unknown_facts:
                hinges[path] = hinges.get(path, 0) + 1
        elif outcome == "not_met":
            any_not_met = True
        text = outcome_wording(programme, criterion, outcome, variants, lang, facts.get, policies)
        results.append(
            CriterionResult(
                id=criterion.spec.id,
                outcome=outcome,
                text=text,
                reason=OUTCOME_PREFIX[outcome][lang] + text,
                sources=criterion_sources(
                    policies.registry, programme, criterion, region_code, as_of
                ),
            )
        )

    verdict: Verdict = "ineligible" if any_not_met else "needs_info" if any_unknown else "eligible"
    amount, amount_note, amount_hinges = (None, None, frozenset[str]())
    if verdict != "ineligible" and programme.amounts:

        def note(text: Text | None) -> str | None:
            if text is None:
                return None
            if not any(programme.sets_all(text, params) for params in variants):
                # A note naming values not in force on the date ("原则上None元"): say so.
                text = programme.policy.benefit.unset_note or AMOUNT_NOT_SET
                if not any(programme.sets_all(text, params) for params in variants):
                    text = AMOUNT_NOT_SET
            return programme.wording(text, variants, lang)

        amount, amount_note, amount_hinges = _amount(programme, facts, variants[0], note)
        if amount is not None and len(variants) == 1:
            amount_note = _with_entry_note(programme, facts, region_code, as_of, amount_note, lang)
        for params in variants[1:]:
            other, _, other_hinges = _amount(programme, facts, params, note)
            amount_hinges |= other_hinges
            if other != amount:
                # The region decides the amount: say what the policy says in general.
                amount = None
                amount_note = note(programme.policy.benefit.note)
                amount_hinges |= _REGION

    missing: list[MissingFact] = []
    if verdict == "needs_info":
        missing.extend(_missing(hinges, policies, lang, "verdict"))
    if amount_hinges:
        known = {m.fact for m in missing}
        extra = {p: 1 for p in amount_hinges if p not in known}
        missing.extend(m for m in _missing(extra, policies, lang, "amount") if m.fact not in known)

    return Determination(
        programme=programme.id,
        programme_name=programme.named_on(as_of)[0].in_(lang),
        verdict=verdict,
        amount=amount,
        amount_unit=(
            programme.policy.benefit.unit.in_(lang) if programme.policy.benefit.unit else None
        ),
        amount_note=amount_note,
        amount_sources=(
            amount_sources(
                policies.registry,
                programme,
                region_code,
                as_of,
                None if amount is None else _amount_rule(programme, facts, variants[0]),
            )
            if amount is not None or amount_note is not None
            else ()
        ),
        criteria=tuple(results),
        missing=tuple(missing),
        request_details=(
            () if verdict == "ineligible" else tuple(_missing(requests, policies, lang, "request"))
        ),
        next_steps=_steps(
            programme, "next_steps", verdict, facts, variants[0], lang, region_code, as_of
        )
        + _gap_step(programme, verdict, region_code, as_of, lang),
        documents=_steps(
            programme, "documents", verdict, facts, variants[0], lang, region_code, as_of
        ),
        as_of=as_of,
        region_code=region_code,
        policy_version=policies.version,
        facts_hash=hashed,
        verdict_label=verdict_label(programme, verdict, lang),
        warnings=programme.warnings(region_code, as_of, lang),
    )


def not_in_force_reason(programme: Programme, starts: dt.date, lang: Lang) -> tuple[str, str]:
    """The text and reason of the one criterion of a programme not in force (finding 13)."""
    day = f"{starts.year}年{starts.month}月{starts.day}日" if lang == "zh" else starts.isoformat()
    text = NOT_IN_FORCE.format({"starts": day}).in_(lang)
    return text, OUTCOME_PREFIX["not_met"][lang] + text


def _not_in_force(
    programme: Programme,
    starts: dt.date,
    hashed: str,
    region_code: str | None,
    as_of: dt.date,
    policies: PolicySet,
    lang: Lang,
) -> Determination:
    """A programme none of whose rules had started on the date: `ineligible`, one criterion
    saying from when it applies, nothing asked, no amount, no steps.  Not `needs_info` (there is
    nothing the household could answer that makes it apply) and never `eligible`."""
    text, reason = not_in_force_reason(programme, starts, lang)
    cited = ids_of(
        policies.registry, programme, programme.not_in_force_sources(region_code, starts)
    )
    return Determination(
        programme=programme.id,
        programme_name=programme.named_on(as_of)[0].in_(lang),
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
                sources=cited,
            ),
        ),
        missing=(),
        request_details=(),
        next_steps=(),
        documents=(),
        as_of=as_of,
        region_code=region_code,
        policy_version=policies.version,
        facts_hash=hashed,
        verdict_label=NOT_IN_FORCE_LABEL.in_(lang),
        warnings=programme.warnings(region_code, as_of, lang),
    )


def _criterion_outcome(
    programme: Programme,
    criterion: CompiledCriterion,
    facts: Mapping[str, Any],
    variants: Sequence[Params],
) -> tuple[Outcome | None, frozenset[str]]:
    """The outcome under every parameter variant; None when the criterion applies under none.

    Where variants disagree, the region decides: the outcome is unknown and hinges on it.  A
    variant without a value for a parameter the criterion needs does not apply it (see
    `Programme.applies_under`), as if its `applies_when` were false.
    """
    outcomes: set[Outcome] = set()
    unknown_facts: frozenset[str] = frozenset()
    applies_somewhere = False
    for params in variants:
        if not programme.applies_under(criterion, params):
            outcomes.add("met")
            continue
        applies: object = True
        applies_missing: frozenset[str] = frozenset()
        if criterion.run_applies_when is not None:
            applies, applies_missing = criterion.run_applies_when(facts, params)
            if applies is False:
                # Not applying is as good as met for the verdict.
                outcomes.add("met")
                continue
        applies_somewhere = True
        value, missing = criterion.run_test(facts, params)
        if value is None or applies is None:
            outcomes.add("unknown")
            unknown_facts |= missing | applies_missing
        else:
            outcomes.add("met" if value else "not_met")
    if not applies_somewhere:
        return None, frozenset()
    if len(outcomes) == 1:
        return outcomes.pop(), unknown_facts
    return "unknown", unknown_facts | _REGION


def _amount_rule(programme: Programme, facts: Mapping[str, Any], params: Params) -> int | None:
    """The index of the amount rule that gives the amount (the first that holds), if any."""
    for index, rule in enumerate(programme.amounts):
        holds, _ = rules.evaluate(rule.when, facts, params)
        if holds is not False:
            return index if holds else None
    return None


def _amount(
    programme: Programme,
    facts: Mapping[str, Any],
    params: Params,
    note: Callable[[Text | None], str | None],
) -> tuple[int | None, str | None, frozenset[str]]:
    """The first amount rule that holds; unknown if an earlier rule's condition is unknown."""
    benefit = programme.policy.benefit
    hinges: frozenset[str] = frozenset()
    for rule in programme.amounts:
        holds, missing = rules.evaluate(rule.when, facts, params)
        if holds is None:
            hinges |= missing
            break
        if holds:
            value, value_missing = rules.evaluate(rule.amount, facts, params)
            rule_note = rule.spec.note or benefit.note
            if value is None:
                if value_missing:
                    return None, note(benefit.note), value_missing
                # A parameter that is not set: the county decides the amount.
                return None, note(benefit.unset_note or rule_note), frozenset()
            assert isinstance(value, (int, float))
            return int(value), note(rule_note), frozenset()
    if hinges:
        return None, note(benefit.note), hinges
    return None, note(benefit.unset_note or benefit.note), frozenset()


def _with_entry_note(
    programme: Programme,
    facts: Mapping[str, Any],
    region_code: str | None,
    as_of: dt.date,
    amount_note: str | None,
    lang: Lang,
) -> str | None:
    """The amount's note with the note of the value it came from, if that value has one
    (环江 2021: "没有车票按400元；有实名车票按票价报销，最多800元", review9 F6)."""
    params = programme.parameter_variants(region_code, as_of)[0]
    for rule in programme.amounts:
        holds, _ = rules.evaluate(rule.when, facts, params)
        if not holds:
            continue
        names = rules.param_names(rule.amount)
        if len(names) != 1:
            return amount_note
        [name] = names
        entry = programme.parameter_source(name, region_code, as_of)
        if entry is None or entry.note is None:
            return amount_note
        said = entry.note.in_(lang)
        said += "" if said[-1] in "。.!！" else ("。" if lang == "zh" else ".")
        return said if not amount_note else said + ("" if lang == "zh" else " ") + amount_note
    return amount_note


def _missing(
    hinges: Mapping[str, int],
    policies: PolicySet,
    lang: Lang,
    affects: Literal["verdict", "amount", "request"],
) -> Iterable[MissingFact]:
    # Best first: a fact that several open criteria hinge on, then the catalogue's asking order.
    hinges = askable(hinges, policies.facts)
    for path in sorted(hinges, key=lambda p: (-hinges[p], policies.fact_rank(p))):
        spec = policies.facts.get(path)
        if spec is None:
            continue
        yield MissingFact(
            fact=path,
            question=spec.question.in_(lang),
            kind=spec.kind,
            options=tuple((o.value, o.zh if lang == "zh" else o.en) for o in spec.options),
            affects=affects,
        )


def _steps(
    programme: Programme,
    kind: Literal["next_steps", "documents"],
    verdict: Verdict,
    facts: Mapping[str, Any],
    params: Params,
    lang: Lang,
    region_code: str | None,
    as_of: dt.date,
) -> tuple[str, ...]:
    shown = []
    steps: tuple[CompiledStep, ...] = getattr(programme, kind)
    for step in steps:
        if verdict not in step.spec.verdicts or not step.spec.shown_for(region_code, as_of):
            continue
        if step.when is not None:
            holds, _ = rules.evaluate(step.when, facts, params)
            if holds is not True:
                continue
        if not programme.sets_all(step.spec.text, params):
            continue  # a step naming a value not in force on the date is not shown
        shown.append(programme.wording(step.spec.text, (params,), lang))
    return tuple(shown)


def _gap_step(
    programme: Programme, verdict: Verdict, region_code: str | None, as_of: dt.date, lang: Lang
) -> tuple[str, ...]:
    """Who decides what no rule in force on the date settles: a next step (the warnings say
    which rule); none for a programme that is not for the applicant anyway."""
    if verdict == "ineligible" or not programme.gaps(region_code, as_of):
        return ()
    return ((programme.policy.gap_step or GAP_STEP).in_(lang),)


def next_questions(determinations: Iterable[Determination]) -> list[MissingFact]:
    """The questions still worth asking across programmes, best first.

    Verdict questions before amount ones before request details; among equals, a fact more
    programmes wait on, then the one a programme ranks first.
    """
    kinds = ("verdict", "amount", "request")
    score: dict[str, list[int]] = {}
    first: dict[str, MissingFact] = {}
    for d in determinations:
        for position, fact in enumerate((*d.missing, *d.request_details)):
            counts = score.setdefault(fact.fact, [0, 0, 0, 1_000])
            counts[kinds.index(fact.affects)] -= 1
            counts[3] = min(counts[3], position)
            first.setdefault(fact.fact, fact)
    return [first[path] for path in sorted(score, key=lambda path: score[path])]
