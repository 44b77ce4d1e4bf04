"""Issue #12's eight households, each answering truthfully from a hidden profile through the
real HTTP layer against the local Bot API stand-in: at most 10 answers to a full result for
every household that knows its facts, and the final answers equal the core's `determine` on the
full profile (the child's too, added as a second person after the results)."""

from __future__ import annotations

import pytest

from bot.questionnaire import verdict_words
from eligibility.text import Lang
from tests.bot.conftest import BotUnderTest
from tests.bot.households import HOUSEHOLDS, Household, expected, play

# 11 since review1 F9: with no income line known (every province from 2026) an income alone
# no longer refers a household for monitoring, so the bot also asks about a fall or a hardship.
MAX_ANSWERS = 11


@pytest.mark.parametrize("household", HOUSEHOLDS, ids=[h.name for h in HOUSEHOLDS])
async def test_household_reaches_the_cores_answers(
    bot: BotUnderTest, household: Household, capsys: pytest.CaptureFixture[str]
) -> None:
    user, run = await play(bot, household)
    with capsys.disabled():
        print(
            f"\n{household.name}: {run.answers} answers"
            + (f" (+{run.child_answers} for the child)" if run.child_answers else "")
            + f", {run.messages} messages sent, bot time {run.bot_seconds * 1000:.0f} ms"
            + f"\n  asked: {', '.join(run.asked)}"
        )
    if household.knows_its_facts:
        assert run.answers <= MAX_ANSWERS, run.asked
    assert len(run.asked) == len(set(run.asked)), f"asked twice: {run.asked}"

    mine, child = expected(bot, household)
    lang: Lang = "zh" if household.lang == "zh" else "en"
    texts = [m["text"] for m in user.messages()]
    outro = texts[-1]
    last_results = texts[: len(texts) - 1]
    for d, who in [*((d, None) for d in mine), *((d, "child") for d in child)]:
        title = f"【{d.programme_name}】"
        if who is not None:
            title += "（孩子）" if lang == "zh" else "（child）"
        card = next(t for t in reversed(last_results) if t.startswith(title))
        first_line = card.split("\n")[0]
        if household.knows_its_facts:
            label = d.verdict_label or verdict_words(d.verdict, lang)
            assert label in first_line, (household.name, card)
            if d.amount is not None:
                assert str(d.amount) in card, card
        assert "……还有" not in card and "… and" not in card  # nothing hidden
    assert outro.startswith("以上只是参考" if lang == "zh" else "This is guidance only")
    if not household.knows_its_facts:
        assert run.cadre_tip  # three 不清楚 in a row: ask the village cadre
