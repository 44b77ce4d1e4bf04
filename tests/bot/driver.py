"""A household member answering the bot from a set of facts, as a person would: pressing the
buttons for choices and 是/否, typing numbers and codes, and "不清楚" for what they do not know."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.questionnaire import applicant_of
from bot.texts import ZH
from eligibility.derive import DERIVED_FACTS
from eligibility.determination import determine, next_questions
from eligibility.policy import PolicySet
from tests.bot.conftest import BotUnderTest
from tests.bot.fake_bot_api import FakeUser

OUTRO = ZH["results_outro"]


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


def asked_fact(user: FakeUser, policies: PolicySet) -> str:
    """The fact the newest question asks (its "不清楚" button carries the fact's number)."""
    for _label, data in user.buttons():
        if data.startswith("s|"):
            return list(policies.facts)[int(data[2:])]
    raise AssertionError("the newest message with buttons is not a question")


def finished(user: FakeUser) -> bool:
    """Whether the bot has shown the results (its closing line is the last message)."""
    messages = user.messages()
    return bool(messages) and messages[-1]["text"] == OUTRO


async def answer(
    bot: BotUnderTest, user: FakeUser, facts: Mapping[str, Any], *, max_steps: int = 60
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
        fact = asked_fact(user, policies)
        assert fact not in asked, f"{fact} asked twice"
        # Only what the core still needs: a fact the open verdicts or amounts hinge on, or what
        # such a fact is worked out from once the user said "不清楚" to it.
        open_facts = {
            q.fact
            for q in next_questions(determine(applicant_of(given), policies, today=bot.clock.today))
        }
        derivable = {s for f in open_facts & set(asked) for s in DERIVED_FACTS.get(f, ())}
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
        if fact not in facts:
            await bot.press(user, "不知道/跳过" if spec.kind == "region" else "不清楚")
            continue
        value = facts[fact]
        given[fact] = value
        if spec.kind == "enum":
            label = next(o.zh for o in spec.options if o.value == value)
            await bot.press(user, label)
        elif spec.kind == "bool":
            await bot.press(user, "是" if value else "否")
        else:
            await bot.say(user, str(value))
    raise AssertionError(f"no results after {max_steps} steps; asked {asked}")


def programme_cards(user: FakeUser, count: int) -> list[str]:
    """The last results shown: one message per programme, before the closing line."""
    texts = [m["text"] for m in user.messages()]
    end = len(texts) - 1 - texts[::-1].index(OUTRO)
    return texts[end - count : end]
