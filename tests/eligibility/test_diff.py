"""`eligibility.diff.compare`: a change put down to the facts, the rules, or both (issue 13, 3).

The rule changes are those of `transport_subsidy.toml`: 贵州 (52)'s province-wide table (清镇's
2024-01-19 公示 of the 全省 notice: 1000 元 below 10,000 元 income) ends on 2025-01-01, and 2025's
flat 500 元 rests on 百里杜鹃管理区's notice of 2025-02-06 (`baili_2025`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from eligibility.derive import FactError
from eligibility.determination import determine
from eligibility.diff import Assessed, compare
from eligibility.facts import Applicant
from eligibility.policy import load_policy_set
from eligibility.programme import PolicySet
from eligibility.text import PARAMETER_UNITS_EN, Lang, with_parameter_unit
from tests.eligibility.strategies import applicants

TRANSPORT = ("transport_subsidy",)


def _applicant(region: str, as_of: str, months: int, **household: Any) -> Applicant:
    return msgspec.convert(
        {
            "region_code": region,
            "as_of": as_of,
            "household": {"category": "poverty_alleviated", **household},
            "person": {
                "age": 35,
                "employment": {
                    "status": "employed",
                    "work_region_code": "440305",
                    "months_continuous": months,
                    "transport_subsidy_claimed_this_year": False,
                },
            },
        },
        Applicant,
    )


def _side(policies: PolicySet, applicant: Applicant) -> Assessed:
    assert applicant.as_of is not None
    return Assessed(applicant, applicant.as_of, policies.version, policies, TRANSPORT)


def _changes(policies: PolicySet, before: Applicant, after: Applicant) -> dict[str, Any]:
    [programme] = compare(_side(policies, before), _side(policies, after)).programmes
    return {c.item: c for c in programme.changes}


def test_a_fact_change_alone(policies: PolicySet) -> None:
    """Same date and rules (贵州 2025, baili_2025: 3 months of work, 500 元), the months fall
    to 1.  (贵州's 2023–24 table, guizhou_province, states no months: there the county decides.)"""
    before = _applicant("520102", "2025-06-01", 4, per_capita_net_income=8000)
    after = _applicant("520102", "2025-06-01", 1, per_capita_net_income=8000)
    changes = _changes(policies, before, after)
    assert set(changes) == {"verdict", "amount", "months_worked"}
    assert {c.cause for c in changes.values()} == {"facts"}
    assert [f.fact for f in changes["months_worked"].facts] == [
        "person.employment.months_continuous"
    ]
    assert (changes["amount"].before, changes["amount"].after) == (500, None)
    assert changes["verdict"].says == (
        "外出务工交通补贴：从「能办」变成「不能办」，因为您填的连续务工月数从4个月改成了1个月（事实变了）"
    )


def test_months_that_passed_are_not_worded_as_the_household_changing_its_answer(
    policies: PolicySet,
) -> None:
    """贵州 2025 (baili_2025, 3 months of work needed): 1 month, then 4 on the same rules.
    Months of work move on by themselves: "从1个月到了4个月", not "您填的…改成了"."""
    before = _applicant("520102", "2025-06-01", 1, per_capita_net_income=8000)
    after = _applicant("520102", "2025-06-01", 4, per_capita_net_income=8000)
    says = _changes(policies, before, after)["verdict"].says
    assert "连续务工月数从1个月到了4个月（事实变了）" in says
    assert "您填的" not in says


def test_a_rule_change_alone_across_a_tables_end(policies: PolicySet) -> None:
    """The same facts on 2024-06-01 and 2025-06-01: 1000 元 under the 2023–24 table, 500 under
    2025's."""
    before = _applicant("520102", "2024-06-01", 4, per_capita_net_income=8000)
    after = _applicant("520102", "2025-06-01", 4, per_capita_net_income=8000)
    comparison = compare(_side(policies, before), _side(policies, after))
    assert comparison.facts == ()
    [programme] = comparison.programmes
    changes = {c.item: c for c in programme.changes}
    # The 2023–24 table (guizhou_province) states no months, so the county decides them (met at
    # 4, `months_set_locally`); 2025's (baili_2025) asks for 3 (`months_worked`): rules too.
    assert set(changes) == {"amount", "months_set_locally", "months_worked"}
    assert {changes[c].cause for c in ("months_set_locally", "months_worked")} == {"rules"}
    amount = changes["amount"]
    assert (amount.before, amount.after, amount.cause) == (1000, 500, "rules")
    assert "amount_other_province" in amount.parameters
    param = next(p for p in programme.parameters if p.name == "amount_other_province")
    assert param.before is not None and param.after is not None
    assert (param.before.source, param.before.until) == ("guizhou_province", dt.date(2025, 1, 1))
    assert (param.after.source, param.after.since) == ("baili_2025", dt.date(2025, 1, 1))
    assert "2025年起贵州省的跨省务工补贴从1000元/人/年变为500元/人/年" in amount.says
    assert "（规定变了，见《" in amount.says


def test_both_and_no_change(policies: PolicySet) -> None:
    """The months fall to 1 as the table changes: the amount's change needs both (1 month fails
    the rule either year; the amount itself moved with the table)."""
    before = _applicant("520102", "2024-06-01", 4, per_capita_net_income=8000)
    after = _applicant("520102", "2025-06-01", 1, per_capita_net_income=8000)
    changes = _changes(policies, before, after)
    # Before, the county decided the months (no months in the 2023–24 table); after, 2025's
    # 3 months are not met with 1: the facts and the rules both changed it.
    assert changes["months_worked"].cause == "both"
    # 1 month under the 2023–24 table waits on the county (还要确认), not 不能办: both too.
    assert changes["verdict"].cause == "both"
    # Decided under 2025's rules the old facts get 500, not 1000: the rules changed it too.
    assert changes["amount"].cause == "both"
    assert "（事实变了）；" in changes["amount"].says
    assert _changes(policies, before, before) == {}
    [same] = compare(_side(policies, before), _side(policies, before)).programmes
    assert same.changed is False and same.says == ("外出务工交通补贴：没有变化（「能办」）",)


def test_an_age_worked_out_from_the_date_is_said_to_move_with_it(policies: PolicySet) -> None:
    """环江 (451226) 2021 pays only 16–60-year-olds (广西日报 2021-12-21): born 1960-06-01, the
    worker is 60 in January 2021 and 61 from June, with nothing else changed."""

    def born_1960(as_of: str) -> Applicant:
        applicant = _applicant("451226", as_of, 4)
        assert applicant.person is not None
        person = msgspec.structs.replace(applicant.person, age=None, birth_date=dt.date(1960, 6, 1))
        return msgspec.structs.replace(applicant, person=person)

    changes = _changes(policies, born_1960("2021-01-10"), born_1960("2021-07-01"))
    age = changes["age"]
    assert (age.before, age.after, age.cause) == ("met", "not_met", "rules")
    assert [(f.fact, f.before, f.after) for f in age.by_date] == [("person.age", 60, 61)]
    assert "（日期变了）" in age.says


def test_a_policy_version_not_loaded_is_named_not_rederived(policies: PolicySet) -> None:
    before = _applicant("520102", "2024-06-01", 4, per_capita_net_income=8000)
    old = Assessed(before, dt.date(2024, 6, 1), "ps-0000000000000000", policies, TRANSPORT)
    comparison = compare(old, _side(policies, before), lang="en")
    assert comparison.exact is False
    assert comparison.before.policy_version == "ps-0000000000000000"
    assert comparison.before.decided_with == policies.version
    assert any(
        "ps-0000000000000000" in note and "not re-derived" in note for note in comparison.notes
    )


def test_criteria_a_version_rewrote_are_named(policies: PolicySet) -> None:
    """A policy set whose months rule reads 2 months more is another version: the criterion is
    named as rewritten and the change put down to the rules."""
    sources = dict(policies.sources)
    sources["transport_subsidy.toml"] = sources["transport_subsidy.toml"].replace(
        b'test = "person.employment.months_continuous >= param.min_months"',
        b'test = "person.employment.months_continuous >= param.min_months + 2"',
        1,
    )
    stricter = load_policy_set(sources, run_examples=False)
    facts = _applicant("520102", "2025-06-01", 4, per_capita_net_income=8000)
    [programme] = compare(_side(policies, facts), _side(stricter, facts)).programmes
    assert programme.criteria_rewritten == ("months_worked",)
    months = next(c for c in programme.changes if c.item == "months_worked")
    assert (months.before, months.after, months.cause) == ("met", "not_met", "rules")
    assert months.criterion_rule is True
    assert policies.version in months.says and stricter.version in months.says


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_change_is_worded(policies: PolicySet, lang: Any) -> None:
    before = _applicant("620823", "2024-06-01", 4)
    after = _applicant("620823", "2025-06-01", 1)
    comparison = compare(_side(policies, before), _side(policies, after), lang=lang)
    [programme] = comparison.programmes
    assert programme.changes
    for change in programme.changes:
        assert change.says.startswith(programme.name)
        assert ("因为" if lang == "zh" else "because") in change.says


_DATES = ["2021-06-01", "2023-06-01", "2024-06-01", "2024-12-31", "2025-01-01", "2026-06-01"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=applicants(),
    second=applicants(),
    days=st.tuples(st.sampled_from(_DATES), st.sampled_from(_DATES)),
    region=st.sampled_from(["140821", "620823", "520181", "451226", "230124", "510121"]),
    same_facts=st.booleans(),
)
def test_laws_of_the_comparison(
    policies: PolicySet,
    first: dict[str, Any],
    second: dict[str, Any],
    days: tuple[str, str],
    region: str,
    same_facts: bool,
) -> None:
    """Whatever the two sides: an item is listed exactly when the two answers differ in it;
    swapping the sides swaps before and after and keeps the cause; the rules are a cause only
    when the date or the version differs, the facts only when some fact differs."""
    a = msgspec.convert(dict(first, as_of=days[0], region_code=region), Applicant)
    facts_b = first if same_facts else second
    b = msgspec.convert(dict(facts_b, as_of=days[1], region_code=region), Applicant)
    try:
        forward = compare(_side(policies, a), _side(policies, b))
        backward = compare(_side(policies, b), _side(policies, a))
    except FactError:
        return  # a birth date after one of the dates: that side cannot be decided at all
    answers_a = {d.programme: d for d in determine(a, policies, programmes=TRANSPORT)}
    answers_b = {d.programme: d for d in determine(b, policies, programmes=TRANSPORT)}
    [there], [back] = forward.programmes, backward.programmes
    d_a, d_b = answers_a[there.programme], answers_b[there.programme]
    assert (d_a.verdict != d_b.verdict) == any(c.item == "verdict" for c in there.changes)
    assert (d_a.amount != d_b.amount) == any(c.item == "amount" for c in there.changes)
    backwards = {c.item: c for c in back.changes}
    event(f"causes: {sorted({c.cause for c in there.changes})}")
    for change in there.changes:
        assert change.says
        other = backwards[change.item]
        assert (other.before, other.after) == (change.after, change.before)
        if forward.exact:
            assert other.cause == change.cause
        if days[0] == days[1]:
            assert change.cause == "facts"
        if same_facts or not forward.facts:
            assert change.cause == "rules"
    assert set(backwards) == {c.item for c in there.changes}


def _microloan(as_of: str) -> Applicant:
    return msgspec.convert(
        {
            "region_code": "140821",
            "as_of": as_of,
            "household": {
                "category": "poverty_alleviated",
                "microloan_overdue": False,
                "microloan_outstanding": 0,
            },
            "person": {"age": 40, "full_civil_capacity": True, "serious_bad_credit": False},
            "loan_request": {"amount": 30000, "term_months": 36, "purpose": "production"},
        },
        Applicant,
    )


def _said(value: Any, key: str = "") -> list[str]:
    """Every sentence of a change meant for a reader (not the values or ids beside them)."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _said(v, k)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _said(v, key)]
    readable = key in {"says", "said", "said_before", "said_after", "text", "description"}
    return [value] if readable and isinstance(value, str) else []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_rule_change_reads_in_plain_words(policies: PolicySet, lang: Lang) -> None:
    """Review #12: the microloan from 2025-06-01 to 2026-12-01 (the transition rules end on
    2026-02-27, 银保监发〔2021〕6号; the 2026 notice begins on 2026-02-28) read "支持对象从
    transition变为assisted_population", "the The standard loan amount", "50000 元", "36 月",
    "65 周岁" in English and "贷款期限不超过（未定）个月" for a value 2026 does not set."""
    sides = [
        Assessed(a, a.as_of or dt.date.today(), policies.version, policies, ("microloan",))
        for a in (_microloan("2025-06-01"), _microloan("2026-12-01"))
    ]
    change = compare(sides[0], sides[1], lang=lang)
    said = _said(msgspec.to_builtins(change))
    assert said
    text = "\n".join(said)
    # The codes as values ("from transition to assisted_population"); "transition" is also an
    # English word of the descriptions ("(transition: the part with interest subsidy …)").
    assert "assisted_population" not in text
    assert not re.search(r"(from |从|（|, )transition(?![:：])", text), text
    # A rule that ended with no later one found is not said to be gone ("之后是没有规定").
    assert "没有规定" not in text and "no rule" not in text
    assert "未定" not in text and "(not set)" not in text
    if lang == "en":
        assert "the The" not in text and "the the" not in text
        assert not re.search(r"\d ?(元|月|周岁)", text), text
    else:
        assert not re.search(r"\d月(?!\d)", text.replace("个月", "")), text
        assert "过渡期" in text or "帮扶" in text


@pytest.mark.parametrize(
    ("value", "unit", "zh", "en"),
    [
        (36, "月", "36个月", "36 months"),
        (65, "周岁", "65周岁", "65 years"),
        (50000, "元", "50000元", "50000 yuan"),
        (70, "%", "70%", "70%"),
        (1500, "元/人/年", "1500元/人/年", "1500 yuan per person per year"),
    ],
)
def test_parameter_units_in_each_language(value: int, unit: str, zh: str, en: str) -> None:
    assert (with_parameter_unit(value, unit, "zh"), with_parameter_unit(value, unit, "en")) == (
        zh,
        en,
    )


def test_every_parameter_unit_has_english_words(policies: PolicySet) -> None:
    # A unit a policy file adds without words would show in Chinese in an English diff.
    units = {
        param.unit
        for programme in policies.programmes.values()
        for param in programme.policy.parameters.values()
        if param.unit is not None
    }
    assert units <= set(PARAMETER_UNITS_EN), units - set(PARAMETER_UNITS_EN)


def test_provinces_of_a_rule_are_named_not_given_as_codes(policies: PolicySet) -> None:
    """崇信's 2024 table pays the lower tier for work in 陕西 and 宁夏 (`reduced_provinces`
    61, 64, 甘人社通〔2024〕155号); the diff across the table's end said "从61、64变为…"."""
    before = _applicant("620823", "2024-06-01", 4)
    after = _applicant("620823", "2025-06-01", 4)
    [programme] = compare(_side(policies, before), _side(policies, after)).programmes
    [reduced] = [p for p in programme.parameters if p.name == "reduced_provinces"]
    assert "陕西省、宁夏回族自治区" in reduced.says, reduced.says
    assert "61" not in reduced.says


