"""Why did an answer change: two assessments of one person compared, per programme, per
criterion and for the amount, each change put down to the **facts**, the **rules** (the policy
set and the date decided for), or both.

The answer is worked out, not guessed: each side is decided again with its own policy set, and
each side's facts are decided under the other side's rules and date.  With A and B the two
assessments, A·B the facts of A under the rules of B:

- the rules changed something if A ≠ A·B or B·A ≠ B (the same facts, the other rules);
- the facts changed it if A·B ≠ B or A ≠ B·A (the same rules, the other facts);
- both, when both hold (a new rule that only bites on the new facts counts as both).

What changed in the rules is named from the policy files: every parameter a rule reads whose
value in force for the region differs between the two (policy set, date) pairs, with the value
entries (`since`, `until`, region, source) on each side; criteria a policy version added,
dropped or rewrote; and facts worked out from the date (an age from a birth date) that moved
with it.  What changed in the facts is named path by path, from → to.

A side whose own policy version is not loaded (`Assessed.policies` is another version) is decided
with the set given; the answer says so (`exact` false, a note naming the version).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import msgspec

from eligibility import rules
from eligibility.answer import Determination
from eligibility.derive import DERIVED_FACTS, FactError, flatten
from eligibility.determination import determine
from eligibility.facts import Applicant, applicant_paths
from eligibility.places import gazetteer
from eligibility.plan import plans_of, show_fact
from eligibility.policy_file import ParameterValue, ParamValue
from eligibility.programme import NOT_SET, Citation, PolicySet, Programme
from eligibility.text import Lang, Text, date_words, with_parameter_unit, with_unit, yes_no

Cause = Literal["facts", "rules", "both"]
# A criterion's state in an answer: its outcome, or left out (its rule does not apply there:
# a parameter not in force, an `applies_when` that is false).
CriterionState = Literal["met", "not_met", "unknown", "not_applied"]
NOT_APPLIED: CriterionState = "not_applied"
VERDICT, AMOUNT = "verdict", "amount"


@dataclass(frozen=True)
class Assessed:
    """One assessment as the comparison needs it: the facts (with `region_code`), the date it
    was decided for, the policy version that decided it, the policy set it is decided again
    with (its own where that is loaded), and the programmes it covered (None: all)."""

    applicant: Applicant
    as_of: dt.date
    policy_version: str
    policies: PolicySet
    programmes: tuple[str, ...] | None = None


class FactChange(msgspec.Struct, frozen=True, kw_only=True):
    """One fact that differs: its path, its name, the two values (None: unknown) and in words."""

    fact: str
    label: str
    before: str | int | bool | None
    after: str | int | bool | None
    said_before: str
    said_after: str


class ValueInForce(msgspec.Struct, frozen=True, kw_only=True):
    """A parameter's value entry in force on one side: the value, where and when it holds
    (`until` exclusive), and the document it comes from."""

    value: ParamValue
    said: str
    since: dt.date
    until: dt.date | None
    region: str | None
    source: str
    citation: Citation


class ParameterChange(msgspec.Struct, frozen=True, kw_only=True):
    """A parameter some rule reads whose value in force differs between the two sides, for the
    household's region; `before`/`after` None: no value in force there (not yet, or ended)."""

    name: str
    description: str
    region_code: str | None
    before: ValueInForce | None
    after: ValueInForce | None
    says: str


class ItemChange(msgspec.Struct, frozen=True, kw_only=True):
    """One part of a programme's answer that changed (`item`: `verdict`, `amount`, or the
    criterion's id), the two states, why, and the same in plain words.

    `facts` are the fact changes the item reads, `parameters` the names of the changed
    parameters it reads, `by_date` the facts worked out from the date that moved with it (an
    age), `criterion_rule` whether the policy version rewrote, added or dropped the criterion.
    """

    item: str
    text: str
    before: str | int | None
    after: str | int | None
    cause: Cause
    facts: tuple[FactChange, ...]
    parameters: tuple[str, ...]
    by_date: tuple[FactChange, ...]
    criterion_rule: bool
    says: str


class ProgrammeChange(msgspec.Struct, frozen=True, kw_only=True):
    """One programme compared: the verdicts and amounts of both sides, whether anything
    changed, each change, and the rule parameters that differ."""

    programme: str
    name: str
    changed: bool
    verdict_before: str
    verdict_after: str
    amount_before: int | None
    amount_after: int | None
    changes: tuple[ItemChange, ...]
    parameters: tuple[ParameterChange, ...]
    criteria_added: tuple[str, ...]
    criteria_removed: tuple[str, ...]
    criteria_rewritten: tuple[str, ...]
    says: tuple[str, ...]


