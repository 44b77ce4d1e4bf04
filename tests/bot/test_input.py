"""Bad input at every kind of question gets a friendly re-ask; ID numbers are never kept."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

from bot.texts import ZH
from db.models import BotConversation
from eligibility.identity import check_character
from tests.bot.conftest import BotUnderTest
from tests.bot.driver import asked_fact
from tests.bot.fake_bot_api import FakeUser


def id_number(birth: str = "19800115", region: str = "510121") -> str:
    """A valid 18-character ID number."""
    first17 = f"{region}{birth}123"
    return first17 + check_character(first17)


async def _data(bot: BotUnderTest, user_id: int) -> str:
    async with bot.engine.connect() as connection:
        table = BotConversation.__table__  # type: ignore[attr-defined]
        result = await connection.execute(
            sa.select(table.c.data).where(table.c.telegram_user_id == str(user_id))
        )
        return str(result.scalar_one())


async def _skip_until(bot: BotUnderTest, user: FakeUser, kind: str) -> str:
    """Answer "不清楚" until a question of `kind` comes; its fact."""
    for _ in range(40):
        fact = asked_fact(user, bot.policies)
        spec = bot.policies.facts.get(fact)
        if spec is not None and spec.kind == kind:
            return fact
        skip = "不知道/跳过" if spec is not None and spec.kind == "region" else "不清楚"
        await bot.press(user, skip)
    raise AssertionError(f"no {kind} question came")


async def _started(bot: BotUnderTest, category: str = "脱贫户") -> FakeUser:
    user = bot.user()
    await bot.say(user, "/start")
    await bot.press(user, category)
    # The 2026 policies (#9) ask the county, the work and the need for support before the age;
    # someone out of work who wants no loan is then asked it (for the public-welfare post).
    answers = {
        "work": "没在打工，也没有别的工作",
        "household.needs_support": "是",
        "loan": "不借钱",
    }
    for _ in range(8):
        fact = asked_fact(user, bot.policies)
        if fact == "person.age":
            return user
        if fact == "region_code":
            await bot.say(user, "临猗")
        elif fact in answers:
            await bot.press(user, answers[fact])
        else:
            await bot.press(user, next(la for la, d in user.buttons() if d.startswith("s|")))
    raise AssertionError("the age was not asked")


async def test_number_question(bot: BotUnderTest) -> None:
    user = await _started(bot)
    texts = await bot.say(user, "abc")
    assert texts[0].startswith("请打岁数，例如 45")  # the example in the question's own unit
    assert "您今年多少岁" in texts[0]
    texts = await bot.say(user, "200")
    assert texts[0].startswith("这个数不太对，请输入 0 到 130 之间的数字")
    texts = await bot.say(user, "1.0e999")  # was an OverflowError: 出了点问题
    assert texts[0].startswith("这个数太大了") and "您今年多少岁" in texts[0]
    texts = await bot.say(user, "４５岁")  # full-width digits and a unit are fine
    assert texts[0].startswith("记下：45岁\n")  # what was kept is said back
    assert re.search(r"第\d+题", texts[-1])
    assert "✏️ 改上一个回答" in [label for label, _ in user.buttons()]
    assert '"person.age":45' in await _data(bot, user.id)


async def test_choice_typed_instead_of_pressed(bot: BotUnderTest) -> None:
    user = bot.user()
    await bot.say(user, "/start")
    texts = await bot.say(user, "穷")
    assert texts[0].startswith(ZH["bad_choice"])
    assert user.messages()[-1]["reply_markup"]  # the buttons again
    texts = await bot.say(user, "脱贫户")  # the option's words, typed
    assert texts[0].startswith("记下：脱贫户")
    assert '"household.category":"poverty_alleviated"' in await _data(bot, user.id)
    await bot.say(user, "/restart")
    texts = await bot.say(user, "5")  # an option's number
    assert texts[0].startswith("记下：一般农户")
    assert '"household.category":"ordinary"' in await _data(bot, user.id)


async def test_yes_no_question(bot: BotUnderTest) -> None:
    user = await _started(bot)
    fact = await _skip_until(bot, user, "bool")
    assert [label for label, _ in user.buttons()] == ["是", "否", "不清楚", "✏️ 改上一个回答"]
    texts = await bot.say(user, "也许")
    assert texts[0].startswith(ZH["bad_bool"])
    await bot.say(user, "没有")
    assert f'"{fact}":false' in await _data(bot, user.id)


async def _at_region(bot: BotUnderTest) -> tuple[FakeUser, str]:
    user = bot.user()
    await bot.say(user, "/start")
    await bot.press(user, "脱贫户")
    return user, await _skip_until(bot, user, "region")


async def test_region_question(bot: BotUnderTest) -> None:
    user, fact = await _at_region(bot)
    assert ("不知道/跳过", f"s|f{bot.policies.fact_rank(fact)}") in [
        (label, "|".join(data.split("|")[:2])) for label, data in user.buttons()
    ]
    texts = await bot.say(user, "火星")
    assert texts[0].startswith(ZH["bad_region"])
    texts = await bot.say(user, "12345")
    assert texts[0].startswith(ZH["bad_region"])
    texts = await bot.say(user, "新华区")  # three counties: which one?
    assert texts[0].startswith(ZH["pick_place"])
    await bot.press(user, "河北省沧州市新华区")
    assert f'"{fact}":"130902"' in await _data(bot, user.id)
    await bot.press(user, "✏️ 改上一个回答")
    texts = await bot.say(user, "山西运城临猗")
    assert texts[0].startswith("记下：山西省运城市临猗县")
    assert f'"{fact}":"140821"' in await _data(bot, user.id)


async def test_region_question_skipped(bot: BotUnderTest) -> None:
    user, fact = await _at_region(bot)
    await bot.press(user, "不知道/跳过")
    data = await _data(bot, user.id)
    assert fact in data.split('"skipped"')[1]
    assert asked_fact(user, bot.policies) != fact  # not asked again


async def test_birth_date_instead_of_age(bot: BotUnderTest) -> None:
    user = await _started(bot)
    texts = await bot.press(user, "填出生日期")
    assert texts == [ZH["ask_birth_date"]]
    texts = await bot.say(user, "1980-13-01")
    assert texts[0].startswith(ZH["bad_date"])
    texts = await bot.say(user, "1980年5月1日")
    assert texts[0].startswith("已记下出生日期，年龄 46 岁")  # on 2026-11-23
    assert '"person.birth_date":"1980-05-01"' in await _data(bot, user.id)
    assert asked_fact(user, bot.policies) != "person.age"


async def test_id_number_at_the_county_question_gives_the_county_and_age(
    bot: BotUnderTest,
) -> None:
    """The county is offered from the ID number's first six digits (#12); never the number."""
    user, fact = await _at_region(bot)
    number = id_number("19800115", "140821")
    texts = await bot.say(user, number)
    assert texts[0].startswith("按身份证号 1408*")
    assert "户籍 山西省运城市临猗县，年龄 46 岁" in texts[0]
    data = await _data(bot, user.id)
    assert f'"{fact}":"140821"' in data and '"person.birth_date":"1980-01-15"' in data
    assert number not in data
    assert "✏️ 改上一个回答" in [label for label, _ in user.buttons()]


