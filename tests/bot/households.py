"""The eight households of issue #12, each with a hidden profile (the truth, as dotted facts),
and a person playing them through the bot as they would: county names, "3万，3年", "浙江",
"六十二", "还没", buttons for choices, their ID number where they have it at hand, "不清楚" for
what they do not know.  Used by tests/bot/test_households.py, which prints per household the
answers, the messages sent and the bot time."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.questionnaire import Conversation, Questionnaire
from bot.texts import EN, ZH
from eligibility.answer import Determination
from eligibility.identity import check_character
from eligibility.places import gazetteer
from tests.bot.conftest import BotUnderTest
from tests.bot.fake_bot_api import FakeUser


def id_number(region: str, birth: str) -> str:
    """A valid 18-character ID number issued in `region` for a birth date YYYYMMDD."""
    first17 = f"{region}{birth}123"
    return first17 + check_character(first17)


@dataclass(frozen=True)
class Household:
    """Who answers, in which language, what is true of them, and how they type it."""

    name: str
    lang: str
    profile: Mapping[str, Any]
    # How a fact or a combined question is typed, where typing is what the person does.
    typed: Mapping[str, str] = field(default_factory=dict)
    # The child's own facts, added as a second person after the results.
    child: Mapping[str, Any] | None = None
    knows_its_facts: bool = True


FATHER_ID = id_number("140821", "19810315")
DAUGHTER_ID = id_number("140821", "20090501")

HOUSEHOLDS = (
    Household(
        name="临猗 father working in 浙江, wants a 3万 loan",
        lang="zh",
        profile={
            "household.category": "poverty_alleviated",
            "household.needs_support": True,
            "region_code": "140821",
            "person.birth_date": "1981-03-15",
            "person.employment_difficulty": False,
            "person.employment.status": "employed",
            "person.employment.work_region_code": "33",
            "person.employment.months_continuous": 10,
            "person.employment.transport_subsidy_claimed_this_year": False,
            "person.employment.organized_transfer": False,
            "person.labor_capacity": "full",
            "person.can_work_away": True,
            "person.willing_to_work": True,
            "person.holds_public_welfare_post": False,
            "loan_request.wanted": True,
            "loan_request.amount": 30000,
            "loan_request.term_months": 36,
            "loan_request.purpose": "production",
            "person.full_civil_capacity": True,
            "person.serious_bad_credit": False,
            "household.microloan_overdue": False,
            "household.microloan_outstanding": 0,
            "household.per_capita_net_income": 12000,
            "household.per_capita_net_income_previous": 11000,
            "household.sudden_hardship_event": "none",
        },
        typed={
            "region_code": FATHER_ID,
            "person.age": FATHER_ID,
            "work": "浙江",
            "person.employment.months_continuous": "10个月",
            "loan": "3万，3年",
            "income": "1.2万，1.1万",
        },
        child={
            "person.education.level": "secondary_vocational",
            "person.education.full_time": True,
            "person.education.registered": True,
            "person.education.suspended": False,
        },
    ),
    Household(
        name="his daughter in 中职",
        lang="zh",
        profile={
            "household.category": "poverty_alleviated",
            "household.needs_support": True,
            "region_code": "140821",
            "person.birth_date": "2009-05-01",
            "person.employment_difficulty": False,
            "loan_request.wanted": False,
            "person.employment.status": "student",
            "person.education.level": "secondary_vocational",
            "person.education.full_time": True,
            "person.education.registered": True,
            "person.education.suspended": False,
            "person.labor_capacity": "full",
            "person.can_work_away": True,
            "household.per_capita_net_income": 12000,
            "household.per_capita_net_income_previous": 11000,
            "household.sudden_hardship_event": "none",
        },
        typed={"region_code": DAUGHTER_ID, "person.age": DAUGHTER_ID, "income": "12000，11000"},
    ),
    Household(
        name="a 62-year-old in 崇信 who cannot work away",
        lang="zh",
        profile={
            "household.category": "poverty_alleviated",
            "household.needs_support": True,
            "region_code": "620823",
            "person.age": 62,
            "person.employment_difficulty": True,
            "person.employment.status": "self_employed",
            "person.labor_capacity": "weak",
            "person.can_work_away": False,
            "loan_request.wanted": False,
            "household.per_capita_net_income": 7000,
            "household.per_capita_net_income_previous": 7500,
            "household.sudden_hardship_event": "none",
        },
        typed={"region_code": "崇信县", "person.age": "六十二", "income": "七千，七千五"},
    ),
    Household(
        name="an ordinary family after an illness",
        lang="zh",
        profile={
            "household.category": "ordinary",
            "household.needs_support": False,
            "loan_request.wanted": False,
            "region_code": "140821",
            "person.age": 50,
            "household.per_capita_net_income": 5000,
            "household.per_capita_net_income_previous": 9000,
            "household.sudden_hardship_event": "illness",
        },
        typed={
            "region_code": "山西运城临猗",
            "person.age": "50岁",
            "income": "大概5000，9000",
        },
    ),
    Household(
        name="a 清镇 边缘户 working in 广东",
        lang="zh",
        profile={
            "household.category": "edge_vulnerable",
            "household.risk_eliminated": False,
            "household.needs_support": True,
            "person.employment_difficulty": False,
            "region_code": "520181",
            "person.age": 38,
            "person.employment.status": "employed",
            "person.employment.work_region_code": "44",
            "person.employment.months_continuous": 6,
            "person.employment.transport_subsidy_claimed_this_year": False,
            "person.employment.organized_transfer": False,
            "person.labor_capacity": "full",
            "person.willing_to_work": True,
            "person.holds_public_welfare_post": False,
            "loan_request.wanted": False,
            "household.per_capita_net_income": 9000,
            "household.per_capita_net_income_previous": 10000,
            "household.sudden_hardship_event": "none",
        },
        typed={
            "region_code": "清镇",
            "person.age": "38岁",
            "work": "广东",
            "person.employment.months_continuous": "半年",
            "person.employment.transport_subsidy_claimed_this_year": "还没",
            "income": "九千，一万",
        },
    ),
    Household(
        name="someone who answers 不清楚 to almost everything",
        lang="zh",
        profile={"person.age": 40},
        knows_its_facts=False,
    ),
    Household(
        name="a 61-year-old in 环江",
        lang="zh",
        profile={
            "household.category": "poverty_alleviated",
            "household.needs_support": True,
            "region_code": "451226",
            "person.age": 61,
            "person.employment_difficulty": True,
            "person.employment.status": "unemployed",
            "person.labor_capacity": "weak",
            "person.can_work_away": False,
            "person.willing_to_work": True,
            "person.holds_public_welfare_post": False,
            "loan_request.wanted": False,
            "household.per_capita_net_income": 6500,
            "household.per_capita_net_income_previous": 6800,
            "household.sudden_hardship_event": "none",
        },
        typed={"region_code": "广西环江", "person.age": "61", "income": "6500，6800"},
    ),
    Household(
        name="an English speaker",
        lang="en",
        profile={
            "household.category": "poverty_alleviated",
            "household.needs_support": True,
            "region_code": "140821",
            "person.age": 30,
            "person.employment_difficulty": False,
            "person.employment.status": "employed",
            "person.employment.work_scope": "other_province",
            "person.employment.months_continuous": 6,
            "person.employment.transport_subsidy_claimed_this_year": False,
            "person.employment.organized_transfer": False,
            "loan_request.wanted": False,
            "household.per_capita_net_income": 9000,
            "household.per_capita_net_income_previous": 9500,
            "household.sudden_hardship_event": "none",
        },
        typed={
            "region_code": "140821",
            "person.age": "30 years",
            "person.employment.months_continuous": "6 months",
            "person.employment.transport_subsidy_claimed_this_year": "no",
            "income": "9000 9500",
        },
    ),
)


@dataclass
class Run:
    """What a household's conversation took."""

    answers: int = 0  # typed messages and button presses until the full result
    child_answers: int = 0  # more, for the child added after it
    messages: int = 0  # messages the bot sent
    bot_seconds: float = 0.0  # time inside the bot's handlers
    wall_seconds: float = 0.0
    asked: list[str] = field(default_factory=list)
    cadre_tip: bool = False