class Side(msgspec.Struct, frozen=True, kw_only=True):
    """What one side was decided with: date, region, the policy version that decided it and
    the one it was decided again with here (equal when exact)."""

    as_of: dt.date
    region_code: str | None
    policy_version: str
    decided_with: str


class AnswerChange(msgspec.Struct, frozen=True, kw_only=True):
    """Two assessments compared: the fact changes, and per programme what changed and why."""

    before: Side
    after: Side
    exact: bool
    notes: tuple[str, ...]
    facts: tuple[FactChange, ...]
    programmes: tuple[ProgrammeChange, ...]
    not_compared: tuple[str, ...]
    says: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Words

_STATE_WORDS: dict[str, dict[Lang, str]] = {
    "met": {"zh": "符合", "en": "met"},
    "not_met": {"zh": "不符合", "en": "not met"},
    "unknown": {"zh": "待确认", "en": "still to confirm"},
    NOT_APPLIED: {"zh": "不适用（这一条没有算）", "en": "does not apply (not counted)"},
}
_CAUSE_WORDS: dict[str, dict[Lang, str]] = {
    "facts": {"zh": "（事实变了）", "en": " (a fact changed)"},
    "rules": {"zh": "（规定变了{see}）", "en": " (the rules changed{see})"},
    "date": {"zh": "（日期变了）", "en": " (the date moved)"},
}
# No entry in force: the rules held here say nothing for that day, which is not to say the
# rule is gone ("之后是没有规定" read as "there is no rule" beside a 2026 rule not yet found).
_NO_RULE: dict[Lang, str] = {"zh": "这里没有查到的规定", "en": "no rule found here"}
_UNSET: dict[Lang, str] = {"zh": "没有定数", "en": "no set figure"}
_UNKNOWN: dict[Lang, str] = {"zh": "没填", "en": "not given"}
_NO_AMOUNT: dict[Lang, str] = {"zh": "没有定数", "en": "no set amount"}
# No amount because the answer was a refusal: not "没有定数", which reads as a sum still open.
_REFUSED_AMOUNT: dict[Lang, str] = {"zh": "没有钱数（不能办）", "en": "nothing (not eligible)"}
_NATIONAL: dict[Lang, str] = {"zh": "全国", "en": "national"}


def _date_words(day: dt.date, lang: Lang) -> str:
    # A value in force from 1 January is the year's: "2024年起".
    if lang == "zh" and (day.month, day.day) == (1, 1):
        return f"{day.year}年"
    return date_words(day, lang)


def _place_words(region: str | None, lang: Lang) -> str:
    if region is None:
        return _NATIONAL[lang]
    place = gazetteer().place(region)
    return region if place is None else place.name


def _join(parts: Sequence[str], lang: Lang) -> str:
    return ("，" if lang == "zh" else "; ").join(parts)


def _fact_words(policies: PolicySet, path: str, value: object, lang: Lang) -> str:
    """A fact's value as a reader says it, with its unit ("3个月")."""
    if value is None:
        return _UNKNOWN[lang]
    spec = policies.facts.get(path)
    if spec is not None and spec.kind == "region" and isinstance(value, str):
        place = gazetteer().place(value)
        if place is None:
            return value
        return f"{place.name}（{value}）" if lang == "zh" else f"{place.name} ({value})"
    if spec is not None and spec.kind == "int" and isinstance(value, int):
        return with_unit(value, spec.unit, lang)
    return show_fact(policies, path, value, lang)


def _fact_label(policies: PolicySet, path: str, lang: Lang) -> str:
    spec = policies.facts.get(path)
    if spec is None:
        for asked in DERIVED_FACTS.get(path, ()):
            if asked in policies.facts:
                spec = policies.facts[asked]
                break
    if spec is None:
        return path
    label = spec.label.in_(lang)
    # "the months in this job you gave": an English label reads inside a sentence.
    return label[:1].lower() + label[1:] if lang == "en" and label[1:2].islower() else label


def _item_words(item: str, options: Mapping[str, str]) -> str:
    """A list item: an option in words, a region code ("61", 陕西 in `reduced_provinces`) as
    its place's name, else as it is."""
    if item in options:
        return options[item]
    if item.isdigit() and len(item) in (2, 4, 6):
        place = gazetteer().place(item)
        if place is not None:
            return place.name
    return item


