"""Places by name in a register (#12): a 户籍所在地 (or 务工地) column of names is read by the
core's resolver, the same as the bot's and the API's; a name several places share, or no place
has, is the row's error naming the field and the value."""

from __future__ import annotations

from eligibility.programme import PolicySet
from tests.batch.test_columns import parse


def test_county_names_become_codes(policies: PolicySet) -> None:
    facts, _, errors = parse(
        policies,
        {
            "户籍所在地": ["临猗", "临猗县", "山西运城临猗", "运城市临猗县", "140821"],
            "务工地": ["广东", "深圳", "浙江", "广东东莞", "4403"],
        },
    )
    assert facts["region_code"].to_list() == ["140821"] * 5
    assert facts["person.employment.work_region_code"].to_list() == [
        "44",
        "4403",
        "33",
        "4419",
        "4403",
    ]
    assert errors == [None] * 5


def test_ambiguous_or_unknown_names_are_row_errors(policies: PolicySet) -> None:
    facts, _, errors = parse(policies, {"户籍所在地": ["新华区", "火星", "石家庄新华区"]})
    assert facts["region_code"].to_list() == [None, None, "130105"]
    assert errors[0] is not None and "新华区" in errors[0] and "region_code" in errors[0]
    assert errors[1] is not None and "火星" in errors[1]
    assert errors[2] is None
