"""Laws of the suggestions (issue 13, part 1), for all applicants:

- applying any suggestion to the applicant gives, through `determine` under the same policy
  version, what it says: an answer to apply for (eligible, or waiting only on what the bank or
  county confirms at application: `Programme.can_apply`) with its verdict, and the stated
  amount (on the day it names, if any, under the rules in force then);
- no suggestion changes a fixed fact, proposes a value the catalogue never suggests, or moves a
  time fact backwards;
- no strictly smaller change (by the ranking: fewer facts, then easier, then earlier) exists
  among the facts the programme reads, searched by brute force over each fact's values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from eligibility import facts as f
from eligibility import rules, whatif
from eligibility.answer import Change, Determination, Suggestion
from eligibility.derive import flatten
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.plan import plans_of
from eligibility.programme import LOCAL_FIGURE, PolicySet
from eligibility.text import Lang
from eligibility.whatif import EASE, apply_changes, change_date
from tests.eligibility.strategies import REGIONS, applicants, enum_values


def complete_applicants() -> st.SearchStrategy[dict[str, Any]]:
    """Applicants with (nearly) every fact known, so that suggestions are mostly changes of
    known values rather than unknowns."""
    return st.fixed_dictionaries(
        {
            "as_of": st.dates(dt.date(2021, 6, 1), dt.date(2026, 12, 31)).map(str),
            "region_code": st.sampled_from([r for r in REGIONS if r]),
            "household": st.fixed_dictionaries(
                {
                    "category": enum_values(f.HouseholdCategory),
                    "risk_eliminated": st.booleans(),
                    "needs_support": st.booleans(),
                    "per_capita_net_income": st.integers(0, 30000),
                    "per_capita_net_income_previous": st.integers(0, 30000),
                    "sudden_hardship_event": enum_values(f.SuddenHardshipEvent),
                    "microloan_outstanding": st.integers(0, 120000),
                    "microloan_overdue": st.booleans(),
                }
            ),
            "person": st.fixed_dictionaries(
                {
                    "age": st.integers(10, 80),
                    "labor_capacity": enum_values(f.LaborCapacity),
                    "employment_difficulty": st.booleans(),
                    "full_civil_capacity": st.booleans(),
                    "serious_bad_credit": st.booleans(),
                    "willing_to_work": st.booleans(),
                    "can_work_away": st.booleans(),
                    "holds_public_welfare_post": st.booleans(),
                    "employment": st.fixed_dictionaries(
                        {
                            "status": enum_values(f.EmploymentStatus),
                            "work_scope": enum_values(f.WorkScope),
                            "months_continuous": st.integers(0, 14),
                            "organized_transfer": st.booleans(),
                            "transport_subsidy_claimed_this_year": st.booleans(),
                        }
                    ),
                    "education": st.fixed_dictionaries(
                        {
                            "level": enum_values(f.EducationLevel),
                            "full_time": st.booleans(),
                            "registered": st.booleans(),
                            "suspended": st.booleans(),
                            "semester": enum_values(f.Semester),
                        }
                    ),
                }
            ),
            "loan_request": st.fixed_dictionaries(
                {
                    "wanted": st.just(True),
                    "amount": st.integers(1, 120000),
                    "term_months": st.integers(1, 48),
                    "purpose": enum_values(f.LoanPurpose),
                }
            ),
        }
    )


def can_apply(d: Determination, policies: PolicySet) -> bool:
    """Whether the answer is one a suggestion may aim at (`Programme.can_apply`)."""
    unknown = (c.id for c in d.criteria if c.outcome == "unknown")
    return policies.programme(d.programme).can_apply(d.verdict, unknown)


def suggested(raw: dict[str, Any], policies: PolicySet) -> tuple[Applicant, list[Determination]]:
    who = msgspec.convert(raw, Applicant)
    return who, determine(who, policies, suggest=True)


def holds(
    who: Applicant, suggestion: Suggestion, policies: PolicySet, raising: bool = False
) -> None:
    """The suggestion, applied, makes the programme one to apply for with the verdict it
    states (eligible, or 还要确认 waiting only on what is confirmed at application), and on the
    day it names (if any) gives the stated amount under that day's rules, every change needed
    then; it changes no fixed fact, proposes no value the catalogue never suggests (giving up
    work, school or a post), and time only forwards.  `raising`: the answer is already one to
    apply for, and the suggestion aims at more money."""
    for change in suggestion.changes:
        spec = policies.facts[change.fact]
        assert spec.change != "fixed", change
        assert not any(
            v == change.to and type(v) is type(change.to) for v in spec.never_suggested
        ), change
        assert change.change == spec.change
        if spec.change == "time" and isinstance(change.before, int):
            assert isinstance(change.to, int) and change.to > change.before, change
    changed = apply_changes(who, suggestion.changes)
    [again] = determine(changed, policies, programmes=[suggestion.programme])
    assert again.policy_version == policies.version
    assert can_apply(again, policies), (suggestion, again.criteria)
    if suggestion.on is None:
        assert (again.verdict, again.amount) == (suggestion.verdict, suggestion.amount)
    else:
        # The stated amount is that of its day, under the rules in force then.
        changed = apply_changes(replace(who, as_of=suggestion.on), suggestion.changes)
        [then] = determine(changed, policies, programmes=[suggestion.programme])
        assert (then.verdict, then.amount) == (suggestion.verdict, suggestion.amount)
        assert can_apply(then, policies), (suggestion, then.criteria)
        # And every change is needed on that day: the search ran under today's rules, and a
        # day under other rules may need less (review2 F1: 临猗 2024 sets no minimum months).
        assert who.person is not None
        born = who.person.birth_date is not None or who.person.id_number is not None
        for left_out, change in enumerate(suggestion.changes):
            if born and change.fact == "person.age":
                continue  # the birth date makes it on that day by itself
            rest = suggestion.changes[:left_out] + suggestion.changes[left_out + 1 :]
            try:
                fewer = apply_changes(replace(who, as_of=suggestion.on), rest)
            except (msgspec.ValidationError, ValueError):
                continue
            [without] = determine(fewer, policies, programmes=[suggestion.programme])
            # Not needed: the fewer changes give the same, or (aiming at an answer to apply
            # for, not at more money: `raising` False) one to apply for whose figure is a
            # loan's cap or left to the bank or county.
            same = (without.verdict, without.amount) == (then.verdict, then.amount)
            figure_only = not raising and (
                policies.programme(suggestion.programme).lends or without.amount is None
            )
            assert not (can_apply(without, policies) and (same or figure_only)), (
                suggestion.changes[left_out],
                suggestion,
            )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.one_of(applicants(), complete_applicants()))
def test_every_suggestion_made_gives_what_it_says(raw: dict[str, Any], policies: PolicySet) -> None:
    who, determinations = suggested(raw, policies)
    for determination in determinations:
        for suggestion in determination.suggestions:
            assert suggestion.programme == determination.programme
            holds(who, suggestion, policies, raising=can_apply(determination, policies))
            if can_apply(determination, policies):
                assert determination.amount is not None
                assert suggestion.amount is not None and suggestion.amount > determination.amount


def _values(path: str, before: object, policies: PolicySet) -> list[object]:
    """The values brute force tries for a fact: every option, both booleans, and for numbers a
    spread of small values and round amounts (time facts only forwards), but never the values
    the catalogue never suggests."""
    spec = policies.facts[path]
    if spec.kind == "bool":
        values: Sequence[object] = [True, False]
    elif spec.kind == "enum":
        values = [o.value for o in spec.options]
    elif spec.kind == "int":
        numbers = set(range(0, 131)) | {n * 5000 for n in range(1, 61)}
        low = spec.min if spec.min is not None else 0
        high = spec.max if spec.max is not None else 10**9
        values = sorted(n for n in numbers if low <= n <= high)
        if spec.change == "time" and isinstance(before, int):
            values = [n for n in values if isinstance(n, int) and n > before]
    else:
        values = []
    never = spec.never_suggested
    return [
        v for v in values if v != before and not any(n == v and type(n) is type(v) for n in never)
    ]


def _rank(
    way: dict[str, object], facts: dict[str, Any], policies: PolicySet, as_of: dt.date
) -> tuple[int, int, dt.date]:
    day, ease = as_of, 0
    for path, value in way.items():
        spec = policies.facts[path]
        ease += EASE[spec.change]
        on = change_date(spec, facts, path, value, as_of)
        day = max(day, on) if on is not None else day
    return len(way), ease, day


def _holds_on_its_day(
    who: Applicant,
    path: str,
    value: object,
    facts: dict[str, Any],
    policies: PolicySet,
    decided: Determination,
) -> bool:
    """Whether a change that happens with time still makes the programme one to apply for on the day
    it happens, under the rules in force then (with whatever amount they give: the suggestion
    says that day's); a change that names no day: yes."""
    assert who.as_of is not None
    day = change_date(policies.facts[path], facts, path, value, who.as_of)
    if day is None:
        return True
    change = Change(fact=path, label="", change="time", before=None, to=value)  # type: ignore[arg-type]
    try:
        changed = apply_changes(replace(who, as_of=day), [change])
    except (msgspec.ValidationError, ValueError):
        return False
    [again] = determine(changed, policies, programmes=[decided.programme])
    return again.verdict == decided.verdict and can_apply(again, policies)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=complete_applicants())
