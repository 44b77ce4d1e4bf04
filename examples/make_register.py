"""Make the example register `examples/register.xlsx` and `examples/register.csv`.

Twenty made-up people of made-up households, written the way a county office keeps them:
Chinese headers (taken from the fact catalogue, never typed twice), Chinese words for the
choices, 是/否 for yes and no, ID numbers for some people (fake, with valid check characters) and
ages for others.  Together they meet every programme's verdicts (eligible, ineligible, needs
information), and two rows carry bad data on purpose (an age written in words, an ID number
with a wrong check character), to show that a bad row gets its error and the others go on.

    .venv/bin/python examples/make_register.py
    .venv/bin/eligibility batch examples/register.xlsx --out results.xlsx --as-of 2024-11-05
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eligibility.identity import check_character
from eligibility.policy import load_bundled

HERE = Path(__file__).resolve().parent
POLICIES = load_bundled()

# The identifying columns a county register keeps beside the facts.
IDENTIFYING = ("姓名", "户编号", "乡镇")
# The facts this register records, in the order of its columns.
FACTS = (
    "region_code",
    "household.category",
    "household.risk_eliminated",
    "person.id_number",
    "person.age",
    "person.labor_capacity",
    "person.full_civil_capacity",
    "person.serious_bad_credit",
    "household.microloan_overdue",
    "household.microloan_outstanding",
    "loan_request.purpose",
    "loan_request.amount",
    "loan_request.term_months",
    "person.employment.status",
    "person.employment.work_region_code",
    "person.employment.months_continuous",
    "person.employment.organized_transfer",
    "person.employment.transport_subsidy_claimed_this_year",
    "person.willing_to_work",
    "person.can_work_away",
    "person.holds_public_welfare_post",
    "person.education.level",
    "person.education.full_time",
    "person.education.registered",
    "person.education.suspended",
    "household.per_capita_net_income",
    "household.per_capita_net_income_previous",
    "household.sudden_hardship_event",
)


def identity_number(region: str, born: dt.date, serial: str) -> str:
    """A fake resident ID number with a valid GB 11643 check character."""
    first17 = region + born.strftime("%Y%m%d") + serial
    return first17 + check_character(first17)


def wrong_check(number: str) -> str:
    """The same number with a check character that does not match."""
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


LOAN_OK = {
    "person.full_civil_capacity": True,
    "person.serious_bad_credit": False,
    "household.microloan_overdue": False,
    "household.microloan_outstanding": 0,
}
WORKS_AWAY = {
    "person.employment.status": "employed",
    "person.employment.transport_subsidy_claimed_this_year": False,
    "person.employment.organized_transfer": False,
}

# (姓名, 户编号, 乡镇, facts).  Codes: 140821 临猗县 (Shanxi), 620823 崇信县 (Gansu),
# 451226 环江县 (Guangxi), 510121 金堂县 (Sichuan, no local tables).
PEOPLE: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "张建国",
        "H0001",
        "临晋镇",
        {
            "region_code": "140821",
            "household.category": "poverty_alleviated",
            "person.id_number": identity_number("140821", dt.date(1978, 3, 12), "201"),
            "person.labor_capacity": "full",
            **LOAN_OK,
            "loan_request.purpose": "production",
            "loan_request.amount": 30000,
            "loan_request.term_months": 36,
            **WORKS_AWAY,
            "person.employment.work_region_code": "330106",
            "person.employment.months_continuous": 6,
        },
    ),
    (
        "张小燕",
        "H0001",
        "临晋镇",
        {
            "region_code": "140821",
            "household.category": "poverty_alleviated",
            "person.age": 17,
            "person.employment.status": "student",
            "person.education.level": "secondary_vocational",
            "person.education.full_time": True,
            "person.education.registered": True,
            "person.education.suspended": False,
        },
    ),
    (
        "李秀英",
        "H0002",
        "临晋镇",
        {
            "region_code": "140821",
            "household.category": "edge_vulnerable",
            "household.risk_eliminated": False,
            "person.age": 52,
            "person.labor_capacity": "weak",
            "person.willing_to_work": True,
            "person.can_work_away": False,
            "person.holds_public_welfare_post": False,
            "person.employment.status": "unemployed",
        },
    ),
    (
        "王强",
        "H0003",
        "嵋阳镇",
        {
            "region_code": "140821",
            "household.category": "ordinary",
            "person.age": 45,
            "household.per_capita_net_income": 5200,
            "household.per_capita_net_income_previous": 9000,
            "household.sudden_hardship_event": "none",
        },
    ),
    (
        "刘芳",
        "H0004",
        "嵋阳镇",
        {
            "region_code": "140821",
            "household.category": "unstable_alleviated",
            "household.risk_eliminated": False,
            "person.age": 38,
            **WORKS_AWAY,
            "person.employment.work_region_code": "140802",
            "person.employment.months_continuous": 4,
        },
    ),
    (
        "陈志刚",
        "H0005",
        "嵋阳镇",
        {
            "region_code": "140821",
            "household.category": "edge_vulnerable",
            "household.risk_eliminated": True,
            "person.age": 41,
            **WORKS_AWAY,
            "person.employment.work_region_code": "440305",
            "person.employment.months_continuous": 5,
        },
    ),
    (
        "杨丽",
        "H0006",
        "角杯乡",
        {
            "region_code": "140821",
            "household.category": "poverty_alleviated",
            "person.age": 33,
            **LOAN_OK,
            "loan_request.purpose": "consumption",
            "loan_request.amount": 20000,
        },
    ),
    (
        "赵伟",
        "H0007",
        "角杯乡",
        {
            "region_code": "140821",
            "household.category": "poverty_alleviated",
        },
    ),
    (
        "黄海",
        "H0008",
        "锦屏镇",
        {
            "region_code": "620823",
            "household.category": "poverty_alleviated",
            "person.id_number": identity_number("620823", dt.date(1990, 7, 1), "113"),
            **WORKS_AWAY,
            "person.employment.work_region_code": "610112",
            "person.employment.months_continuous": 3,
        },
    ),
    (
        "周梅",
        "H0009",
        "锦屏镇",
        {
            "region_code": "620823",
            "household.category": "poverty_alleviated",
            "person.age": 29,
            **WORKS_AWAY,
            "person.employment.organized_transfer": True,
            "person.employment.work_region_code": "330106",
            "person.employment.months_continuous": 8,
        },
    ),
    (
        "吴军",
        "H0010",
        "新窑镇",
        {
            "region_code": "620823",
            "household.category": "sudden_hardship",
            "household.risk_eliminated": False,
            "person.age": 47,
            "person.labor_capacity": "full",
            "person.willing_to_work": True,
            "person.can_work_away": True,
            "person.holds_public_welfare_post": False,
            "person.employment.status": "unemployed",
        },
    ),
    (
        "徐静",
        "H0011",
        "新窑镇",
        {
            "region_code": "620823",
            "household.category": "ordinary",
            "person.age": 36,
            "household.sudden_hardship_event": "illness",
        },
    ),
    (
        "孙涛",
        "H0012",
        "思恩镇",
        {
            "region_code": "451226",
            "household.category": "poverty_alleviated",
            "person.age": 61,
            **WORKS_AWAY,
            "person.employment.work_region_code": "440305",
            "person.employment.months_continuous": 4,
        },
    ),
    (
        "马丽娟",
        "H0013",
        "思恩镇",
        {
            "region_code": "451226",
            "household.category": "poverty_alleviated",
            "person.id_number": identity_number("451226", dt.date(1995, 11, 20), "224"),
            **WORKS_AWAY,
            "person.employment.work_region_code": "440106",
            "person.employment.months_continuous": 3,
        },
    ),
    (
        "朱磊",
        "H0014",
        "思恩镇",
        {
            "region_code": "451226",
            "household.category": "poverty_alleviated",
            "person.age": 19,
            "person.employment.status": "student",
            "person.education.level": "undergraduate",
            "person.education.full_time": True,
            "person.education.registered": True,
            "person.education.suspended": False,
        },
    ),
    (
        "胡春花",
        "H0015",
        "赵镇",
        {
            "region_code": "510121",
            "household.category": "edge_vulnerable",
            "household.risk_eliminated": False,
            "person.age": 44,
            **LOAN_OK,
            "loan_request.purpose": "business",
            "loan_request.amount": 50000,
            "loan_request.term_months": 24,
            **WORKS_AWAY,
            "person.employment.work_region_code": "310115",
            "person.employment.months_continuous": 7,
        },
    ),
    (
        "郭平",
        "H0016",
        "赵镇",
        {
            "region_code": "510121",
            "household.category": "poverty_alleviated",
            "person.age": 58,
            "person.full_civil_capacity": True,
            "person.serious_bad_credit": True,
            "household.microloan_overdue": False,
            "loan_request.purpose": "production",
        },
    ),
    (
        "何玉兰",
        "H0017",
        "赵镇",
        {
            "region_code": "510121",
            "household.category": "ordinary",
            "person.age": 63,
            "household.per_capita_net_income": 12000,
        },
    ),
]
# Two rows with bad data on purpose: an age in words, an ID number whose check character is off.
BAD_PEOPLE: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "林大山",
        "H0018",
        "临晋镇",
        {
            "region_code": "140821",
            "household.category": "poverty_alleviated",
            "person.age": "四十",
            "person.employment.status": "employed",
        },
    ),
    (
        "高小红",
        "H0019",
        "锦屏镇",
        {
            "region_code": "620823",
            "household.category": "poverty_alleviated",
            "person.id_number": wrong_check(identity_number("620823", dt.date(1988, 2, 2), "342")),
            "person.employment.status": "unemployed",
        },
    ),
]


def cell(path: str, value: object) -> str | None:
    """A fact's value as a clerk writes it: Chinese option words, 是/否, plain numbers."""
    if value is None:
        return None
    spec = POLICIES.facts[path]
    if spec.kind == "enum" and isinstance(value, str):
        return next(o.zh for o in spec.options if o.value == value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def register() -> pl.DataFrame:
    """The register as a frame of text cells, headers in Chinese."""
    headers = [*IDENTIFYING, *(POLICIES.facts[path].header_zh for path in FACTS)]
    rows = []
    for name, household, township, facts in [*PEOPLE, *BAD_PEOPLE]:
        rows.append([name, household, township, *(cell(p, facts.get(p)) for p in FACTS)])
    return pl.DataFrame(rows, schema=dict.fromkeys(headers, pl.String), orient="row")


def write_xlsx(frame: pl.DataFrame, path: Path) -> None:
    """One sheet, every cell text (codes and ID numbers must keep their digits)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("花名册")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, frame.columns, bold)
    for row, values in enumerate(frame.iter_rows(), start=1):
        for column, value in enumerate(values):
            if value is not None:
                sheet.write_string(row, column, value)
    sheet.freeze_panes(1, 3)
    book.close()


def main() -> None:
    """Write both files next to this script."""
    frame = register()
    write_xlsx(frame, HERE / "register.xlsx")
    with (HERE / "register.csv").open("wb") as stream:
        frame.write_csv(stream, include_bom=True)
    print(f"{frame.height} rows → {HERE / 'register.xlsx'}, {HERE / 'register.csv'}")


if __name__ == "__main__":
    main()