def test_a_value_that_ended_before_the_next_entry_is_dated_when_it_ended(
    policies: PolicySet,
) -> None:
    """青阳县's 70 % is for interest arising in 2024 and 2025 (`qingyang_2024`): unset from
    2026-01-01, and again from the 2026 notice (2026-02-28).  The diff dated the change by the
    entry in force on the later day: "2026年2月28日起…从70%变为没有定数"."""
    sides = [
        Assessed(a, a.as_of or dt.date.today(), policies.version, policies, ("microloan",))
        for a in (_microloan("2025-06-01"), _microloan("2026-12-01"))
    ]
    [programme] = compare(sides[0], sides[1]).programmes
    [subsidy] = [p for p in programme.parameters if p.name == "interest_subsidy_percent"]
    assert subsidy.after is not None and subsidy.after.since == dt.date(2026, 2, 28)
    assert subsidy.says.startswith("2026年起全国的"), subsidy.says
    # Where the entry B reads began the change itself, its day stays (2026-02-28: 5万 → 10万).
    [cap] = [p for p in programme.parameters if p.name == "standard_cap"]
    assert cap.says.startswith("2026年2月28日起"), cap.says


def test_a_criterion_that_stopped_applying_is_worded_as_it_applied(policies: PolicySet) -> None:
    """Review of 2026-12-04: on 2025-12-31 a first loan had to stay within 5万 (银保监发〔2021〕6号,
    `notice_2021_6`); from 2026-02-28 that criterion does not apply and the cap is 10万 (the
    2026 notice).  The change is said of the rule as 2025 applied it, not of 2026's 100000."""
    sides = [
        Assessed(a, a.as_of or dt.date.today(), policies.version, policies, ("microloan",))
        for a in (_microloan("2025-12-31"), _microloan("2026-03-01"))
    ]
    [programme] = compare(sides[0], sides[1]).programmes
    [first_loan] = [c for c in programme.changes if c.item == "first_loan_within_standard_cap"]
    assert "50000" in first_loan.text and "100000" not in first_loan.text
    [english] = compare(sides[0], sides[1], lang="en").programmes
    said = "\n".join(c.says for c in english.changes)
    assert "from “met” to “does not apply (not counted)”" in said, said


