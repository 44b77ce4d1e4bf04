"""Per household of a register, its plan (issue 13 part 2): the yearly total, what is listed
apart, one checklist and the dates, one row per household (`eligibility batch --household-plan`).

A register's rows are people; the household they belong to is its identifying column 户编号 (or
`household_id`).  The register is read a second time for this (the main pass streams rows out
and keeps none), each row that the main pass would decide becomes an applicant, and each
household's members are planned together by the core (`eligibility.household_plan`) on the run's
date.  The plan keeps every member of a household in memory: it is for a county's register, not
the national one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from batch.columns import known_headers, not_a_person, parse_chunk, plan_columns
from batch.errors import BatchInputError
from batch.readers import open_register
from eligibility.facts import applicant_from_paths
from eligibility.household_plan import HouseholdPlan, PlanDate, PlanMember, decide_household
from eligibility.programme import PolicySet
from eligibility.text import Lang, Text

if TYPE_CHECKING:
    from batch.run import BatchOptions

# The identifying columns that name a row's household, in the order looked for.
HOUSEHOLD_COLUMNS = ("户编号", "household_id", "household_no")
NAME_COLUMNS = ("姓名", "name")

HEADERS: dict[str, Text] = {
    "household": Text(zh="户编号", en="household"),
    "members": Text(zh="成员", en="members"),
    "total": Text(zh="每年能领合计(元)", en="yearly total (yuan)"),
    "apart": Text(zh="另列（没有算进合计）", en="listed apart (not in the total)"),
    "checklist": Text(zh="要带的材料", en="documents to bring"),
    "dates": Text(zh="日期", en="dates"),
    # Rows of the household the plan could not count (an error in the row), and rows with no
    # household: named, never dropped without a word (review of 2026-12-04).
    "left_out": Text(
        zh="没有计入的人（数据有误，见结果的 error 列）",
        en="left out (bad data: see the results' error column)",
    ),
}
ROW = Text(zh="第{n}行", en="row {n}")
NO_HOUSEHOLD = Text(zh="（没有填户编号）", en="(no household id)")
SOURCE = Text(zh="依据", en="source")


def household_column(headers: Sequence[str]) -> str:
    """The register's household column, or a `BatchInputError` saying which to add."""
    for name in HOUSEHOLD_COLUMNS:
        if name in headers:
            return name
    raise BatchInputError(
        "--household-plan: the register has no 户编号 (household_id) column to group people "
        "into households"
    )


def household_plans(input_path: Path, policies: PolicySet, options: BatchOptions) -> pl.DataFrame:
    """One row per household of the register (in order of first appearance): members, yearly
    total, amounts listed apart, checklist and dates, worded in `options.lang`.

    The run's options give the date, region default, language, sheet, programmes and row
    check: a row the main pass gives an error is left out here too.
    """
    lang: Lang = options.lang
    register = open_register(
        input_path, options.chunk_rows, known=known_headers(policies), sheet=options.sheet
    )
    members: dict[str, list[PlanMember]] = {}
    left_out: dict[str, list[str]] = {}  # household (or NO_HOUSEHOLD) -> rows not counted
    try:
        column = household_column(register.headers)
        name_column = next((n for n in NAME_COLUMNS if n in register.headers), None)
        plan = plan_columns(register.headers, policies, lang)
        row = 0
        for raw in register.read():
            parsed = parse_chunk(
                raw,
                plan,
                policies,
                as_of=options.as_of,
                region_default=options.region_default,
                lang=lang,
            )
            bad = parsed.errors.is_not_null()
            # A blank or total row is nobody: no member, not one left out either.
            nobody = not_a_person(raw, lang).is_not_null()
            if options.row_check is not None:
                bad = bad | options.row_check(parsed.facts).is_not_null()
            keys = raw[column].cast(pl.String)
            names = raw[name_column].cast(pl.String) if name_column else None
            for i, facts in enumerate(parsed.facts.iter_rows(named=True)):
                row += 1
                if nobody[i]:
                    continue
                key = keys[i]
                name = names[i] if names is not None else None
                said = ROW.in_(lang).format(n=row)
                shown = (
                    said
                    if not name
                    else f"{name}（{said}）"
                    if lang == "zh"
                    else f"{name} ({said})"
                )
                if key is None or not key.strip():
                    left_out.setdefault(NO_HOUSEHOLD.in_(lang), []).append(shown)
                    continue
                if bad[i]:
                    members.setdefault(key.strip(), [])
                    left_out.setdefault(key.strip(), []).append(shown)
                    continue
                member = PlanMember(
                    key=str(row), name=name or said, applicant=applicant_from_paths(facts)
                )
                members.setdefault(key.strip(), []).append(member)
    finally:
        register.close()
    sep = "、" if lang == "zh" else ", "
    rows = [
        (
            *_row(
                key,
                decide_household(
                    people, policies, as_of=options.as_of, lang=lang, programmes=options.programmes
                ),
                lang,
            ),
            sep.join(left_out.get(key, ())),
        )
        for key, people in members.items()
    ]
    no_household = NO_HOUSEHOLD.in_(lang)
    if no_household in left_out:
        rows.append((no_household, "", 0, "", "", "", sep.join(left_out[no_household])))
    schema = {HEADERS[k].in_(lang): pl.Int64 if k == "total" else pl.String for k in HEADERS}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _row(key: str, plan: HouseholdPlan, lang: Lang) -> tuple[object, ...]:
    sep = "；" if lang == "zh" else "; "
    names = {m.member: m.name or m.member for m in plan.members}
    zh = lang == "zh"
    colon, space = ("：", "") if zh else (": ", " ")
    apart = sep.join(
        f"{names[e.member]} {e.programme_name}"
        + ("" if e.amount is None else f" {e.amount}{space}{e.amount_unit or ''}".rstrip())
        + f"{colon}{e.apart_reason}"
        for e in plan.apart
    )
    checklist = sep.join(
        f"{item.text}（{len(item.programmes)}）" if zh else f"{item.text} ({len(item.programmes)})"
        for item in plan.checklist
    )
    dates = sep.join(_date_text(d, lang) for d in plan.dates)
    return (
        key,
        ("、" if lang == "zh" else ", ").join(names.values()),
        plan.yearly_total,
        apart,
        checklist,
        dates,
    )


def _date_text(date: PlanDate, lang: Lang) -> str:
    when = ""
    if date.start is not None:
        when = date.start.isoformat()
        if date.end is not None:
            when += ("至" if lang == "zh" else " to ") + date.end.isoformat()
        when += " "
    sources = "、".join(c.title for c in date.sources)
    if lang == "zh":
        return f"{when}{date.programme_name}：{date.text}（{SOURCE.in_(lang)}：{sources}）"
    return f"{when}{date.programme_name}: {date.text} ({SOURCE.in_(lang)}: {sources})"
