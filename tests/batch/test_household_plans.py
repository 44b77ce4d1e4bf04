"""`--household-plan`: one plan row per household of a register (issue 13 part 2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from batch.run import BatchInputError, BatchOptions, run_batch
from eligibility.programme import PolicySet

AS_OF = dt.date(2024, 9, 1)
OPTIONS = BatchOptions(as_of=AS_OF, lang="zh", household_plan=True)


def test_a_csv_run_writes_one_plan_row_per_household(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    output = tmp_path / "out.csv"
    result = run_batch(example.HERE / "register.csv", output, OPTIONS, policies=policies)
    assert result.households_path == tmp_path / "out.csv.households.csv"
    side = pl.read_csv(result.households_path, encoding="utf8-lossy")
    assert side.columns[0].lstrip("\ufeff") == "户编号"
    # In order, each once; the households of the bad rows too, naming them as left out.
    households = [h for _, h, _, _ in [*example.PEOPLE, *example.BAD_PEOPLE]]
    assert side[:, 0].to_list() == list(dict.fromkeys(households))
    left_out = side.columns[-1]
    for name, household, _, _ in example.BAD_PEOPLE:
        [row] = side.filter(pl.col(side.columns[0]) == household).iter_rows(named=True)
        assert name in row[left_out]
    first = side.row(0, named=True)
    assert first["成员"] == "张建国、张小燕"
    # 张建国 works in Zhejiang: 临猗 2024 pays 省外1500元 (linyi_2024); 张小燕 is in 中职:
    # 雨露计划 3000元/学年 (yulu_rules).  The loan (50,000, lent) is listed apart, not summed.
    assert first["每年能领合计(元)"] == 1500 + 3000
    assert "脱贫人口小额信贷 50000" in first["另列（没有算进合计）"]
    # One checklist: 身份证 and 户口本, asked by the loan and the subsidy, once and first.
    items = first["要带的材料"].split("；")
    assert items[0] == "户口本、身份证（2）"
    assert len(items) == len(set(items))
    # 临猗's window (linyi_2024: 每年11月上旬集中申报) and the loan's 36-month term from AS_OF.
    assert "2024-11-01至2024-11-10 外出务工交通补贴" in first["日期"]
    assert "2027-09-01 脱贫人口小额信贷" in first["日期"]


def test_an_xlsx_run_adds_a_plan_sheet(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    output = tmp_path / "out.xlsx"
    result = run_batch(example.HERE / "register.xlsx", output, OPTIONS, policies=policies)
    assert result.households_path is None
    sheet = pl.read_excel(output, sheet_name="户计划")
    assert sheet.row(0, named=True)["每年能领合计(元)"] == 4500
    assert sheet.height == len({h for _, h, _, _ in [*example.PEOPLE, *example.BAD_PEOPLE]})


def test_without_the_flag_nothing_is_planned(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    options = dataclasses.replace(OPTIONS, household_plan=False)
    result = run_batch(
        example.HERE / "register.csv", tmp_path / "o.csv", options, policies=policies
    )
    assert result.households is None
    assert not (tmp_path / "o.csv.households.csv").exists()


def test_a_register_without_a_household_column_is_refused(
    tmp_path: Path, example: ModuleType, policies: PolicySet
) -> None:
    source = tmp_path / "no_household.csv"
    frame = pl.read_csv(example.HERE / "register.csv", infer_schema=False).drop("户编号")
    frame.write_csv(source)
    with pytest.raises(BatchInputError, match="户编号"):
        run_batch(source, tmp_path / "o.csv", OPTIONS, policies=policies)
    assert not (tmp_path / "o.csv").exists()


def test_members_with_bad_data_and_rows_without_a_household_are_named_not_dropped(
    tmp_path: Path, policies: PolicySet
) -> None:
    """A member whose row has an error (三万 is not a number here) is not counted in the plan
    and is named in its household's row; a row with no 户编号 is named in a row of its own; a
    household whose every row is bad still has its row (review of 2026-12-04: all were
    dropped without a word)."""
    source = tmp_path / "r.csv"
    pl.DataFrame(
        {
            "户编号": ["H1", "H1", "H2", None],
            "姓名": ["甲", "乙", "丙", "丁"],
            "户籍所在地区划代码": ["140821"] * 4,
            "户类型": ["脱贫户"] * 4,
            "年龄": ["40", "40", "40", "40"],
            "申请金额": ["30000", "三万", "三万", "30000"],
        }
    ).write_csv(source)
    output = tmp_path / "out.csv"
    result = run_batch(source, output, OPTIONS, policies=policies)
    assert result.households_path is not None
    side = pl.read_csv(result.households_path, encoding="utf8-lossy")
    left_out = side.columns[-1]
    rows = {r[side.columns[0]]: r for r in side.iter_rows(named=True)}
    assert rows["H1"]["成员"] == "甲" and rows["H1"][left_out] == "乙（第2行）"
    assert rows["H2"][left_out] == "丙（第3行）"
    assert rows["（没有填户编号）"][left_out] == "丁（第4行）"