def _value_words(
    policies: PolicySet,
    value: ParamValue,
    unit: str | None,
    lang: Lang,
    note: Text | None = None,
) -> str:
    """A parameter's value in words: list items joined with 、, enum values as options, a code
    ("transition") as its entry's note says it ("建档立卡脱贫人口…"), a number with its unit in
    the reader's language ("65 years")."""
    if value is None:
        return _UNSET[lang]
    options = {
        o.value: (o.zh if lang == "zh" else o.en)
        for spec in policies.facts.values()
        if spec.kind == "enum"
        for o in spec.options
    }
    if isinstance(value, list):
        words = [_item_words(v, options) if isinstance(v, str) else str(v) for v in value]
        return ("、" if lang == "zh" else ", ").join(words) if words else "—"
    if isinstance(value, bool):
        return yes_no(value, lang)
    if isinstance(value, str):
        if value in options:
            return options[value]
        return value if note is None else note.in_(lang)
    return with_parameter_unit(value, unit, lang)


# ---------------------------------------------------------------------------------------------
# The comparison


def _decide(side: Assessed, facts_of: Assessed, lang: Lang) -> dict[str, Determination] | None:
    """`facts_of`'s facts decided under `side`'s policy set and date; None where that date
    cannot be decided for those facts (a birth after it)."""
    applicant = msgspec.structs.replace(facts_of.applicant, as_of=side.as_of)
    try:
        found = determine(applicant, side.policies, programmes=_common_to(side), lang=lang)
    except FactError:
        return None
    return {d.programme: d for d in found}


def _common_to(side: Assessed) -> tuple[str, ...]:
    return tuple(side.policies.programmes) if side.programmes is None else side.programmes


def _state(d: Determination | None, item: str) -> str | int | None:
    if d is None:
        return None
    if item == VERDICT:
        return d.verdict
    if item == AMOUNT:
        return d.amount
    for c in d.criteria:
        if c.id == item:
            return c.outcome
    return NOT_APPLIED


def _flat(applicant: Applicant, as_of: dt.date) -> dict[str, object]:
    try:
        facts = flatten(applicant, as_of)
    except FactError:
        facts = applicant_paths(applicant)
    facts.pop("as_of", None)
    return facts


def _fact_changes(
    before: Mapping[str, object], after: Mapping[str, object], policies: PolicySet, lang: Lang
) -> list[FactChange]:
    changed = []
    for path in sorted(set(before) | set(after), key=lambda p: (policies.fact_rank(p), p)):
        a, b = before.get(path), after.get(path)
        if a != b:
            changed.append(
                FactChange(
                    fact=path,
                    label=_fact_label(policies, path, lang),
                    before=_scalar(a),
                    after=_scalar(b),
                    said_before=_fact_words(policies, path, a, lang),
                    said_after=_fact_words(policies, path, b, lang),
                )
            )
    return changed


def _scalar(value: object) -> str | int | bool | None:
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _entry(
    programme: Programme,
    policies: PolicySet,
    name: str,
    region: str | None,
    day: dt.date,
    lang: Lang,
) -> tuple[ParamValue, ValueInForce | None]:
    param = programme.policy.parameters.get(name)
    if param is None:
        return None, None
    entry: ParameterValue | None = programme.parameter_source(name, region, day)
    if entry is None:
        return None, None
    return entry.value, ValueInForce(
        value=entry.value,
        said=_value_words(policies, entry.value, param.unit, lang, entry.note),
        since=entry.since,
        until=entry.until,
        region=entry.region,
        source=entry.source,
        citation=programme.citation(entry.source),
    )


def _parameter_changes(
    a: Assessed, b: Assessed, pid: str, region: str | None, lang: Lang
) -> list[ParameterChange]:
    """The rule parameters whose values in force for `region` differ between A's (policy set,
    date) and B's."""
    prog_a, prog_b = a.policies.programme(pid), b.policies.programme(pid)
    names = sorted(prog_a.rule_params() | prog_b.rule_params())
    found = []
    for name in names:
        value_a, entry_a = _entry(prog_a, a.policies, name, region, a.as_of, lang)
        value_b, entry_b = _entry(prog_b, b.policies, name, region, b.as_of, lang)
        if value_a == value_b:
            continue
        param = (prog_b.policy.parameters.get(name)) or prog_a.policy.parameters[name]
        description = param.description.in_(lang)
        found.append(
            ParameterChange(
                name=name,
                description=description,
                region_code=region,
                before=entry_a,
                after=entry_b,
                says=_parameter_words(
                    description,
                    entry_a,
                    entry_b,
                    a.as_of,
                    b.as_of,
                    lang,
                    _turned_on(prog_b, name, region, a.as_of, b.as_of, value_a, value_b),
                ),
            )
        )
    return found