def _texts(lang: str) -> Mapping[str, str]:
    return ZH if lang == "zh" else EN


def _finished(user: FakeUser, lang: str) -> bool:
    messages = user.messages()
    return bool(messages) and messages[-1]["text"] == _texts(lang)["results_outro"]


def _asked(user: FakeUser, questionnaire: Questionnaire) -> tuple[str, str]:
    """(kind, key) of the newest question: ("q", id), ("f", path) or ("p", path) for a place."""
    for _label, data in user.buttons():
        if data.startswith("s|"):
            key = data.split("|")[1]
            if key.startswith("q"):
                return "q", questionnaire.policies.questions[int(key[1:])].id
            path = questionnaire.fact_at(int(key[1:]))
            assert path is not None
            return "f", path
    raise AssertionError("no question is open")


async def _answer_one(
    bot: BotUnderTest,
    user: FakeUser,
    household: Household,
    facts: Mapping[str, Any],
    questionnaire: Questionnaire,
) -> str:
    """Answer the newest question truthfully from `facts`; the key asked."""
    lang = household.lang
    texts = _texts(lang)
    kind, key = _asked(user, questionnaire)
    labels = [label for label, _ in user.buttons()]
    if texts["pick_place"] in user.messages()[-1]["text"].split("\n"):
        wanted = next(p for p in labels if p.endswith(gazetteer().by_code[facts[key]].name))
        await bot.press(user, wanted)
        return key
    if kind == "q":
        question = next(q for q in questionnaire.policies.questions if q.id == key)
        if key in household.typed:
            await bot.say(user, household.typed[key])
            return key
        for choice in question.choices:
            if choice.sets and all(facts.get(f, object()) == v for f, v in choice.sets.items()):
                await bot.press(user, choice.label.zh if lang == "zh" else choice.label.en)
                return key
        rest = next((c for c in question.choices if not c.sets), None)
        if rest is not None and any(f in facts for f in question.facts):
            await bot.press(user, rest.label.zh if lang == "zh" else rest.label.en)
        else:
            await bot.press(user, texts["skip"])
        return key
    spec = questionnaire.policies.facts[key]
    if key in household.typed:
        await bot.say(user, household.typed[key])
    elif key == "person.age" and "person.birth_date" in facts:
        await bot.say(user, facts["person.birth_date"])
    elif key not in facts:
        await bot.press(user, texts["skip_region" if spec.kind == "region" else "skip"])
    elif spec.kind == "enum":
        value = facts[key]
        option = next(o for o in spec.options if o.value == value)
        await bot.press(user, option.zh if lang == "zh" else option.en)
    elif spec.kind == "bool":
        await bot.press(user, texts["yes" if facts[key] else "no"])
    else:
        await bot.say(user, str(facts[key]))
    return key


