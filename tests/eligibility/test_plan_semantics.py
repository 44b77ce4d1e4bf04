"""The decision semantics both back-ends call (`eligibility.plan`), one law at a time."""

from __future__ import annotations

from typing import cast

import msgspec
import pytest

from eligibility.answer import Determination
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.plan import (
    MET,
    NOT_MET,
    REGION,
    SKIPPED,
    UNKNOWN,
    choose_amount,
    criterion_outcome,
    missing_facts,
    plans_of,
    settle_amount,
    verdict_code,
    verdict_of,
    weighs_amount,
)
from eligibility.policy import load_bundled

POLICIES = load_bundled()
AGE = "person.age"
WORK_PROVINCE = "person.employment.work_province"


def test_a_variant_that_does_not_apply_a_criterion_counts_as_met() -> None:
    """A province code covers counties with and without the criterion: met where it applies
    and skipped elsewhere is met; skipped everywhere is left out."""
    assert criterion_outcome([MET, SKIPPED]) == (MET, False)
    assert criterion_outcome([SKIPPED, SKIPPED]) == (SKIPPED, False)
    assert criterion_outcome([SKIPPED]) == (SKIPPED, False)


def test_variants_that_disagree_leave_the_criterion_to_the_region() -> None:
    assert criterion_outcome([MET, NOT_MET]) == (UNKNOWN, True)
    assert criterion_outcome([NOT_MET, SKIPPED]) == (UNKNOWN, True)
    assert criterion_outcome([UNKNOWN, UNKNOWN]) == (UNKNOWN, False)


def test_one_criterion_not_met_outweighs_unknown_ones() -> None:
    assert verdict_of([MET, UNKNOWN, NOT_MET]) == "ineligible"
    assert verdict_of([MET, UNKNOWN, SKIPPED]) == "needs_info"
    assert verdict_of([MET, SKIPPED]) == "eligible"
    assert not weighs_amount("ineligible")
    assert weighs_amount("needs_info") and weighs_amount("eligible")


def test_the_verdict_rule_over_every_pattern() -> None:
    """The verdict (`verdict_tests`, compiled as `verdict_of` and inlined in the plans' code):
    for every pattern of up to four criteria, 不能办 as soon as one is not met, else 还要确认
    while one is unknown, else 能办 (skipped criteria count as met)."""
    from itertools import product

    for n in range(1, 5):
        for codes in product((SKIPPED, MET, NOT_MET, UNKNOWN), repeat=n):
            expected = (
                "ineligible"
                if any(c == NOT_MET for c in codes)
                else "needs_info"
                if any(c == UNKNOWN for c in codes)
                else "eligible"
            )
            assert verdict_of(codes) == expected
            assert eval(verdict_code("cs"), {"cs": codes}) == expected


def test_the_own_amount_stands_only_when_every_variant_gives_it() -> None:
    own = (0, 1500, frozenset[str]())
    assert choose_amount([own, (1, 1500, frozenset({AGE}))]) == (1500, frozenset({AGE}), False)
    assert choose_amount([own, (0, 800, frozenset[str]())]) == (None, frozenset({REGION}), True)
    # An unknown amount under another variant is a different one, too.
    assert choose_amount([own, (None, None, frozenset({AGE}))])[2]
    assert settle_amount([True, False], [frozenset({AGE})]) == (False, frozenset({AGE, REGION}))


def test_missing_facts_for_the_verdict_only_while_it_needs_info() -> None:
    """Facts several unknown criteria hinge on come first; the amount's come after, once, and
    a derived fact is asked as what it is worked out from (the work province: the work place's
    region code)."""
    hinges = [frozenset({"household.category", AGE}), None, frozenset({AGE})]
    asked, for_amount = missing_facts("needs_info", hinges, [WORK_PROVINCE, AGE], POLICIES)
    assert asked[0] == AGE and set(asked) == {AGE, "household.category"}
    assert for_amount == ["person.employment.work_region_code"]
    asked, for_amount = missing_facts("ineligible", hinges, [], POLICIES)
    assert asked == [] and for_amount == []


def test_plans_kept_are_bounded_and_answers_stay_right(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked about ever more years (an `as_of` is the caller's), the plans kept stay within
    their bound, and an answer after a clearing is the one a fresh policy set gives."""
    monkeypatch.setattr("eligibility.plan._MOST_PLANS", 12)
    policies = load_bundled()
    plans = plans_of(policies)
    facts = {
        "region_code": "230124",
        "household": {"category": "poverty_alleviated"},
        "person": {
            "age": 30,
            "employment": {
                "status": "employed",
                "work_scope": "other_province",
                "months_continuous": 4,
                "transport_subsidy_claimed_this_year": False,
            },
        },
    }
    for year in range(2020, 2060):
        found = determine(msgspec.convert({**facts, "as_of": f"{year}-06-01"}, Applicant), policies)
        assert len(plans._plans) <= 2 * 12
        fresh = determine(
            msgspec.convert({**facts, "as_of": f"{year}-06-01"}, Applicant), load_bundled()
        )
        assert found == fresh, year


def test_profile_ids_do_not_follow_string_hashing() -> None:
    """A batch legend lists where a wording applies in profile order: two processes with other
    hash seeds must number the programmes' profiles alike (a set's order once decided it)."""
    import os
    import subprocess
    import sys

    script = (
        "from eligibility.plan import Profiles\n"
        "from eligibility.policy import load_bundled\n"
        "p = load_bundled()\n"
        "for programme in p.programmes.values():\n"
        "    s = Profiles.of(programme)\n"
        "    print(programme.id, [s.where(i) for i in range(len(s))])\n"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(seen) == 1


def test_answers_that_differ_only_in_the_values_named_show_each_applicants_own() -> None:
    """Answers kept by the row back-end that differ only in a value their wording names (an
    age not met): an applicant of another age, or of the same age after one of another, gets
    the reason with their own age, as a policy set deciding them first gives it."""
    policies = load_bundled()
    base = {
        "as_of": "2025-06-01",
        "region_code": "230124",
        "household": {"category": "poverty_alleviated"},
        "loan_request": {"purpose": "production"},
    }
    answers: dict[int, list[Determination]] = {}
    for age in (70, 72, 70, 15):
        applicant = msgspec.convert({**base, "person": {"age": age}}, Applicant)
        answers[age] = found = determine(applicant, policies)
        assert found == determine(applicant, load_bundled()), age
    microloan = {
        age: next(d for d in found if d.programme == "microloan") for age, found in answers.items()
    }
    reasons = {age: [c.reason for c in d.criteria if c.id == "age"] for age, d in microloan.items()}
    assert "72" in reasons[72][0] and "70" in reasons[70][0] and "15" in reasons[15][0]
    assert reasons[70] != reasons[72]


def test_variants_are_merged_only_where_their_constants_have_the_same_types() -> None:
    """Two counties' rules that differ only in a constant's type (`true` in one, `1` in the
    other) are decided apart: `Const(1) == Const(True)` in Python, but comparing a number with
    `true` is refused and with 1 is not, so merging them would give one county the other's
    answer (review of the variant merge)."""
    from eligibility.plan import _distinct
    from eligibility.rules import Compare, Const, Fact

    def rule(value: float | bool) -> Compare:
        return Compare(op=">=", left=Fact("person.age"), right=Const(value))

    kept = _distinct([rule(1), rule(True), rule(1.0), rule(1)])
    assert [type(cast(Const, r.right).value) for r in kept] == [int, bool, float]