def _turned_on(
    programme: Programme,
    name: str,
    region: str | None,
    day_a: dt.date,
    day_b: dt.date,
    value_a: ParamValue,
    value_b: ParamValue,
) -> dt.date | None:
    """The first day after `day_a` (to `day_b`) from which the value in force is B's: never
    after B's own entry begins, and before it where an entry ended with a gap before the next
    (the 70 % interest subsidy ended with 2025; the entry in force on 2026-12-01 begins
    2026-02-28, and both say "not set")."""
    param = programme.policy.parameters.get(name)
    if param is None or day_b <= day_a:
        return None
    days = sorted(
        {
            d
            for e in param.values
            for d in (e.since, e.until)
            if d is not None and day_a < d <= day_b
        }
    )
    for day in days:
        entry = programme.parameter_source(name, region, day)
        value = None if entry is None else entry.value
        if value != value_a:
            return day if value == value_b else None
    return None


def _as_named(said: str, lang: Lang) -> str:
    """A value as a change names it: in English, one in words is quoted, so that "went from
    Registered households lifted out of poverty … to Rural people who need support" parses;
    a figure ("50000 yuan") is not."""
    if lang == "zh" or any(ch.isdigit() for ch in said):
        return said
    return f"“{said}”"


def _parameter_words(
    description: str,
    before: ValueInForce | None,
    after: ValueInForce | None,
    day_a: dt.date,
    day_b: dt.date,
    lang: Lang,
    turned: dt.date | None = None,
) -> str:
    """ "2025年起崇信的补贴标准从600元变为没有定数" and the like, naming the entry that decides
    and the day the value became B's (`turned`, where that is before B's entry begins)."""
    said_a = _NO_RULE[lang] if before is None else _as_named(before.said, lang)
    said_b = _NO_RULE[lang] if after is None else _as_named(after.said, lang)
    entry = after if after is not None else before
    assert entry is not None  # the values differ, so one side has an entry
    place = _place_words(entry.region, lang)
    if after is not None and day_a < after.since <= day_b:
        since = turned or after.since
        if isinstance(after.value, bool) and (before is None or isinstance(before.value, bool)):
            # A yes/no is said as the statement it is ("本地公布的补贴条件已经到期"), not as
            # "从否变为是".
            if lang == "zh":
                said = description if after.value else f"不再是“{description}”"
                return f"{_date_words(since, 'zh')}起{place}：{said}"
            said = f"“{description}”" if after.value else f"no longer “{description}”"
            return f"from {since.isoformat()}, {place}: {said}"
        if lang == "zh":
            return f"{_date_words(since, 'zh')}起{place}的{description}从{said_a}变为{said_b}"
        # The description is a title ("The standard loan amount", "Who the loans are for"):
        # quoted, it needs no article.
        return f"from {since.isoformat()}, “{description}” ({place}) went from {said_a} to {said_b}"
    if before is not None and before.until is not None and day_a < before.until <= day_b:
        last = before.until - dt.timedelta(days=1)
        if lang == "zh":
            then = "之后的这里还没有查到" if after is None else f"之后是{said_b}"
            return f"{place}的{description}（{said_a}）只到{_date_words(last, 'zh')}为止，{then}"
        then = "none found here after that" if after is None else f"after that: {said_b}"
        return f"“{description}” ({place}, {before.said}) ran only to {last.isoformat()}; {then}"
    if lang == "zh":
        return f"{place}的{description}从{said_a}变为{said_b}"
    return f"“{description}” ({place}) went from {said_a} to {said_b}"


def _deciding(change: ParameterChange) -> tuple[ValueInForce, ...]:
    """The entry a change is cited by: the one in force after, else the one that ended."""
    if change.after is not None:
        return (change.after,)
    return () if change.before is None else (change.before,)


