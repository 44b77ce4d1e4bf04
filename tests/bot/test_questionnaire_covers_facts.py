"""The bot can ask every fact of `Applicant` with no code of its own (issue 10, "facts declared
once"): its questions, buttons and answer checks come from `facts.toml`, which
`tests/eligibility/test_fact_catalogue.py` holds equal to the Structs.  Failures name the fact."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.questionnaire import Accepted, Conversation, Questionnaire
from eligibility.catalogue import FactSpec, bundled_catalogue
from eligibility.facts import fact_types
from eligibility.programme import PolicySet

# Not asked by themselves: the ID number and birth date are offered under the age question,
# the date is the day of the conversation, and the status facts come with the 户类型 question.
ASKED = [
    spec
    for spec in bundled_catalogue().facts
    if spec.path in fact_types()
    and spec.asked_with is None
    and spec.path not in ("person.id_number", "person.birth_date", "as_of")
]


def _answer(spec: FactSpec) -> tuple[str, object]:
    """What a villager types, and the fact it must give."""
    if spec.kind == "enum":
        return spec.options[-1].zh, spec.options[-1].value
    if spec.kind == "int":
        assert spec.max is not None
        return str(spec.max), spec.max
    answers: dict[str, tuple[str, object]] = {
        "bool": ("是", True),
        "region": ("140821", "140821"),
        "date": ("2024-05-01", "2024-05-01"),
    }
    return answers[spec.kind]


@pytest.fixture
def questionnaire(policies: PolicySet) -> Questionnaire:
    return Questionnaire(policies, lambda: dt.date(2026, 11, 23))


@pytest.mark.parametrize("spec", ASKED, ids=lambda s: s.path)
def test_every_fact_is_asked_and_read(questionnaire: Questionnaire, spec: FactSpec) -> None:
    conversation = Conversation(chat_id=1, state=f"ask:{spec.path}", lang="zh")
    typed, value = _answer(spec)
    outcome = questionnaire.read_text(conversation, typed)
    assert isinstance(outcome, Accepted), f"{spec.path}: {typed!r} gave {outcome}"
    assert outcome.facts[spec.path] == value, spec.path
