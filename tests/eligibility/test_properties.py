"""Laws that hold for every applicant (hypothesis)."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.derive import flatten
from eligibility.determination import determine, facts_hash
from eligibility.facts import Applicant
from eligibility.plan import Plans, asks_hinges, plans_of, verdict_of, weighs_amount
from eligibility.policy import bundled_sources, load_policy_set
from eligibility.programme import PolicySet
from eligibility.text import Lang

from .strategies import applicants, known_subset

_POLICIES = load_policy_set(bundled_sources())


@settings(max_examples=300, deadline=None)
@given(full=applicants(), data=st.data())
def test_learning_a_fact_never_turns_ineligible_into_eligible(
    full: dict[str, Any], data: st.DataObject
) -> None:
    # Forgetting facts gives the "before"; the full applicant is the "after": every fact that
    # changed was unknown before.  A not-met criterion stays not met when more is known.
    partial = known_subset(full, data)
    before = determine(msgspec.convert(partial, Applicant), _POLICIES)
    after = determine(msgspec.convert(full, Applicant), _POLICIES)
    for b, a in zip(before, after, strict=True):
        if b.verdict == "ineligible":
            assert a.verdict == "ineligible", (b.programme, partial, full)
            failed_before = {c.id for c in b.criteria if c.outcome == "not_met"}
            assert failed_before <= {c.id for c in a.criteria if c.outcome == "not_met"}
        if b.verdict != "needs_info":
            assert b.missing == () or all(m.affects == "amount" for m in b.missing)


@settings(max_examples=200, deadline=None)
@given(raw=applicants())
def test_a_determination_is_a_pure_function_of_facts_and_policy_version(
    raw: dict[str, Any],
) -> None:
    applicant = msgspec.convert(raw, Applicant)
    reloaded: PolicySet = load_policy_set(bundled_sources(), run_examples=False)
    first = determine(applicant, _POLICIES, lang="en")
    again = determine(msgspec.convert(raw, Applicant), reloaded, lang="en")
    assert first == again
    assert {d.policy_version for d in first} == {_POLICIES.version}
    assert len({d.facts_hash for d in first}) == 1


@settings(max_examples=200, deadline=None)
@given(raw=applicants())
def test_verdicts_follow_the_criteria(raw: dict[str, Any]) -> None:
    for d in determine(msgspec.convert(raw, Applicant), _POLICIES):
        outcomes = {c.outcome for c in d.criteria}
        if "not_met" in outcomes:
            assert d.verdict == "ineligible"
        elif "unknown" in outcomes:
            assert d.verdict == "needs_info"
            # Something to ask, or a rule not found for the date that the bank or county
            # decides, worded so (review1 F1, F3, F9).
            asks_office = any(
                c.outcome == "unknown" and ("请问" in c.text or "ask" in c.text) for c in d.criteria
            )
            assert asks_office or any(m.affects == "verdict" for m in d.missing)
        else:
            assert d.verdict == "eligible"


@settings(max_examples=300, deadline=None)
@given(raw=applicants())
def test_the_decision_key_reads_back_as_the_plans_outcomes_and_choices(
    raw: dict[str, Any],
) -> None:
    """The row back-end keys an answer by one generated function with hinges as bits; read
    back, the key is what `outcomes_function` and `choices_function` give (the amount weighed
    only where `weighs_amount` says, the hinges kept only where `asks_hinges` says: nothing
    else reads them), so the answers it picks are those of the signature."""
    applicant = msgspec.convert(raw, Applicant)
    assert applicant.as_of is not None
    facts = flatten(applicant, applicant.as_of)
    plans = plans_of(_POLICIES)
    for plan in plans.plans_for(
        tuple(_POLICIES.programmes), applicant.region_code, applicant.as_of
    ):
        if plan.not_in_force is not None:
            continue
        codes, hinges, named, given, conditions = plan.outcomes(facts)
        verdict = verdict_of(codes)
        weighed = weighs_amount(verdict) and plan.amounts[0]
        choices = plan.choices(facts) if weighed else None
        if not asks_hinges(verdict):
            hinges = (None,) * len(codes)
        signature = (codes, hinges, named, given, conditions)
        assert plan.decision.signature(plan.decision.key(facts)) == (signature, choices)


_ONE_BY_ONE = Plans(_POLICIES)  # plans of their own, decided plan by plan


@settings(max_examples=300, deadline=None)
@given(raw=applicants(), lang=st.sampled_from(["zh", "en"]))
def test_the_plans_of_a_region_and_date_decided_together_are_decided_as_one_by_one(
    raw: dict[str, Any], lang: Lang
) -> None:
    """`determine` runs the plans of the applicant's region and date as one generated function
    (`plans_function`); each answer is the one its plan gives alone (`decide_under`, with its
    own caches)."""
    applicant = msgspec.convert(raw, Applicant)
    assert applicant.as_of is not None
    together = determine(applicant, _POLICIES, lang=lang)
    facts = flatten(applicant, applicant.as_of)
    hashed = facts_hash(facts)
    chosen = tuple(_POLICIES.programmes)
    region = applicant.region_code
    alone = [
        _ONE_BY_ONE.decide_under(plan, facts, hashed, region, applicant.as_of, lang)
        for plan in _ONE_BY_ONE.plans_for(chosen, region, applicant.as_of)
    ]
    assert together == alone


@settings(max_examples=200, deadline=None)
@given(raw=applicants(), lang=st.sampled_from(["zh", "en"]))
def test_the_plans_decided_with_their_keys_give_the_same_answers_and_each_plans_own_key(
    raw: dict[str, Any], lang: Lang
) -> None:
    """`decide_plans_keyed` (what suggestions read) is `decide_plans` with each plan's `Key`
    as its own `Decision` gives it, None for a plan not in force."""
    applicant = msgspec.convert(raw, Applicant)
    assert applicant.as_of is not None
    facts = flatten(applicant, applicant.as_of)
    hashed = facts_hash(facts)
    plans = plans_of(_POLICIES)
    chosen = plans.plans_for(tuple(_POLICIES.programmes), applicant.region_code, applicant.as_of)
    args = (facts, hashed, applicant.region_code, applicant.as_of, lang)
    found, keys = plans.decide_plans_keyed(chosen, *args)
    assert found == plans.decide_plans(chosen, *args)
    assert keys == tuple(
        None if plan.not_in_force is not None else plan.decision.key(facts) for plan in chosen
    )