def _reads(programme: Programme, item: str) -> tuple[set[str], set[str]]:
    """The facts and parameters an item of the programme's answer reads."""
    facts: set[str] = set()
    params: set[str] = set()
    if item == AMOUNT:
        for rule in programme.amounts:
            for amount_expr in (rule.when, rule.amount):
                facts |= rules.fact_paths(amount_expr)
                params |= rules.param_names(amount_expr)
        return facts, params
    for criterion in programme.criteria:
        if item in (VERDICT, criterion.spec.id):
            for expr in (criterion.test, criterion.applies_when):
                if expr is not None:
                    facts |= rules.fact_paths(expr)
                    params |= rules.param_names(expr)
    if item != VERDICT and not any(c.spec.id == item for c in programme.criteria):
        # The engine's own criterion (`not_in_force`): it follows from every rule parameter.
        params |= programme.rule_params()
    return facts, params


def _criterion_rules(
    prog_a: Programme, prog_b: Programme
) -> tuple[list[str], list[str], list[str]]:
    """Criteria B's policy version added, dropped or rewrote (test or condition) against A's."""
    a = {c.spec.id: c.spec for c in prog_a.criteria}
    b = {c.spec.id: c.spec for c in prog_b.criteria}
    added = [i for i in b if i not in a]
    removed = [i for i in a if i not in b]
    rewritten = [
        i for i in b if i in a and (a[i].test, a[i].applies_when) != (b[i].test, b[i].applies_when)
    ]
    return added, removed, rewritten


def _item_text(
    item: str, a: Assessed, b: Assessed, pid: str, lang: Lang, a_first: bool = False
) -> str:
    """What the item is, in words: a criterion's general wording as it reads on the side that
    applies it (B's first; A's with `a_first`, where B does not apply it: a 2026 loan's "第一次
    贷款不超过100000元" was said of the 2025 answer's "不超过50000元"), not one outcome's
    ("您连续务工1个月……").  A side whose values the
    wording names are not set reads "（未定）": the other side's wording, with its values, is
    taken; where neither side sets them, the wording says they are not set on B's date."""
    if item == VERDICT:
        return "结果" if lang == "zh" else "answer"
    if item == AMOUNT:
        return "钱数" if lang == "zh" else "amount"
    found: list[tuple[str, dt.date]] = []
    for side in (a, b) if a_first else (b, a):
        plan = plans_of(side.policies).plan(
            side.policies.programme(pid), side.applicant.region_code, side.as_of
        )
        for criterion in plan.criteria:
            if criterion.id == item:
                found.append((criterion.general[lang], side.as_of))
    for text, _ in found:
        if NOT_SET[lang] not in text:
            return text
    if not found:
        return item
    text, day = found[0]
    unset = f"（{_date_words(day, 'zh')}没有定数）" if lang == "zh" else f"(not set on {day})"
    return text.replace(NOT_SET[lang], unset)


def _unchanged_words(d_a: Determination, d_b: Determination, lang: Lang) -> tuple[str, ...]:
    """A programme whose verdict, amount and criteria did not change: said so, and, where B
    warns of what A did not (2026's 3000 worked out by 2025's unverified rules), that too: "没有
    变化" alone hid that the later amount is no longer confirmed (review of 2026-12-04)."""
    name, label = d_b.programme_name, d_b.verdict_label
    new = [w for w in d_b.warnings if w not in d_a.warnings]
    if not new:
        if lang == "zh":
            return (f"{name}：没有变化（「{label}」）",)
        return (f"{name}: no change ({label})",)
    if lang == "zh":
        return (f"{name}：还是「{label}」，但{''.join(new)}",)
    return (f"{name}: still “{label}”, but: {' '.join(new)}",)


def _state_words(item: str, state: str | int | None, d: Determination, lang: Lang) -> str:
    if item == VERDICT:
        return d.verdict_label or str(state)
    if item == AMOUNT:
        if state is None:
            return _REFUSED_AMOUNT[lang] if d.verdict == "ineligible" else _NO_AMOUNT[lang]
        unit = d.amount_unit or ""
        return f"{state}{unit}" if lang == "zh" else f"{state} {unit}".strip()
    return _STATE_WORDS[str(state)][lang]


