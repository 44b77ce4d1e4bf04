"""Result cards show the programme's own verdict words and the determination's warnings (#9)."""

from __future__ import annotations

import msgspec

from bot.questionnaire import render_determination
from eligibility.determination import determine
from eligibility.facts import Applicant
from eligibility.policy import load_bundled

POLICIES = load_bundled()


def _card(data: dict[str, object], programme: str) -> str:
    [d] = determine(msgspec.convert(data, Applicant), POLICIES, programmes=[programme])
    return render_determination(d, "zh")


def test_a_monitored_household_is_not_told_it_cannot_apply() -> None:
    # 中农组发〔2021〕7号 (via 定南县 2024): a monitored household at risk is already monitored.
    card = _card(
        {
            "as_of": "2024-06-01",
            "household": {"category": "edge_vulnerable", "risk_eliminated": False},
        },
        "monitoring_referral",
    )
    first = card.splitlines()[0]
    assert "目前不需要申请监测" in first and "不能办" not in card
    # Not a refusal: no ❌ beside it (review9 F13).
    assert "❌" not in first and "ℹ️" in first
    assert "家里已经纳入防止返贫监测" in card


def test_a_card_dated_after_the_confirmed_rules_warns() -> None:
    # microloan.toml: rules confirmed to 2025-12-31 (transition period); asked on 2026-12-01.
    card = _card(
        {"as_of": "2026-12-01", "household": {"category": "poverty_alleviated"}}, "microloan"
    )
    assert "⚠ 请注意：" in card
    assert "2026年的小额信贷规定还没有全部核实" in card
    earlier = _card(
        {"as_of": "2025-06-01", "household": {"category": "poverty_alleviated"}}, "microloan"
    )
    assert "⚠" not in earlier


def test_a_programme_not_in_force_yet_is_not_a_refusal_card() -> None:
    """#9 finding 13 (review9 F8): dated 2020, before 过渡期 (2021-01-01) the transport subsidy
    did not exist: the card says so, no ✅, no ❌."""
    card = _card(
        {
            "as_of": "2020-06-01",
            "region_code": "140821",
            "household": {"category": "poverty_alleviated"},
        },
        "transport_subsidy",
    )
    first = card.splitlines()[0]
    assert "这个日期还没有这项政策" in first
    assert "✅" not in card and "❌" not in first
    assert "从2021年1月1日起" in card
