"""Full conversations through the real HTTP layer, one per policy example: the household answers
what the example knows and "不清楚" to the rest; the bot's results must be what `determine`
says for the same facts, and the example's programme must get the example's verdict."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from bot.questionnaire import (
    Conversation,
    Questionnaire,
    applicant_of,
    render_determination,
    verdict_words,
)
from eligibility.determination import determine
from eligibility.policy import load_bundled
from tests.bot.conftest import BotUnderTest
from tests.bot.driver import answer, flat_facts, programme_cards

_POLICIES = load_bundled()
EXAMPLES = [
    pytest.param(pid, example, id=f"{pid}-{example.expect.verdict}-{i}")
    for pid, programme in _POLICIES.programmes.items()
    for i, example in enumerate(programme.policy.examples)
]


def test_every_programme_has_all_three_outcomes() -> None:
    """The examples below cover eligible, ineligible and needs_info for every programme."""
    for programme in _POLICIES.programmes.values():
        verdicts = {e.expect.verdict for e in programme.policy.examples}
        assert verdicts == {"eligible", "ineligible", "needs_info"}, programme.id


@pytest.mark.parametrize(("programme_id", "example"), EXAMPLES)
async def test_conversation_ends_as_the_example(
    bot: BotUnderTest, programme_id: str, example: object
) -> None:
    facts = msgspec.to_builtins(example.facts)  # type: ignore[attr-defined]
    as_of = example.facts["as_of"]  # type: ignore[attr-defined]
    assert isinstance(as_of, dt.date)
    bot.clock.today = as_of
    user = bot.user()

    first = await bot.say(user, "/start")
    assert "您好" in first[0]
    assert "您家是哪一类户" in first[-1]  # the core's first question
    profile = flat_facts(facts)
    if programme_id == "microloan":
        profile["loan_request.wanted"] = True  # the example's household is asking for a loan
    given, asked = await answer(bot, user, profile)

    assert asked[0] == "household.category"
    # The programmes the bot decides for the person (an adult's 雨露计划 is the child's), each
    # as the core decides it on the answers given.
    questionnaire = Questionnaire(bot.policies, lambda: as_of)
    chosen = questionnaire.programme_ids(Conversation(chat_id=0, answers=given))
    determinations = determine(
        applicant_of(given), bot.policies, programmes=chosen, lang="zh", today=as_of
    )
    cards = programme_cards(user, len(determinations))
    for card, determination in zip(cards, determinations, strict=True):
        assert card == render_determination(determination, "zh")
        # The programme's own verdict words where it has them (#9: a referral's no reads
        # "目前不需要申请监测"), else the bot's.
        label = determination.verdict_label or verdict_words(determination.verdict, "zh")
        assert label in card.splitlines()[0]
        if determination.amount is not None:
            assert f"钱数：{determination.amount}" in card
        assert len(card) <= 4096  # Telegram's limit; nothing is cut off
    if programme_id in chosen:
        mine = next(d for d in determinations if d.programme == programme_id)
        assert mine.verdict == example.expect.verdict  # type: ignore[attr-defined]
    # Nothing is asked twice, and nothing already answered is asked again.
    assert len(asked) == len(set(asked))
