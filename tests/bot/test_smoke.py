from tests.bot.conftest import BotUnderTest


async def test_start_asks_category(bot: BotUnderTest) -> None:
    user = bot.user()
    texts = await bot.say(user, "/start")
    print(texts)
    assert "您家是哪一类户" in texts[-1]
    texts = await bot.press(user, "脱贫户")
    print(texts, bot.api.sent(method="editMessageText")[-1].params)