def compare(before: Assessed, after: Assessed, *, lang: Lang = "zh") -> AnswerChange:
    """What changed between two assessments of one person, per programme, and why.

    Pure: both sides are decided again (each with its `policies`), and each side's facts under
    the other side's policy set and date, to tell the facts' part from the rules'.  Programmes
    both assessments covered and both policy sets know are compared; the others are listed in
    `not_compared`.
    """
    a, b = before, after
    notes: list[str] = []
    exact = True
    for side in (a, b):
        if side.policies.version != side.policy_version:
            exact = False
            notes.append(
                f"政策版本{side.policy_version}在这里没有，按{side.policies.version}重新算（只列出版本，没有按它重算）"
                if lang == "zh"
                else f"policy version {side.policy_version} is not loaded here: decided again "
                f"under {side.policies.version} (the version is named, not re-derived)"
            )
    ids_a, ids_b = _common_to(a), _common_to(b)
    compared = tuple(
        p for p in ids_b if p in ids_a and p in a.policies.programmes and p in b.policies.programmes
    )
    not_compared = tuple(p for p in (*ids_a, *ids_b) if p not in compared)
    a = Assessed(a.applicant, a.as_of, a.policy_version, a.policies, compared)
    b = Assessed(b.applicant, b.as_of, b.policy_version, b.policies, compared)
    decided_aa, decided_bb = _decide(a, a, lang), _decide(b, b, lang)
    if decided_aa is None or decided_bb is None:
        raise FactError("as_of", "an assessment's own date cannot be decided for its facts")
    decided_ab, decided_ba = _decide(b, a, lang), _decide(a, b, lang)
    if decided_ab is None or decided_ba is None:
        # One side's facts name a birth after the other side's date: only one crossing is
        # decided, so a change both would have shown is put down to one cause.
        exact = False
        notes.append(
            "一边的出生日期在另一边的日期之后，只能单向比较，原因可能没有分全"
            if lang == "zh"
            else "a birth date on one side falls after the other side's date: compared one way "
            "only, so the causes may not be told fully apart"
        )

    region_a, region_b = a.applicant.region_code, b.applicant.region_code
    given = _fact_changes(
        applicant_paths(msgspec.structs.replace(a.applicant, as_of=None)),
        applicant_paths(msgspec.structs.replace(b.applicant, as_of=None)),
        b.policies,
        lang,
    )
    # The facts each side's rules read: A's and B's facts at the same date (derived ones too).
    read_changes = {
        c.fact: c
        for day in (b.as_of, a.as_of)
        for c in _fact_changes(_flat(a.applicant, day), _flat(b.applicant, day), b.policies, lang)
    }
    # Facts worked out from the date that move with it, the facts unchanged (an age).
    with_date = {
        c.fact: c
        for applicant in (a.applicant, b.applicant)
        for c in _fact_changes(
            _flat(applicant, a.as_of), _flat(applicant, b.as_of), b.policies, lang
        )
    }

    programmes = []
    for pid in compared:
        d_a, d_b = decided_aa[pid], decided_bb[pid]
        prog_a, prog_b = a.policies.programme(pid), b.policies.programme(pid)
        params = {p.name: p for p in _parameter_changes(a, b, pid, region_a, lang)}
        if region_b != region_a:
            for p in _parameter_changes(a, b, pid, region_b, lang):
                params.setdefault(p.name, p)
        added, removed, rewritten = (
            ([], [], [])
            if a.policies.version == b.policies.version
            else _criterion_rules(prog_a, prog_b)
        )
        ids = [c.id for c in d_b.criteria] + [
            c.id for c in d_a.criteria if c.id not in {x.id for x in d_b.criteria}
        ]
        changes = []
        for item in (VERDICT, AMOUNT, *ids):
            s_aa, s_bb = _state(d_a, item), _state(d_b, item)
            if s_aa == s_bb:
                continue
            # Without a crossing (a birth after the other date), that path shows no change.
            s_ab = s_aa if decided_ab is None else _state(decided_ab[pid], item)
            s_ba = s_bb if decided_ba is None else _state(decided_ba[pid], item)
            by_rules = s_aa != s_ab or s_ba != s_bb
            by_facts = s_ab != s_bb or s_aa != s_ba
            cause: Cause = "both" if by_rules and by_facts else "rules" if by_rules else "facts"
            changes.append(
                _item_change(
                    item,
                    d_a,
                    d_b,
                    s_aa,
                    s_bb,
                    cause,
                    prog_a,
                    prog_b,
                    given,
                    read_changes,
                    with_date,
                    params,
                    {*added, *removed, *rewritten},
                    a,
                    b,
                    lang,
                )
            )
        verdict_change = next((c for c in changes if c.item == VERDICT), None)
        if verdict_change is not None:
            # The answer changed because criteria did: the verdict names what they name.
            criteria = [c for c in changes if c.item not in (VERDICT, AMOUNT)]
            verdict_change = _verdict_from(verdict_change, criteria, d_a, d_b, params, a, b, lang)
            changes[0] = verdict_change
        says = tuple(c.says for c in changes if c.item in (VERDICT, AMOUNT)) or tuple(
            c.says for c in changes
        )
        programmes.append(
            ProgrammeChange(
                programme=pid,
                name=d_b.programme_name,
                changed=bool(changes),
                verdict_before=d_a.verdict,
                verdict_after=d_b.verdict,
                amount_before=d_a.amount,
                amount_after=d_b.amount,
                changes=tuple(changes),
                parameters=tuple(params.values()),
                criteria_added=tuple(added),
                criteria_removed=tuple(removed),
                criteria_rewritten=tuple(rewritten),
                says=says or _unchanged_words(d_a, d_b, lang),
            )
        )
    return AnswerChange(
        before=Side(
            as_of=a.as_of,
            region_code=region_a,
            policy_version=a.policy_version,
            decided_with=a.policies.version,
        ),
        after=Side(
            as_of=b.as_of,
            region_code=region_b,
            policy_version=b.policy_version,
            decided_with=b.policies.version,
        ),
        exact=exact,
        notes=tuple(notes),
        facts=tuple(given),
        programmes=tuple(programmes),
        not_compared=tuple(dict.fromkeys(not_compared)),
        says=tuple(s for p in programmes for s in p.says),
    )


