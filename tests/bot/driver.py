"""A household member answering the bot from a set of facts, as a person would: pressing the
buttons for choices and 是/否, typing numbers and codes, and "不清楚" for what they do not know."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.questionnaire import Conversation, applicant_of
from bot.texts import EN, ZH
from eligibility import rules
from eligibility.derive import DERIVED_FACTS
from eligibility.determination import determine, next_questions
from eligibility.programme import PolicySet
from tests.bot.conftest import BotUnderTest
from tests.bot.fake_bot_api import FakeUser

OUTRO = ZH["results_outro"]
_LABELS = {"zh": ZH, "en": EN}


def flat_facts(nested: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested facts as dotted paths (dates as ISO text); `as_of` left out."""
    out: dict[str, Any] = {}
    for key, value in nested.items():
        path = f"{prefix}{key}"
        if path == "as_of":
            continue
        if isinstance(value, Mapping):
            out.update(flat_facts(value, path + "."))
        else:
            out[path] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def asked_key(user: FakeUser, policies: PolicySet) -> tuple[str, bool]:
    """What the newest question asks: a fact path, or a combined question's id (True)."""
    for _label, data in user.buttons():
        if data.startswith("s|"):
            key = data.split("|")[1]
            if key.startswith("q"):
                return policies.questions[int(key[1:])].id, True
            return list(policies.facts)[int(key[1:])], False
    raise AssertionError("the newest message with buttons is not a question")


def asked_fact(user: FakeUser, policies: PolicySet) -> str:
    """The fact (or combined question id) the newest question asks."""
    return asked_key(user, policies)[0]


def finished(user: FakeUser) -> bool:
    """Whether the bot has shown the results (its closing line is the last message)."""
    messages = user.messages()
    return bool(messages) and messages[-1]["text"] in (OUTRO, EN["results_outro"])


async def answer(
    bot: BotUnderTest,
    user: FakeUser,
    facts: Mapping[str, Any],
    *,
    max_steps: int = 60,
    lang: str = "zh",
) -> tuple[dict[str, Any], list[str]]:
    """Answer every question from `facts` (dotted paths) until the results come.

    Returns the facts actually given and the facts asked, in order.
    """
    policies = bot.policies
    given: dict[str, Any] = {}
    asked: list[str] = []
    for _ in range(max_steps):
        if finished(user):
            return given, asked
        fact, combined = asked_key(user, policies)
        assert fact not in asked, f"{fact} asked twice"
        if combined:
            asked.append(fact)
            await answer_combined(bot, user, fact, facts, given, lang)
            continue
        # Only what the core still needs: a fact the open verdicts or amounts hinge on, or what
        # such a fact is worked out from once the user said "不清楚" to it.
        decided = determine(applicant_of(given), policies, today=bot.clock.today)
        open_facts = {q.fact for q in next_questions(decided)}
        # Or, once no verdict waits, what stands between a programme and the day time alone
        # brings it within reach (issue 13: "还可以怎么办").
        assert bot.bot is not None
        open_facts |= set(
            bot.bot.questionnaire.way_in_facts(
                Conversation(chat_id=0, answers=given), decided, check=True
            )
        )
        derivable = {s for f in open_facts & set(asked) for s in DERIVED_FACTS.get(f, ())}
        gates = {
            g
            for f in open_facts
            if f in policies.gates
            for g in rules.fact_paths(policies.gates[f])
        }
        # The household status facts are asked with the one question the catalogue names.
        asked_with = {policies.facts[f].asked_with for f in open_facts if f in policies.facts}
        assert fact in open_facts | derivable | gates | asked_with, (
            f"{fact} asked but no verdict waits on it"
        )
        # The household status facts are asked with the one question the catalogue names.
        asked_with = {policies.facts[f].asked_with for f in open_facts if f in policies.facts}
        assert fact in open_facts | derivable | asked_with, (
            f"{fact} asked but no verdict waits on it"
        )
        asked.append(fact)
        spec = policies.facts[fact]
        if fact == "person.age" and fact not in facts and "person.birth_date" in facts:
            await bot.say(user, facts["person.birth_date"])
            given["person.birth_date"] = facts["person.birth_date"]
            continue
        texts = _LABELS[lang]
        if fact not in facts:
            await bot.press(user, texts["skip_region" if spec.kind == "region" else "skip"])
            continue
        value = facts[fact]
        given[fact] = value
        if spec.kind == "enum":
            label = next(o.zh if lang == "zh" else o.en for o in spec.options if o.value == value)
            await bot.press(user, label)
        elif spec.kind == "bool":
            await bot.press(user, texts["yes" if value else "no"])
        else:
            await bot.say(user, str(value))
    raise AssertionError(f"no results after {max_steps} steps; asked {asked}")


async def answer_combined(
    bot: BotUnderTest,
    user: FakeUser,
    qid: str,
    facts: Mapping[str, Any],
    given: dict[str, Any],
    lang: str = "zh",
) -> None:
    """A combined question answered truthfully: the choice whose facts all hold, else typed
    values, else "not all" (then each is asked alone), else "不清楚"."""
    question = next(q for q in bot.policies.questions if q.id == qid)
    for choice in question.choices:
        if choice.sets and all(facts.get(f, object()) == v for f, v in choice.sets.items()):
            given.update(choice.sets)
            await bot.press(user, choice.label.zh if lang == "zh" else choice.label.en)
            return
    typed = question.typed
    if typed is not None and typed.facts[0] in facts:
        values = [facts[f] for f in typed.facts if f in facts]
        if all(facts.get(f, object()) == v for f, v in typed.sets.items()):
            given.update({f: facts[f] for f in typed.facts if f in facts})
            given.update(typed.sets)
            await bot.say(user, "，".join(str(v) for v in values))
            return
    rest = next((c for c in question.choices if not c.sets), None)
    if rest is not None and any(f in facts for f in question.facts):
        await bot.press(user, rest.label.zh if lang == "zh" else rest.label.en)
        return
    await bot.press(user, _LABELS[lang]["skip"])


def programme_cards(user: FakeUser, count: int) -> list[str]:
    """The last results shown: one message per programme, after the opening line."""
    texts = [m["text"] for m in user.messages()]
    opening = [i for i, t in enumerate(texts) if t.endswith(ZH["no_more_questions"])][-1]
    start = opening + 1
    return texts[start : start + count]
