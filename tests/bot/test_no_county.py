"""A household that skips the county question is never told one county's rule as its own."""

from __future__ import annotations

import datetime as dt

from bot.texts import ZH
from tests.bot.conftest import BotUnderTest
from tests.bot.driver import answer, finished

# 临猗县农业农村局《外出务工一次性交通补贴政策》(2024-08-29, transport_subsidy.toml `linyi_2024`):
# only 临猗 pays monitored households that are not 脱贫户 only while their risk remains.  A
# monitored 边缘易致贫户 (risk not said) working in another province, county skipped: whether
# that rule holds waits on the county, and its wording must not read as 临猗's rule for them.
WORKER = {
    "household.category": "edge_vulnerable",
    "person.age": 30,
    "person.employment.status": "employed",
    "person.employment.work_scope": "other_province",
    "person.employment.months_continuous": 4,
    "person.employment.transport_subsidy_claimed_this_year": False,
}


async def test_skipped_county_gets_no_county_wording(bot: BotUnderTest) -> None:
    bot.clock.today = dt.date(2024, 11, 5)
    user = bot.user()
    await bot.say(user, "/start")
    given, asked = await answer(bot, user, WORKER)
    assert finished(user)
    assert "region_code" in asked and "region_code" not in given
    texts = [m["text"] for m in user.messages()]
    opening = max(i for i, t in enumerate(texts) if t.endswith(ZH["no_more_questions"]))
    results = texts[opening + 1 :]
    [transport] = [t for t in results if "外出务工交通补贴" in t.splitlines()[0]]
    assert "还要确认" in transport.splitlines()[0]
    # Was "临猗县的补贴给脱贫户和风险还没消除的监测户…" as a line to confirm.
    assert not any("临猗" in t for t in results), transport
    # The to-confirm line still says what the rule is, and that it depends on the county.
    assert "有的县只补脱贫户和风险还没消除的监测户" in transport


async def test_skipped_county_is_asked_for_before_a_way_in(bot: BotUnderTest) -> None:
    # 黑人社发〔2022〕18号 asks 3 months of work in another province, 临猗 2024 (linyi_2024)
    # none.  Two months, county skipped: "还可以怎么办" says the rule is the county's and asks
    # for it; it was "依据：连续稳定务工满（按当地标准）", a placeholder read as a figure.
    bot.clock.today = dt.date(2024, 11, 5)
    user = bot.user()
    await bot.say(user, "/start")
    facts = {
        **WORKER,
        "household.category": "poverty_alleviated",
        "person.employment.months_continuous": 2,
        "person.employment.organized_transfer": False,
    }
    given, asked = await answer(bot, user, facts)
    assert finished(user)
    assert "region_code" in asked and "region_code" not in given
    texts = [m["text"] for m in user.messages()]
    [what_if] = [t for t in texts if t.startswith(ZH["what_if"])]
    [transport] = [line for line in what_if.splitlines() if line.startswith("【外出务工交通补贴】")]
    assert "按当地标准" not in what_if
    assert transport.startswith(
        "【外出务工交通补贴】外出务工交通补贴对连续务工月数的要求各县不一样，告诉我们您家在哪个县"
    ), transport
    assert "依据：连续务工月数要符合县里的规定。" in transport