# Found by hypothesis: a 10-year-old asking for a loan on 2026-01-01 turns 16 by 2032, when the
# 帮扶小额信贷 rules leave capacity to the bank; the change meets no rule then but keeps the
# lack of capacity (民法典) from applying, and was dropped as meeting none.
@example(
    raw={
        "as_of": "2026-01-01",
        "region_code": "110101",
        "household": {
            "category": "poverty_alleviated",
            "risk_eliminated": False,
            "needs_support": True,
            "per_capita_net_income": 0,
            "per_capita_net_income_previous": 0,
            "sudden_hardship_event": "none",
            "microloan_outstanding": 0,
            "microloan_overdue": False,
        },
        "person": {
            "age": 10,
            "labor_capacity": "full",
            "employment_difficulty": False,
            "full_civil_capacity": True,
            "serious_bad_credit": False,
            "willing_to_work": False,
            "can_work_away": False,
            "holds_public_welfare_post": False,
            "employment": {
                "status": "employed",
                "work_scope": "same_county",
                "months_continuous": 0,
                "organized_transfer": False,
                "transport_subsidy_claimed_this_year": False,
            },
            "education": {
                "level": "secondary_vocational",
                "full_time": False,
                "registered": False,
                "suspended": False,
                "semester": "spring",
            },
        },
        "loan_request": {"wanted": True, "amount": 1, "term_months": 1, "purpose": "production"},
    }
)
def test_no_single_change_beats_the_best_suggestion(
    raw: dict[str, Any], policies: PolicySet
) -> None:
    who, determinations = suggested(raw, policies)
    assert who.as_of is not None
    facts = flatten(who, who.as_of)
    plans = plans_of(policies)
    for determination in determinations:
        if can_apply(determination, policies):
            continue
        plan = plans.plan(policies.programme(determination.programme), who.region_code, who.as_of)
        if plan.not_in_force is not None:
            continue
        read = sorted(
            {
                path
                for c in plan.criteria
                for bound in c.bound
                if bound is not None
                for expr in bound
                if expr is not None
                for path in rules.fact_paths(expr)
                if path in policies.facts and policies.facts[path].change != "fixed"
            }
        )
        bar = (
            _rank(
                {c.fact: c.to for c in determination.suggestions[0].changes},
                facts,
                policies,
                who.as_of,
            )
            if determination.suggestions
            else None
        )
        for path in read:
            for value in _values(path, facts.get(path), policies):
                way = {path: value}
                rank = _rank(way, facts, policies, who.as_of)
                if bar is not None and rank >= bar:
                    continue
                decided = plans.decide_under(
                    plan, {**facts, **way}, "", who.region_code, who.as_of, "zh"
                )
                if can_apply(decided, policies) and not _holds_on_its_day(
                    who, path, value, facts, policies, decided
                ):
                    continue  # on the day it happens other rules decide otherwise
                assert not can_apply(decided, policies), (
                    f"{determination.programme}: {way} makes it one to apply for, but the best "
                    f"suggestion is {determination.suggestions[:1]}"
                )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.one_of(applicants(), complete_applicants()), lang=st.sampled_from(["zh", "en"]))