@pytest.mark.parametrize("via_button", [True, False], ids=["button", "typed"])
async def test_id_number_gives_the_age_and_is_never_kept(
    bot: BotUnderTest, via_button: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await _started(bot)
    number = id_number("19800115")
    if via_button:
        texts = await bot.press(user, "用身份证号算")
        assert texts == [ZH["ask_id"]]
        wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
        texts = await bot.say(user, wrong)
        assert texts[0].startswith("这个身份证号不对（最后一位校验码不对）")
    texts = await bot.say(user, number)
    assert texts[0].startswith("已按身份证号 5101*")
    assert "年龄：46 岁" in texts[0] and "号码没有保存" in texts[0]
    # The message holding the number is deleted from the chat.
    deleted = bot.api.sent(user.chat_id, method="deleteMessage")
    assert deleted and deleted[-1].params["message_id"] == user._message_id
    data = await _data(bot, user.id)
    assert '"person.birth_date":"1980-01-15"' in data
    assert number not in data and number[:17] not in data
    for call in bot.api.calls:
        assert number not in str(call.params), f"{call.method} carried the ID number"
    # Not in any log either, python-telegram-bot's debug log of every update included.
    assert any(record.name.startswith("telegram") for record in caplog.records)
    for record in caplog.records:
        assert number not in record.getMessage(), record.name


async def test_dont_know_is_not_asked_again(bot: BotUnderTest) -> None:
    user = await _started(bot)
    await bot.press(user, "不清楚")
    seen = ["person.age"]
    for _ in range(40):
        if user.messages()[-1]["text"] == ZH["results_outro"]:
            break
        fact = asked_fact(user, bot.policies)
        assert fact not in seen
        seen.append(fact)
        await bot.say(user, "不知道")  # typed "don't know" works like the button
    else:
        raise AssertionError("never finished")
    # The results as before, with issue 13's "还可以怎么办" (not a question) left out.
    texts = [m["text"] for m in user.messages() if not m["text"].startswith(ZH["what_if"])]
    assert texts[-7] == ZH["no_more_questions"]