async def play(bot: BotUnderTest, household: Household) -> tuple[FakeUser, Run]:
    """The household's whole conversation, from /start to the results (and the child's)."""
    assert bot.bot is not None
    questionnaire = bot.bot.questionnaire
    user = bot.user()
    run = Run()
    steps_before = len(bot.bot.step_seconds)
    started = time.perf_counter()
    if household.lang == "en":
        await bot.say(user, "/lang English")
    await bot.say(user, "/start")
    for _ in range(40):
        if _finished(user, household.lang):
            break
        run.asked.append(await _answer_one(bot, user, household, household.profile, questionnaire))
        run.answers += 1
    else:
        raise AssertionError(f"{household.name}: no results after 40 answers: {run.asked}")
    if household.child is not None:
        await bot.press(user, _texts(household.lang)["add_child"])
        for _ in range(20):
            if _finished(user, household.lang):
                break
            await _answer_one(bot, user, household, household.child, questionnaire)
            run.child_answers += 1
    run.wall_seconds = time.perf_counter() - started
    run.bot_seconds = sum(list(bot.bot.step_seconds)[steps_before:])
    run.messages = len(user.messages())
    ask_cadre = _texts(household.lang)["ask_cadre"].split("{")[0]
    run.cadre_tip = any(ask_cadre in m["text"] for m in user.messages())
    return user, run


def expected(
    bot: BotUnderTest, household: Household
) -> tuple[list[Determination], list[Determination]]:
    """What the core decides on the household's full profile (and its child's): for the
    programmes the bot decides for the person, and for the child."""
    assert bot.bot is not None
    questionnaire = bot.bot.questionnaire
    conversation = Conversation(
        chat_id=0,
        lang="zh" if household.lang == "zh" else "en",
        answers=dict(household.profile),
        child=None if household.child is None else dict(household.child),
    )
    return (
        questionnaire.determinations(conversation),
        questionnaire.child_determinations(conversation),
    )