def test_suggestions_kept_per_search_key_are_those_made_afresh(
    raw: dict[str, Any], lang: Lang, policies: PolicySet
) -> None:
    # The searches are kept per plan by what they depend on (`whatif._key`), and reused for
    # every applicant with the same key; each example here runs on what the earlier ones
    # left.  Forgetting them all must not change a suggestion (days, wording, sources).
    # A neighbour a few days apart goes first: a key without `as_of` (days a whole number of
    # months away) gives `who` the neighbour's search, with `who`'s own days put in.
    who = msgspec.convert(raw, Applicant)
    if who.as_of is not None:
        neighbour = replace(who, as_of=who.as_of - dt.timedelta(days=3))
        with contextlib.suppress(ValueError):  # a birth date after the neighbour's day
            determine(neighbour, policies, suggest=True, lang=lang)
    kept = determine(who, policies, suggest=True, lang=lang)
    # All of them: the preparations, and what plans alike share (ways, wordings, searches).
    for kept_here in (whatif._PREPARED, whatif._SHARED, whatif._SHAPES, whatif._SUGGESTERS):
        kept_here.clear()
    afresh = determine(who, policies, suggest=True, lang=lang)
    assert [d.suggestions for d in kept] == [d.suggestions for d in afresh]
    # No county given (or a province's): a rule its counties set differently is said as the
    # county's, never with the placeholder its general wording has for the figure.
    for d in afresh:
        for suggestion in d.suggestions:
            assert LOCAL_FIGURE[lang] not in suggestion.text, suggestion.text
