"""Issue 13 in the bot, through the real HTTP layer against the local Bot API stand-in: after
the results, "还可以怎么办" (the core's best suggestion per programme not eligible, with the
documents it rests on) and, once a child was added as a second person, the household's plan
(the yearly total of confirmed amounts, what is listed apart, one checklist) from
`eligibility.household_plan`.  The child is asked only the child's own facts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from bot.questionnaire import CHILD_KEY, PERSON_KEY, applicant_of
from bot.texts import EN, ZH
from eligibility.determination import determine
from eligibility.household_plan import MemberAnswers, PlanMember, household_plan
from tests.bot.conftest import BotUnderTest
from tests.bot.driver import answer
from tests.bot.households import HOUSEHOLDS, _answer_one, _finished

# An applicant one month short of the transport rule (tests/api/test_api_checks.py's
# ONE_MONTH_SHORT): 黑龙江 (230124), 2 months of work on 2026-12-05, where 黑人社发〔2022〕18号
# pays the subsidy after 3 months of steady work across provinces.
ONE_MONTH_SHORT: dict[str, Any] = {
    "region_code": "230124",
    "household.category": "poverty_alleviated",
    "person.age": 30,
    "person.employment.status": "employed",
    "person.employment.work_scope": "other_province",
    "person.employment.months_continuous": 2,
    "person.employment.transport_subsidy_claimed_this_year": False,
    "loan_request.wanted": False,
}
AS_OF = dt.date(2026, 12, 5)
TEXTS = {"zh": ZH, "en": EN}


def _messages_from(texts: list[str], heading: str) -> list[str]:
    return [t for t in texts if t.startswith(heading)]


@pytest.mark.parametrize(
    ("lang", "day"), [("zh", "2027年1月5日"), ("en", "2027-01-05")], ids=["zh", "en"]
)
async def test_what_could_change_this_gives_the_day_and_the_document(
    bot: BotUnderTest, lang: str, day: str
) -> None:
    bot.clock.today = AS_OF
    user = bot.user()
    if lang == "en":
        await bot.say(user, "/lang English")
    await bot.say(user, "/start")
    given, _asked = await answer(bot, user, ONE_MONTH_SHORT, lang=lang)

    texts = [m["text"] for m in user.messages()]
    assert texts[-1] == TEXTS[lang]["results_outro"]  # the new messages come before the end
    [what_if] = _messages_from(texts, TEXTS[lang]["what_if"])
    assert texts.index(what_if) > texts.index(TEXTS[lang]["no_more_questions"])
    assert len(what_if) <= 4096
    # The core's own best suggestion for the transport subsidy, on the answers given.
    [transport] = determine(
        applicant_of(given),
        bot.policies,
        programmes=["transport_subsidy"],
        lang=lang,  # type: ignore[arg-type]
        today=AS_OF,
        suggest=True,
    )
    assert transport.verdict == "ineligible"
    best = transport.suggestions[0]
    assert f"【{transport.programme_name}】{best.text}" in what_if.split("\n")
    # Two months on 2026-12-05, three needed: the day it holds, and the rule's document.
    assert day in what_if
    assert "黑人社发〔2022〕18号" in what_if
    # Only 黑龙江's document: not another county's table for the same rule.
    assert "甘人社通〔2024〕155号" not in what_if
    # No household plan for one person.
    assert not _messages_from(texts, TEXTS[lang]["family_total"].split("{")[0])


async def test_no_suggestions_while_a_question_is_open(bot: BotUnderTest) -> None:
    bot.clock.today = AS_OF
    user = bot.user()
    await bot.say(user, "/start")
    await bot.press(user, "脱贫户")
    shown = await bot.say(user, "/result")
    assert not _messages_from(shown, ZH["what_if"])  # answers not final yet
    assert user.buttons()  # the open question is asked again


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_family_total_and_one_checklist_with_a_child(bot: BotUnderTest, lang: str) -> None:
    household = dataclasses.replace(HOUSEHOLDS[0], lang=lang)  # the 临猗 father, his daughter
    assert household.child is not None
    texts_of = TEXTS[lang]
    questionnaire = bot.bot.questionnaire  # type: ignore[union-attr]
    user = bot.user()
    if lang == "en":
        await bot.say(user, "/lang English")
    await bot.say(user, "/start")
    for _ in range(20):
        if _finished(user, lang):
            break
        await _answer_one(bot, user, household, household.profile, questionnaire)
    before_child = [m["text"] for m in user.messages()]
    assert not _messages_from(before_child, texts_of["family_total"].split("{")[0])

    await bot.press(user, texts_of["add_child"])
    child_asked = []
    for _ in range(10):
        if _finished(user, lang):
            break
        child_asked.append(await _answer_one(bot, user, household, household.child, questionnaire))
    # The household's questions are not asked again: only the child's own facts.
    child_spec = bot.policies.child
    assert child_spec is not None
    combined = {q.id: set(q.facts) for q in bot.policies.questions}
    child_facts_asked = set().union(*(combined.get(k, {k}) for k in child_asked))
    assert child_asked and child_facts_asked <= set(child_spec.facts), child_asked

    texts = [m["text"] for m in user.messages()][len(before_child) :]
    assert texts[-1] == texts_of["results_outro"]
    heading = texts_of["family_total"].split("{")[0]
    [family] = _messages_from(texts, heading)
    assert len(family) <= 4096

    # What the plan says, from the core's determinations on the full profile.
    lang_ = "zh" if lang == "zh" else "en"
    mine = determine(
        applicant_of(household.profile),
        bot.policies,
        programmes=questionnaire.programme_ids(_conversation(household.profile)),
        lang=lang_,
        today=bot.clock.today,
    )
    child_facts = {
        **{k: v for k, v in household.profile.items() if k.startswith(("household.", "region"))},
        **household.child,
    }
    child = determine(
        applicant_of(child_facts),
        bot.policies,
        programmes=list(child_spec.programmes),
        lang=lang_,
        today=bot.clock.today,
    )
    plan = household_plan(
        [
            MemberAnswers(
                member=PlanMember(key=PERSON_KEY, applicant=applicant_of(household.profile)),
                determinations=tuple(mine),
            ),
            MemberAnswers(
                member=PlanMember(key=CHILD_KEY, applicant=applicant_of(child_facts)),
                determinations=tuple(child),
            ),
        ],
        bot.policies,
        as_of=bot.clock.today,
        lang=lang_,
    )
    # 临猗's table pays 1500 for work in another province (临猗县2024年外出务工一次性交通补贴
    # 政策), 雨露计划 3000 a school year (the national 雨露计划 rules), but on 2026-11-23 neither
    # is confirmed (transport_subsidy.toml: 140821 checked to 2024-12-31; yulu_plan.toml to
    # 2025-12-31): both are listed apart as not verified, never summed as confirmed (review of
    # #13: the bot said "只算已经确定的钱数：4500元"); the microloan is lent, not paid.
    by_programme = {e.programme: e for m in plan.members for e in m.entries}
    assert by_programme["transport_subsidy"].apart == "unconfirmed"
    assert by_programme["yulu_plan"].apart == "unconfirmed"
    assert by_programme["microloan"].apart == "loan"
    first_line = family.split("\n")[0]
    assert str(plan.yearly_total) in first_line
    assert plan.yearly_total == 0
    apart = family.split(texts_of["family_apart"])[1]
    for programme in ("transport_subsidy", "yulu_plan"):
        assert by_programme[programme].programme_name in apart
    assert by_programme["microloan"].programme_name in family.split(texts_of["family_apart"])[1]
    # One checklist: each document once, in the plan's order (most programmes first).
    checklist = (
        family.split(texts_of["family_checklist"])[1]
        .split(texts_of["family_dates"])[0]
        .strip()
        .split("\n")
    )
    assert len(checklist) == len(plan.checklist)
    for line, item in zip(checklist, plan.checklist, strict=True):
        assert line.startswith(f"· {item.text}")
    assert len({line for line in checklist}) == len(checklist)
    counts = [len(item.programmes) for item in plan.checklist]
    assert counts == sorted(counts, reverse=True)
    assert any(d.documents[0] in family for d in child)  # the child's papers are on it
    # The windows and deadlines the sources give: 临猗's 每年11月上旬 (临猗县农业农村局
    # 2024-08-29), 雨露计划's semesters in words, the loan's term end.
    windows = [d for d in plan.dates if d.kind in ("application", "deadline")]
    assert windows
    for date in windows:
        assert date.text in family
        if date.start is not None:
            assert date.start.isoformat() in family


def _conversation(answers: dict[str, Any]) -> Any:
    from bot.questionnaire import Conversation

    return Conversation(chat_id=0, answers=dict(answers))
