"""Reading typed answers, without Telegram: numbers, codes, dates, choices, "don't know"."""

from __future__ import annotations

import datetime as dt
from string import Formatter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.questionnaire import (
    Accepted,
    Conversation,
    Questionnaire,
    Rejected,
    Skipped,
    applicant_of,
    render_determination,
)
from bot.texts import COMMANDS, EN, ZH
from eligibility.determination import determine
from eligibility.policy import PolicySet


@pytest.fixture
def questionnaire(policies: PolicySet) -> Questionnaire:
    return Questionnaire(policies, lambda: dt.date(2026, 11, 23))


def asking(fact: str, lang: str = "zh") -> Conversation:
    return Conversation(chat_id=1, state=f"ask:{fact}", lang=lang)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fact", "typed", "value"),
    [
        ("person.age", "45", 45),
        ("person.age", "４５岁", 45),
        ("person.age", " 0 ", 0),
        ("household.per_capita_net_income", "-500", -500),
        ("household.per_capita_net_income", "1.2万", 12000),
        ("household.per_capita_net_income", "12,000元", 12000),
        ("household.size", "5口人", 5),
        ("person.employment.months_continuous", "4个月", 4),
        ("region_code", "140821", "140821"),
        ("region_code", "14", "14"),
        ("household.category", "脱贫户", "poverty_alleviated"),
        ("household.category", "ordinary", "ordinary"),
        ("household.category", "2", "unstable_alleviated"),
        ("person.disability", "有", True),
        ("person.disability", "没有", False),
        ("person.disability", "YES", True),
    ],
)
def test_answers_read(questionnaire: Questionnaire, fact: str, typed: str, value: object) -> None:
    outcome = questionnaire.read_text(asking(fact), typed)
    assert isinstance(outcome, Accepted), outcome
    assert outcome.facts == {fact: value}


@pytest.mark.parametrize(
    ("fact", "typed", "starts"),
    [
        ("person.age", "abc", "请输入数字，例如 45"),
        ("person.age", "131", "这个数不太对，请输入 0 到 130 之间的数字"),
        ("household.size", "0", "这个数不太对，请输入 1 到 100 之间的数字"),
        ("region_code", "14082", "请输入6位区划代码"),
        ("household.category", "9", "请点下面的按钮选一个"),
        ("person.disability", "可能", "请点“是”或“否”"),
        ("person.age", "1990-02-30", "请按 年-月-日 输入"),
    ],
)
def test_bad_answers_re_asked(
    questionnaire: Questionnaire, fact: str, typed: str, starts: str
) -> None:
    outcome = questionnaire.read_text(asking(fact), typed)
    assert isinstance(outcome, Rejected)
    assert outcome.message.startswith(starts)


@pytest.mark.parametrize("typed", ["不清楚", "不知道", "跳过", "skip", "？"])
def test_dont_know(questionnaire: Questionnaire, typed: str) -> None:
    assert isinstance(questionnaire.read_text(asking("person.age"), typed), Skipped)


def test_age_from_birth_date_or_id_keeps_only_the_birth_date(
    questionnaire: Questionnaire,
) -> None:
    outcome = questionnaire.read_text(asking("person.age"), "1980/5/1")
    assert isinstance(outcome, Accepted)
    assert outcome.facts == {"person.birth_date": "1980-05-01"}
    outcome = questionnaire.read_text(asking("person.age"), "11010519491231002x")
    assert isinstance(outcome, Accepted)
    assert outcome.facts == {"person.birth_date": "1949-12-31"}
    # The core's mask (issue 11: first four only; it showed the last four, "002X", too).
    assert outcome.note is not None and "1101************** " in outcome.note
    assert "002X" not in outcome.note
    assert "11010519491231002" not in outcome.note


def test_future_birth_date_refused(questionnaire: Questionnaire) -> None:
    assert isinstance(questionnaire.read_text(asking("person.age"), "2030-01-01"), Rejected)


def test_answers_become_a_validated_applicant() -> None:
    applicant = applicant_of(
        {"household.category": "ordinary", "person.employment.months_continuous": 4}
    )
    assert applicant.household is not None and applicant.household.category == "ordinary"
    assert applicant.person is not None and applicant.person.employment is not None
    assert applicant.person.employment.months_continuous == 4


def test_first_question_is_the_cores_first(questionnaire: Questionnaire) -> None:
    conversation = Conversation(chat_id=1)
    replies = questionnaire.advance(conversation)
    assert conversation.state == "ask:household.category"
    assert "\n您家是哪一类户？" in replies[0].text  # then the note on 脱贫不稳定户 (#9)
    labels = [label for row in replies[0].buttons for label, _ in row]
    assert labels == [
        "脱贫户",
        "脱贫不稳定户",
        "边缘易致贫户",
        "突发严重困难户",
        "一般农户",
        "不清楚",
    ]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_path_ends_with_the_cores_results(policies: PolicySet, data: st.DataObject) -> None:
    """Whatever is answered or skipped, the questionnaire ends, never asks twice, and shows
    exactly what the core decides on the answers kept."""
    today = data.draw(st.dates(dt.date(2022, 1, 1), dt.date(2027, 12, 31)), label="today")
    questionnaire = Questionnaire(policies, lambda: today)
    conversation = Conversation(chat_id=1)
    replies = questionnaire.advance(conversation)
    asked: list[str] = []
    while conversation.asking is not None:
        fact = conversation.asking
        assert fact not in asked
        asked.append(fact)
        spec = policies.facts[fact]
        outcome: Accepted | Skipped | Rejected | object
        if data.draw(st.booleans(), label=f"skip {fact}"):
            outcome = Skipped()
        elif spec.kind == "enum":
            index = data.draw(st.integers(0, len(spec.options) - 1), label=fact)
            outcome = questionnaire.read_option(conversation, fact, index)
        elif spec.kind == "bool":
            outcome = questionnaire.read_bool(conversation, fact, data.draw(st.booleans()))
        elif spec.kind == "int":
            low = spec.min if spec.min is not None else 0
            high = min(spec.max if spec.max is not None else 10**6, 200_000)
            number = data.draw(st.integers(low, high), label=fact)
            outcome = questionnaire.read_text(conversation, str(number))
        elif spec.kind == "region":
            code = data.draw(st.sampled_from(["140821", "230124", "620823", "51", "4512"]))
            outcome = questionnaire.read_text(conversation, code)
        else:
            outcome = Skipped()
        assert isinstance(outcome, Accepted | Skipped), outcome
        questionnaire.record(conversation, outcome)
        replies = questionnaire.advance(conversation)
        assert len(asked) < len(policies.facts)
    assert conversation.state == "results"
    determinations = determine(applicant_of(conversation.answers), policies, today=today)
    cards = [reply.text for reply in replies[1:-1]]
    assert cards == [render_determination(d, "zh") for d in determinations]


def test_every_text_exists_in_both_languages() -> None:
    assert set(ZH) == set(EN)
    for key in ZH:
        fields_zh = {f for _, f, _, _ in Formatter().parse(ZH[key]) if f}
        fields_en = {f for _, f, _, _ in Formatter().parse(EN[key]) if f}
        assert fields_zh == fields_en, key
    assert [c for c, _ in COMMANDS["zh"]] == [c for c, _ in COMMANDS["en"]]
