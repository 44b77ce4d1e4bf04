"""Household status as facts (#9): 原建档立卡脱贫户, 防止返贫致贫对象, risk eliminated, and
the monitoring type.

Sources: the three monitoring types of 中农组发〔2021〕7号 (脱贫不稳定户 are 脱贫户, 边缘易致贫户
are 一般农户, 突发严重困难户 are any 农户), and the 2026 practice of recording whether a
household is an 原建档立卡脱贫户 and whether it is identified as a 防止返贫致贫对象
(../shared/design/policy-2026.md, "Who is supported").
"""

from __future__ import annotations

import datetime as dt

import msgspec
import polars as pl
import pytest

from batch.columns import parse_chunk, plan_columns
from eligibility.determination import determine
from eligibility.facts import (
    CATEGORY_STATUS,
    Applicant,
    HouseholdCategory,
    HouseholdStatus,
    HouseholdStatusConflictError,
    MonitoringType,
    category_of,
    decode_applicant,
    household_status,
)
from eligibility.policy import bundled_sources, load_policy_set
from eligibility.policy_file import PolicyError
from eligibility.programme import PolicySet


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("poverty_alleviated", HouseholdStatus(poverty_alleviated=True, monitored=False)),
        (
            "unstable_alleviated",
            HouseholdStatus(
                poverty_alleviated=True,
                monitored=True,
                monitoring_type=MonitoringType.UNSTABLE_ALLEVIATED,
            ),
        ),
        (
            "edge_vulnerable",
            HouseholdStatus(
                poverty_alleviated=False,
                monitored=True,
                monitoring_type=MonitoringType.EDGE_VULNERABLE,
            ),
        ),
        # 突发严重困难户 may be a 脱贫户 or not: the category leaves that unknown.
        (
            "sudden_hardship",
            HouseholdStatus(monitored=True, monitoring_type=MonitoringType.SUDDEN_HARDSHIP),
        ),
        ("ordinary", HouseholdStatus(poverty_alleviated=False, monitored=False)),
    ],
)
def test_each_category_stands_for_status_facts(category: str, expected: HouseholdStatus) -> None:
    household = decode_applicant(f'{{"household": {{"category": "{category}"}}}}').household
    assert household is not None
    got = HouseholdStatus(
        poverty_alleviated=household.poverty_alleviated,
        monitored=household.monitored,
        monitoring_type=household.monitoring_type,
    )
    assert got == msgspec.convert(msgspec.to_builtins(expected), HouseholdStatus)
    # Without loss: the facts give the category back.
    assert category_of(got) == HouseholdCategory(category)


def test_category_and_the_facts_it_implies_agree_with_themselves() -> None:
    for category, status in CATEGORY_STATUS.items():
        assert household_status(category=category, **msgspec.structs.asdict(status)) == status


@pytest.mark.parametrize(
    ("household", "field"),
    [
        ('{"category": "poverty_alleviated", "monitored": true}', "monitored"),
        ('{"category": "ordinary", "poverty_alleviated": true}', "poverty_alleviated"),
        (
            '{"category": "edge_vulnerable", "monitoring_type": "sudden_hardship"}',
            "monitoring_type",
        ),
        ('{"monitored": false, "monitoring_type": "edge_vulnerable"}', "monitored"),
        # 边缘易致贫户 are 一般农户 by definition; 脱贫不稳定户 are 脱贫户.
        (
            '{"poverty_alleviated": true, "monitoring_type": "edge_vulnerable"}',
            "poverty_alleviated",
        ),
        (
            '{"poverty_alleviated": false, "monitoring_type": "unstable_alleviated"}',
            "poverty_alleviated",
        ),
    ],
)
def test_a_contradiction_is_an_error_naming_the_field(household: str, field: str) -> None:
    with pytest.raises(msgspec.ValidationError) as caught:
        decode_applicant(f'{{"household": {household}}}')
    message = str(caught.value)
    assert message.startswith(f"{field}: ")
    assert message.endswith("at `$.household`")


def test_agreeing_facts_with_a_category_are_accepted() -> None:
    household = decode_applicant(
        '{"household": {"category": "unstable_alleviated", "poverty_alleviated": true,'
        ' "monitored": true, "risk_eliminated": true}}'
    ).household
    assert household is not None
    # A 脱贫不稳定户 whose risk is eliminated is still a 脱贫户.
    assert household.poverty_alleviated is True
    assert household.risk_eliminated is True


def test_the_conflict_error_says_which_sides_disagree() -> None:
    with pytest.raises(HouseholdStatusConflictError, match="category = ordinary means monitored"):
        household_status(category=HouseholdCategory.ORDINARY, monitored=True)


def test_the_new_facts_alone_decide_as_the_category_did(policies: PolicySet) -> None:
    """The same household given as 户类型 or as the facts it stands for gets the same answers."""
    base = {"as_of": "2024-09-10", "region_code": "510121"}
    for category, status in CATEGORY_STATUS.items():
        by_category = msgspec.convert(
            {**base, "household": {"category": category.value}}, Applicant
        )
        by_facts = msgspec.convert({**base, "household": msgspec.to_builtins(status)}, Applicant)
        for a, b in zip(
            determine(by_category, policies), determine(by_facts, policies), strict=True
        ):
            assert (a.verdict, a.missing) == (b.verdict, b.missing), (category, a.programme)


def test_batch_row_with_contradicting_status_gets_an_error_and_no_verdict(
    policies: PolicySet,
) -> None:
    raw = pl.DataFrame(
        {
            "户类型": ["脱贫户", "脱贫户", None],
            "防止返贫致贫对象": ["否", "是", "否"],
            "监测对象类型": [None, None, "边缘易致贫户"],
        }
    )
    parsed = parse_chunk(
        raw, plan_columns(raw.columns, policies), policies, as_of=dt.date(2024, 1, 1)
    )
    errors = parsed.errors.to_list()
    assert errors[0] is None
    assert errors[1] is not None and "household.monitored" in errors[1]
    assert errors[2] is not None and "household.monitored" in errors[2]


def test_an_unknown_definition_refuses_the_policy_set() -> None:
    sources = bundled_sources()
    sources["yulu_plan.toml"] = sources["yulu_plan.toml"].replace(
        b'test = "def.supported_household"', b'test = "def.no_such_group"', 1
    )
    with pytest.raises(PolicyError, match="unknown definition 'no_such_group'"):
        load_policy_set(sources, run_examples=False)