def _item_change(
    item: str,
    d_a: Determination,
    d_b: Determination,
    s_a: str | int | None,
    s_b: str | int | None,
    cause: Cause,
    prog_a: Programme,
    prog_b: Programme,
    given: Sequence[FactChange],
    read_changes: Mapping[str, FactChange],
    with_date: Mapping[str, FactChange],
    params: Mapping[str, ParameterChange],
    criteria_rules: set[str],
    a: Assessed,
    b: Assessed,
    lang: Lang,
) -> ItemChange:
    facts_a, params_a = _reads(prog_a, item)
    facts_b, params_b = _reads(prog_b, item)
    reads_facts, reads_params = facts_a | facts_b, params_a | params_b
    facts: list[FactChange] = []
    named_params: list[str] = []
    dated: list[FactChange] = []
    if cause != "rules":
        facts = [c for path, c in read_changes.items() if path in reads_facts]
        # The region decides which local rules apply: a move is a fact every item reads.
        facts = _unique([*facts, *(c for c in given if c.fact == "region_code")])
        if not facts:
            facts = list(given)
    if cause != "facts":
        named_params = [name for name in params if name in reads_params]
        dated = [c for path, c in with_date.items() if path in reads_facts]
    rewritten = item in criteria_rules
    text = _item_text(item, a, b, prog_b.id, lang, a_first=s_b == NOT_APPLIED)
    return ItemChange(
        item=item,
        text=text,
        before=s_a,
        after=s_b,
        cause=cause,
        facts=tuple(facts),
        parameters=tuple(named_params),
        by_date=tuple(dated),
        criterion_rule=rewritten,
        says=_says(
            text,
            item,
            _state_words(item, s_a, d_a, lang),
            _state_words(item, s_b, d_b, lang),
            d_b.programme_name,
            cause,
            facts,
            [params[n] for n in named_params],
            dated,
            rewritten,
            a,
            b,
            lang,
        ),
    )


def _verdict_from(
    verdict: ItemChange,
    criteria: Sequence[ItemChange],
    d_a: Determination,
    d_b: Determination,
    params: Mapping[str, ParameterChange],
    a: Assessed,
    b: Assessed,
    lang: Lang,
) -> ItemChange:
    facts = (
        _unique(c for ch in criteria if ch.cause != "rules" for c in ch.facts)
        if verdict.cause != "rules"
        else []
    )
    named = (
        list(dict.fromkeys(n for ch in criteria if ch.cause != "facts" for n in ch.parameters))
        if verdict.cause != "facts"
        else []
    )
    dated = (
        _unique(c for ch in criteria if ch.cause != "facts" for c in ch.by_date)
        if verdict.cause != "facts"
        else []
    )
    if verdict.cause != "rules" and not facts:
        facts = list(verdict.facts)
    rewritten = any(ch.criterion_rule for ch in criteria)
    return msgspec.structs.replace(
        verdict,
        facts=tuple(facts),
        parameters=tuple(named),
        by_date=tuple(dated),
        criterion_rule=rewritten,
        says=_says(
            verdict.text,
            VERDICT,
            _state_words(VERDICT, verdict.before, d_a, lang),
            _state_words(VERDICT, verdict.after, d_b, lang),
            d_b.programme_name,
            verdict.cause,
            facts,
            [params[n] for n in named],
            dated,
            rewritten,
            a,
            b,
            lang,
        ),
    )