def test_an_answer_that_did_not_change_says_what_the_later_date_warns_of(
    policies: PolicySet,
) -> None:
    """雨露计划's 3000 (yulu_rules) is confirmed to 2025-12-31: on 2026-01-01 the same student is
    still 能办, but the amount is worked out by 2025's rules, which the diff must say, not
    "没有变化" alone (review of 2026-12-04)."""

    def student(as_of: str) -> Applicant:
        return msgspec.convert(
            {
                "region_code": "140821",
                "as_of": as_of,
                "household": {"category": "poverty_alleviated"},
                "person": {
                    "age": 17,
                    "education": {
                        "level": "secondary_vocational",
                        "full_time": True,
                        "registered": True,
                        "suspended": False,
                    },
                },
            },
            Applicant,
        )

    def said(a: str, b: str) -> str:
        sides = [
            Assessed(s, s.as_of or dt.date.today(), policies.version, policies, ("yulu_plan",))
            for s in (student(a), student(b))
        ]
        [programme] = compare(sides[0], sides[1]).programmes
        assert not programme.changed
        return "".join(programme.says)

    assert said("2025-09-01", "2025-12-31") == "雨露计划：没有变化（「能办」）"
    later = said("2025-12-31", "2026-01-01")
    assert later.startswith("雨露计划：还是「能办」，但") and "2026年" in later, later
