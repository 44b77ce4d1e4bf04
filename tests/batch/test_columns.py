"""Headers to facts, and cell values to typed facts with one error per bad cell."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch.columns import ID_PATH, identity_number_screen, parse_chunk, plan_columns
from eligibility.identity import IdentityNumberError, check_character, parse_identity_number
from eligibility.programme import PolicySet
from eligibility.text import Lang

AS_OF = dt.date(2024, 11, 5)


def valid_id(region: str = "140821", born: str = "19800312", serial: str = "201") -> str:
    first17 = region + born + serial
    return first17 + check_character(first17)


def parse(
    policies: PolicySet, columns: Mapping[str, Sequence[object] | pl.Series], lang: Lang = "en"
) -> tuple[pl.DataFrame, pl.DataFrame, list[str | None]]:
    raw = pl.DataFrame(columns)
    plan = plan_columns(raw.columns, policies, lang)
    parsed = parse_chunk(raw, plan, policies, as_of=AS_OF, lang=lang)
    return parsed.facts, parsed.carried, parsed.errors.to_list()


def test_headers_in_chinese_english_and_full_width(policies: PolicySet) -> None:
    plan = plan_columns(
        ["姓名", "户类型", "person.age", " 期限（月） ", "Household.Size", "户编号"], policies
    )
    assert plan.facts == {
        "户类型": "household.category",
        "person.age": "person.age",
        " 期限（月） ": "loan_request.term_months",
        "Household.Size": "household.size",
    }
    assert plan.carried == ["姓名", "户编号"]


def test_unknown_headers_are_reported_once_and_carried(policies: PolicySet) -> None:
    plan = plan_columns(["姓名", "年龄", "备注"], policies, "en")
    assert plan.carried == ["姓名", "备注"]
    assert len(plan.notes) == 1
    assert "姓名, 备注" in plan.notes[0]


def test_a_second_column_for_the_same_fact_is_noted(policies: PolicySet) -> None:
    plan = plan_columns(["年龄", "person.age"], policies, "en")
    assert plan.facts == {"年龄": "person.age"}
    assert any("both person.age" in note for note in plan.notes)


def test_township_column_is_found(policies: PolicySet) -> None:
    assert plan_columns(["乡镇", "年龄"], policies).township == "乡镇"
    assert plan_columns(["年龄"], policies).township is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("true", True),
        ("FALSE", False),
        ("是", True),
        ("否", False),
        ("1", True),
        ("0", False),
        ("1.0", True),
        ("", None),
        ("未知", None),
        (None, None),
    ],
)
def test_booleans(policies: PolicySet, cell: str | None, expected: bool | None) -> None:
    facts, _, errors = parse(policies, {"有就业意愿": [cell]})
    assert facts["person.willing_to_work"].to_list() == [expected]
    assert errors == [None]


@pytest.mark.parametrize("cell", ["未知", "不详", " N/A ", "NULL", "Null", "-", ""])
def test_words_for_unknown_in_any_case(policies: PolicySet, cell: str) -> None:
    facts, _, errors = parse(policies, {"申请金额": [cell], "有就业意愿": [cell]})
    assert facts["loan_request.amount"].to_list() == [None]
    assert facts["person.willing_to_work"].to_list() == [None]
    assert errors == [None]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("poverty_alleviated", "poverty_alleviated"),
        ("脱贫户", "poverty_alleviated"),
        ("Edge_Vulnerable", "edge_vulnerable"),
        ("边缘易致贫户", "edge_vulnerable"),
        (" 一般农户 ", "ordinary"),
    ],
)
def test_enums_in_english_or_chinese(policies: PolicySet, cell: str, expected: str) -> None:
    facts, _, errors = parse(policies, {"户类型": [cell]})
    assert facts["household.category"].to_list() == [expected]
    assert errors == [None]


def test_enum_words_with_full_width_punctuation(policies: PolicySet) -> None:
    facts, _, errors = parse(policies, {"就读层次": ["中职(中专,职高)", "中职（中专、职高）"]})
    assert facts["person.education.level"].to_list() == ["secondary_vocational"] * 2
    assert errors == [None, None]


def test_numbers_whole_from_text_or_spreadsheet(policies: PolicySet) -> None:
    facts, _, errors = parse(policies, {"年龄": ["45", "45.0", " 7 ", None]})
    assert facts["person.age"].to_list() == [45, 45, 7, None]
    assert errors == [None] * 4


def test_typed_parquet_columns_are_taken_as_they_are(policies: PolicySet) -> None:
    facts, _, errors = parse(
        policies,
        {
            "person.age": pl.Series([40, 200], dtype=pl.Int32),
            "person.willing_to_work": [True, None],
            "person.birth_date": [dt.date(1984, 1, 2), None],
        },
    )
    assert facts["person.age"].to_list() == [40, None]
    assert facts["person.willing_to_work"].to_list() == [True, None]
    assert errors[0] is None
    assert errors[1] == 'person.age: "200" is out of range 0–130'


@pytest.mark.parametrize(
    ("header", "cell", "message"),
    [
        ("年龄", "abc", 'person.age: "abc" is not a whole number'),
        ("年龄", "45.5", 'person.age: "45.5" is not a whole number'),
        ("年龄", "131", 'person.age: "131" is out of range 0–130'),
        ("户类型", "贫困户", 'household.category: "贫困户" is not one of: '),
        ("有就业意愿", "maybe", 'person.willing_to_work: "maybe" is not true/false'),
        ("出生日期", "1980-02-30", 'person.birth_date: "1980-02-30" is not a date'),
        ("户籍所在地区划代码", "14082", 'region_code: "14082" is not a 2, 4 or 6 digit'),
    ],
)
def test_bad_cells_give_the_row_an_error_naming_field_and_value(
    policies: PolicySet, header: str, cell: str, message: str
) -> None:
    facts, _, errors = parse(policies, {"姓名": ["甲", "乙"], header: [cell, None]})
    assert errors[0] is not None and errors[0].startswith(message), errors[0]
    assert errors[1] is None
    path = plan_columns([header], policies).facts[header]
    assert facts[path].to_list() == [None, None]


def test_errors_in_chinese_name_the_header(policies: PolicySet) -> None:
    _, _, errors = parse(policies, {"年龄": ["四十"]}, lang="zh")
    assert errors == ['年龄（person.age）: "四十" 不是整数']


def test_several_bad_cells_in_one_row_are_all_named(policies: PolicySet) -> None:
    _, _, errors = parse(policies, {"年龄": ["x"], "户类型": ["y"]})
    assert errors[0] is not None
    assert "person.age" in errors[0] and "household.category" in errors[0]


def test_identity_numbers_checked_masked_and_never_shown_in_clear(policies: PolicySet) -> None:
    good = valid_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    facts, carried, errors = parse(
        policies, {"姓名": ["甲", "乙", "丙"], "身份证号": [good, bad, "123"]}
    )
    assert facts[ID_PATH].to_list() == [good, None, None]
    # The core's mask (issue 11: first four only; it showed the last four too).
    assert carried["身份证号"].to_list() == [good[:4] + "*" * 14, bad[:4] + "*" * 14, "***"]
    assert errors[0] is None
    assert errors[1] is not None and "check digit does not match" in errors[1]
    assert errors[2] is not None and "17 digits" in errors[2]
    assert bad not in errors[1] and good not in "".join(str(e) for e in errors)


def test_identity_number_and_birth_date_must_agree(policies: PolicySet) -> None:
    number = valid_id(born="19800312")
    _, _, errors = parse(
        policies, {"身份证号": [number, number], "出生日期": ["1980-03-12", "1981-01-01"]}
    )
    assert errors[0] is None
    assert errors[1] is not None and "birth date" in errors[1]


def test_as_of_and_region_default_fill_only_what_is_missing(policies: PolicySet) -> None:
    raw = pl.DataFrame({"评估日期": ["2023-01-02", None], "户籍所在地区划代码": [None, "620823"]})
    plan = plan_columns(raw.columns, policies)
    parsed = parse_chunk(raw, plan, policies, as_of=AS_OF, region_default="140821")
    assert parsed.facts["as_of"].to_list() == [dt.date(2023, 1, 2), AS_OF]
    assert parsed.facts["region_code"].to_list() == ["140821", "620823"]


def test_codes_typed_into_numeric_cells(policies: PolicySet) -> None:
    facts, _, errors = parse(policies, {"户籍所在地区划代码": ["140821.0", "14"]})
    assert facts["region_code"].to_list() == ["140821", "14"]
    assert errors == [None, None]


def test_spreadsheet_dates_with_a_time(policies: PolicySet) -> None:
    facts, _, errors = parse(policies, {"出生日期": ["1980-03-12 00:00:00", "1980/03/12"]})
    assert facts["person.birth_date"].to_list() == [dt.date(1980, 3, 12)] * 2
    assert errors == [None, None]


@st.composite
def identity_like(draw: st.DrawFn) -> str:
    """Valid numbers, and numbers with one character changed, cut or from impossible dates."""
    born = draw(st.dates(dt.date(1890, 1, 1), dt.date(2030, 12, 31))).strftime("%Y%m%d")
    if draw(st.booleans()):
        born = draw(st.text("0123456789", min_size=8, max_size=8))
    first17 = draw(st.text("0123456789", min_size=6, max_size=6)) + born + "123"
    number = first17 + check_character(first17)
    change = draw(st.integers(0, 3))
    if change == 1:
        at = draw(st.integers(0, 17))
        number = number[:at] + draw(st.sampled_from("0123456789Xx ")) + number[at + 1 :]
    elif change == 2:
        number = number[: draw(st.integers(0, 17))]
    return number


@settings(max_examples=300, deadline=None)
@given(st.lists(identity_like(), min_size=1, max_size=30))
def test_columnar_identity_check_agrees_with_the_core(numbers: list[str]) -> None:
    text = pl.Series(numbers).str.strip_chars().str.to_uppercase()
    screened = identity_number_screen(text).to_list()
    for number, valid in zip(numbers, screened, strict=True):
        try:
            parse_identity_number(number)
            core = True
        except IdentityNumberError:
            core = False
        assert valid == core, number


@pytest.mark.parametrize(
    ("born", "real"),
    [
        ("20000229", True),  # divisible by 400: a leap year
        ("19000229", False),  # divisible by 100 only: not a leap year
        ("20240229", True),
        ("20230229", False),
        ("20240431", False),
        ("20241231", True),
        ("20241301", False),
        ("20240100", False),
        ("18991231", False),  # the core takes no birth year before 1900
    ],
)
def test_columnar_identity_check_reads_birth_dates_as_the_core(born: str, real: bool) -> None:
    first17 = "510121" + born + "123"
    number = first17 + check_character(first17)
    screened = identity_number_screen(pl.Series([number])).item()
    assert screened is real
    try:
        parse_identity_number(number)
        core = True
    except IdentityNumberError:
        core = False
    assert core is real


def test_numbers_too_large_for_a_whole_number(policies: PolicySet) -> None:
    facts, _, errors = parse(policies, {"年龄": ["-1e99", "1e300", "inf", "99999999999999999999"]})
    assert facts["person.age"].to_list() == [None] * 4
    assert all(e is not None and "person.age" in e for e in errors)


def test_columns_read_as_categories_parse_as_text_does_as_categories_grow(
    policies: PolicySet,
) -> None:
    # A CSV reader gives few-valued fact columns as categorical (`Register.read`), numbering
    # each distinct cell once for the whole register; parse_chunk parses each number once and
    # keeps what it parsed.  Chunk after chunk, as new cells (good, unknown and bad) come, the
    # facts and the errors are those of the same cells as text.
    first = {
        "户类型": ["脱贫户", "一般农户", None],
        "风险已消除": ["是", "否", "是"],
        "户籍所在地区划代码": ["140821", "620823", None],
    }
    later = {
        "户类型": ["不知道", "脱贫户", " 边缘易致贫户 "],
        "风险已消除": ["1.0", "未知", "maybe"],
        "户籍所在地区划代码": ["临猗县", "９９", "140821"],
    }
    categories = {header: pl.Categories.random() for header in first}
    headers = ["姓名", *first]
    plan = plan_columns(headers, policies, "zh")
    text_plan = plan_columns(headers, policies, "zh")
    for chunk in (first, later, first):
        raw = pl.DataFrame({"姓名": ["甲", "乙", "丙"], **chunk})
        as_categories = raw.with_columns(
            pl.col(h).cast(pl.Categorical(categories[h])) for h in categories
        )
        got = parse_chunk(as_categories, plan, policies, as_of=AS_OF, lang="zh")
        want = parse_chunk(raw, text_plan, policies, as_of=AS_OF, lang="zh")
        assert got.facts.equals(want.facts)
        assert got.errors.equals(want.errors)
    errors = parse_chunk(
        pl.DataFrame({"姓名": ["甲", "乙", "丙"], **later}).with_columns(
            pl.col(h).cast(pl.Categorical(categories[h])) for h in categories
        ),
        plan,
        policies,
        as_of=AS_OF,
        lang="zh",
    ).errors.to_list()
    assert errors[0] is not None and "不知道" in errors[0]
    assert errors[2] is not None and "maybe" in errors[2]


def test_a_row_dated_out_of_range_gets_its_error_and_the_others_go_on(
    policies: PolicySet,
) -> None:
    # eligibility.as_of_range: from 2021-01-01 (过渡期; policy-2026 notes) to 5 years ahead.
    days = ["2020-12-31", "2024-06-01", "9999-01-01", None]
    facts, _, errors = parse(policies, {"as_of": days, "person.age": ["30"] * 4})
    assert (
        errors[0] == 'as_of: "2020-12-31" is before 2021-01-01, the earliest date the rules cover'
    )
    assert errors[1] is None and errors[3] is None
    assert errors[2] is not None and errors[2].startswith('as_of: "9999-01-01" is after')
    # The refused rows are decided (and blanked) on the run's date: no plan for year 9999.
    assert facts["as_of"].to_list() == [AS_OF, dt.date(2024, 6, 1), AS_OF, AS_OF]
    _, _, chinese = parse(policies, {"评估日期": ["2020-12-31"]}, lang="zh")
    assert chinese[0] == '评估日期（as_of）: "2020-12-31" 早于2021-01-01：政策从这一天起才有规定'