def _unique(changes: Iterable[FactChange]) -> list[FactChange]:
    return list({c.fact: c for c in changes}.values())


def _says(
    text: str,
    item: str,
    said_a: str,
    said_b: str,
    programme_name: str,
    cause: Cause,
    facts: Sequence[FactChange],
    params: Sequence[ParameterChange],
    dated: Sequence[FactChange],
    rewritten: bool,
    a: Assessed,
    b: Assessed,
    lang: Lang,
) -> str:
    """The change in plain words: "交通补贴：从「能办」变成「不能办」，因为您填的连续务工月数从
    3个月改成了1个月（事实变了）"."""
    zh = lang == "zh"
    if item == VERDICT:
        head = (
            f"{programme_name}：从「{said_a}」变成「{said_b}」"
            if zh
            else f"{programme_name}: from “{said_a}” to “{said_b}”"
        )
    else:
        what = "钱数" if item == AMOUNT else f"「{text}」"
        head = (
            f"{programme_name}的{what}：从{said_a}变成{said_b}"
            if zh
            else f"{programme_name}, {text}: from {said_a} to {said_b}"
            if item == AMOUNT
            else f"{programme_name}, “{text}”: from “{said_a}” to “{said_b}”"
        )
    reasons: list[str] = []
    if cause != "rules" and facts:
        shown = [_change_words(c, b, zh) for c in facts]
        reasons.append(_join(shown, lang) + _CAUSE_WORDS["facts"][lang])
    if cause != "facts":
        if params:
            sources = list(
                dict.fromkeys(entry.citation.title for p in params for entry in _deciding(p))
            )
            see = (
                "，见" + "、".join(f"《{t}》" for t in sources)
                if zh
                else "; see " + ", ".join(f"“{t}”" for t in sources)
            )
            reasons.append(
                _join([p.says for p in params], lang) + _CAUSE_WORDS["rules"][lang].format(see=see)
            )
        if dated:
            day = _date_words(b.as_of, lang)
            shown = [
                f"到{day}，{c.label}从{c.said_before}变成{c.said_after}"
                if zh
                else f"by {day} the {c.label} went from {c.said_before} to {c.said_after}"
                for c in dated
            ]
            reasons.append(_join(shown, lang) + _CAUSE_WORDS["date"][lang])
        if rewritten or (not params and not dated):
            if a.policy_version != b.policy_version:
                what = (
                    f"政策版本从{a.policy_version}换成了{b.policy_version}，这一条的规定改了"
                    if zh
                    else f"the policy version changed from {a.policy_version} to "
                    f"{b.policy_version}, and with it this rule"
                )
            else:
                what = (
                    f"按{_date_words(b.as_of, lang)}的规定算，不再按{_date_words(a.as_of, lang)}的"
                    if zh
                    else f"decided under the rules of {b.as_of.isoformat()}, not those of "
                    f"{a.as_of.isoformat()}"
                )
            reasons.append(what + _CAUSE_WORDS["rules"][lang].format(see=""))
    if not reasons:
        return head
    because = "，因为" if zh else ", because "
    return head + because + ("；" if zh else "; and ").join(reasons)


def _change_words(c: FactChange, side: Assessed, zh: bool) -> str:
    """One changed fact in words.  A fact that moves on by itself (months of work, age) and did
    so went from one value to the other; any other change the household gave ("您填的…改成了")."""
    spec = side.policies.facts.get(c.fact)
    forwards = (
        isinstance(c.before, int)
        and isinstance(c.after, int)
        and not isinstance(c.before, bool)
        and c.after > c.before
    )
    if spec is not None and spec.change == "time" and forwards:
        if zh:
            return f"{c.label}从{c.said_before}到了{c.said_after}"
        return f"the {c.label} went from {c.said_before} to {c.said_after}"
    if zh:
        return f"您填的{c.label}从{c.said_before}改成了{c.said_after}"
    return f"the {c.label} you gave changed from {c.said_before} to {c.said_after}"
