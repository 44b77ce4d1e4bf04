"""Register cells that look right but are not ASCII, and birth dates nobody can have (issue 11).

Findings 2, 3, 7 and 8, at the batch door: the 身份证号 column carries the core's mask; ID
numbers and region codes typed in full-width digits are the same as ASCII ones; other scripts'
digits are refused; birth dates before 1900 or after the row's as_of are row errors.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from batch.columns import ID_PATH, parse_chunk, plan_columns
from eligibility.identity import mask_identity_number, parse_identity_number
from eligibility.programme import PolicySet
from tests.batch.test_columns import AS_OF, parse, valid_id
from tests.eligibility.identity_views import MIN_CANDIDATES, candidates, identity_numbers

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@settings(max_examples=50, deadline=None)
@given(st.lists(identity_numbers(), min_size=1, max_size=5))
def test_the_id_column_shows_the_cores_mask_and_leaves_1000_numbers(
    policies: PolicySet, numbers: list[str]
) -> None:
    # Finding 2: the output's 身份证号 column, beside the birth date and region (both in the
    # register, so known to its readers), leaves at least 1,000 numbers for each person.
    born = [parse_identity_number(n).birth_date.isoformat() for n in numbers]
    _, carried, _ = parse(policies, {"身份证号": numbers, "出生日期": born})
    shown = carried["身份证号"].to_list()
    assert shown == [mask_identity_number(n) for n in numbers]
    for number, masked in zip(numbers, shown, strict=True):
        identity = parse_identity_number(number)
        left = candidates(masked, region_code=number[:6], birth_date=identity.birth_date)
        assert left >= MIN_CANDIDATES


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="0123456789Xx０１２３４５６７８９Ｘ ab", max_size=22))
def test_the_columnar_mask_is_the_cores(policies: PolicySet, text: str) -> None:
    _, carried, _ = parse(policies, {"身份证号": [text]})
    masked = carried["身份证号"][0]
    if text.strip() and text.strip().lower() not in ("n/a", "-"):
        assert masked == mask_identity_number(text)


def test_full_width_id_numbers_are_the_ascii_number(policies: PolicySet) -> None:
    # Finding 3: one person, typed in full-width digits or not, is one number.
    number = valid_id("140821", "19890512", "201")
    wide = number.translate(FULL_WIDTH)
    facts, carried, errors = parse(policies, {"身份证号": [wide, number, f" {wide.lower()} "]})
    assert facts[ID_PATH].to_list() == [number, number, number]
    assert errors == [None, None, None]
    assert carried["身份证号"].to_list() == [mask_identity_number(number)] * 3


def test_id_numbers_in_other_scripts_digits_are_row_errors(policies: PolicySet) -> None:
    number = valid_id("140821", "19890512", "201")
    facts, _, errors = parse(policies, {"身份证号": [number.translate(ARABIC_INDIC)]})
    assert facts[ID_PATH].to_list() == [None]
    assert errors[0] is not None and "17 digits" in errors[0]


def test_full_width_region_codes_are_stored_in_ascii(policies: PolicySet) -> None:
    # Finding 7: a full-width code was kept as typed, outside every prefix and override.
    facts, _, errors = parse(
        policies,
        {"户籍所在地区划代码": ["１４０８２１", "１４"], "务工地区划代码": ["４４０３", "440300"]},
    )
    assert facts["region_code"].to_list() == ["140821", "14"]
    assert facts["person.employment.work_region_code"].to_list() == ["4403", "440300"]
    assert errors == [None, None]


def test_region_codes_in_other_scripts_digits_are_row_errors(policies: PolicySet) -> None:
    facts, _, errors = parse(
        policies,
        {"户籍所在地区划代码": ["١٤٠٨٢١", "140821"], "务工地区划代码": ["440300", "४४०३"]},
    )
    assert facts["region_code"].to_list() == [None, "140821"]
    assert facts["person.employment.work_region_code"].to_list() == ["440300", None]
    assert errors[0] is not None and "region_code" in errors[0]
    assert errors[1] is not None and "work_region_code" in errors[1]


def test_birth_dates_before_1900_or_after_as_of_are_row_errors(policies: PolicySet) -> None:
    # Finding 8: these were decided (an age of -6 or 125).
    after = (AS_OF + dt.timedelta(days=1)).isoformat()
    _, _, errors = parse(
        policies, {"出生日期": ["1899-12-31", after, AS_OF.isoformat(), "1900-01-01", "2030-01-01"]}
    )
    assert (
        errors[0] is not None
        and 'person.birth_date: "1899-12-31" is before 1900-01-01' in (errors[0])
    )
    assert errors[1] is not None and f"is after as_of ({AS_OF.isoformat()})" in errors[1]
    assert errors[2] is None and errors[3] is None
    assert errors[4] is not None and "person.birth_date" in errors[4]


def test_birth_date_after_the_rows_own_as_of(policies: PolicySet) -> None:
    raw = pl.DataFrame({"出生日期": ["2022-05-01", "2022-05-01"], "评估日期": ["2022-04-30", None]})
    plan = plan_columns(raw.columns, policies, "zh")
    errors = parse_chunk(raw, plan, policies, as_of=AS_OF, lang="zh").errors.to_list()
    assert errors[0] == '出生日期（person.birth_date）: "2022-05-01" 晚于评估日期（2022-04-30）'
    assert errors[1] is None


def test_an_id_number_born_after_as_of_is_a_row_error_showing_only_the_mask(
    policies: PolicySet,
) -> None:
    number = valid_id("140821", (AS_OF + dt.timedelta(days=30)).strftime("%Y%m%d"), "201")
    _, _, errors = parse(policies, {"身份证号": [number]})
    assert errors[0] is not None
    assert (
        f'person.id_number: "{mask_identity_number(number)}" its birth date is after as_of'
        in (errors[0])
    )
    assert number not in errors[0]


def test_region_codes_no_region_has_are_row_errors(policies: PolicySet) -> None:
    # Review #6: 999999 was decided under the national rules, and a work place 999999 counted as
    # another province; 330104 (杭州江干区) was merged in 2021.  The other rows go on.
    facts, _, errors = parse(
        policies,
        {
            "户籍所在地区划代码": ["999999", "330104", "140821", "140821", "340000"],
            "务工地区划代码": ["440300", "440300", "999999", "4403", "1101"],
        },
    )
    assert facts["region_code"].to_list() == [None, None, "140821", "140821", "340000"]
    assert errors[0] is not None and "region_code" in errors[0] and "in use today" in errors[0]
    assert errors[1] is not None and "region_code" in errors[1]
    assert errors[2] is not None and "work_region_code" in errors[2]
    assert errors[3] is None and errors[4] is None


def test_an_age_that_is_not_the_birth_dates_is_a_row_error(policies: PolicySet) -> None:
    # Review #5: a stated age silently overrode the birth date and the ID number (a loan for an
    # 85-year-old came out eligible as a 40-year-old's).  One year off is the same person.
    born_1940 = valid_id(born="19400101")
    _, _, errors = parse(
        policies,
        {
            "年龄": [40, 40, 84, 44, 40],
            "身份证号": [born_1940, None, born_1940, None, None],
            "出生日期": [None, "1980-01-01", None, "1980-01-01", None],
        },
    )
    assert errors[0] == (
        "person.age: is 40, but the birth date in person.id_number (1940-01-01) gives 84 on "
        f"as_of ({AS_OF.isoformat()})"
    )
    assert errors[1] is not None and "person.birth_date (1980-01-01) gives 44" in errors[1]
    assert errors[2:] == [None, None, None]


def test_an_id_number_a_spreadsheet_kept_as_a_number_says_to_mend_the_cell_format(
    policies: PolicySet,
) -> None:
    # Excel keeps 15–16 digits of a number: an 18-digit ID stored as one ends in zeros and
    # fails its check digit (GB 11643).  The error says the cell format is what to mend
    # (review of 2026-12-04), in a number column and in a text one alike.
    number = valid_id("140821", "19800101", "123")
    rounded = int(number[:15] + "000")  # as Excel shows it: 15 significant digits
    for column in (pl.Series("身份证号", [rounded]), pl.Series("身份证号", [str(rounded)])):
        _, _, errors = parse(policies, {"身份证号": column}, "zh")
        assert errors[0] is not None and "设成文本" in errors[0], errors
    _, _, fine = parse(policies, {"身份证号": [number[:17] + "X"]}, "zh")
    assert fine[0] is None or "设成文本" not in fine[0]
