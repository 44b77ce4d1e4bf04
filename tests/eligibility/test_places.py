"""Places by name (#12): the resolver the bot, the API and the batch share, and how current its
county codes are (GB/T 2260 as the Ministry of Civil Affairs publishes them)."""

from __future__ import annotations

import pytest

from eligibility.places import (
    PlaceNameError,
    aliases,
    gazetteer,
    region_code_for_name,
    region_code_of,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("临猗", "140821"),
        ("临猗县", "140821"),
        ("山西运城临猗", "140821"),
        ("运城市临猗县", "140821"),
        ("山西省临猗县", "140821"),
        (" 临猗县 ", "140821"),
        ("中国山西省运城市临猗县", "140821"),
        ("临猗人", "140821"),
        ("140821", "140821"),
        ("１４０８２１", "140821"),
        ("广东", "44"),
        ("深圳", "4403"),
        ("浙江", "33"),
        ("广东东莞", "4419"),
        ("崇信", "620823"),
        ("清镇", "520181"),
        ("环江", "451226"),
        ("环江县", "451226"),  # 环江毛南族自治县, as people say it
        ("广西环江", "451226"),
        ("内蒙古", "15"),
        ("延边州", "2224"),
        ("上海浦东", "310115"),
        ("石家庄新华区", "130105"),
    ],
)
def test_names_as_people_write_them(text: str, code: str) -> None:
    assert region_code_of(text) == (code, (gazetteer().by_code[code],))


def test_a_shared_name_gives_every_candidate() -> None:
    code, candidates = region_code_of("新华区")
    assert code is None
    assert [p.code for p in candidates] == ["130105", "130902", "410402"]
    assert candidates[0].full_name == "河北省石家庄市新华区"
    with pytest.raises(PlaceNameError, match="130902 河北省沧州市新华区"):
        region_code_for_name("新华区")
    with pytest.raises(PlaceNameError, match="not the name"):
        region_code_for_name("火星")


def test_codes_are_current() -> None:
    """Counties merged or set up since 2015, as the Ministry of Civil Affairs announced them."""
    places = gazetteer()
    # 2024-12: 新疆和田地区 设立和安县、和康县.
    hean = places.place("653229")
    assert hean is not None and hean.name == "和安县"
    assert places.place("653228") is not None
    # 2021-04: 杭州 江干区 merged into 上城区, 下城区 into 拱墅区; 临平区, 钱塘区 set up.
    assert places.place("330104") is None and places.place("330103") is None
    assert places.place("330113") is not None and places.place("330114") is not None
    # 2019-01: 莱芜市 merged into 济南市 (莱芜区 370116, 钢城区 370117).
    assert places.place("3712") is None and places.place("370116") is not None
    # 2018-02: 大同 南郊区/矿区 merged into 云冈区.
    assert places.place("140214") is not None and places.place("140211") is None
    assert region_code_of("江干区") == (None, ())


def test_the_county_of_an_id_number() -> None:
    county = gazetteer().county_of_identity_number("140821198103151239")
    assert county is not None and county.code == "140821"
    assert gazetteer().county_of_identity_number("330104198103151239") is None  # merged in 2021


def test_aliases_keep_two_characters_at_least() -> None:
    assert aliases("环江毛南族自治县") == {"环江毛南族自治县", "环江", "环江县"}
    assert "东乡" in aliases("东乡族自治县")
    assert aliases("城区") == {"城区"}  # "城" would match everything
