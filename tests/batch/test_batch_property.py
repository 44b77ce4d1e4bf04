"""From register cells to verdicts: the batch path agrees with `determine` on every good row,
whatever the header language, the words used and the bad cells mixed in (property test)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch.columns import plan_columns
from batch.run import BatchOptions, decide_chunk
from eligibility.birth import age_on
from eligibility.columnar import ColumnarPolicySet
from eligibility.identity import parse_identity_number
from eligibility.policy import load_bundled
from tests.batch.conftest import reference
from tests.batch.test_columnar_property import applicants

POLICIES = load_bundled()
COLUMNAR = ColumnarPolicySet(POLICIES)
PATHS = [p for p in POLICIES.facts if p != "as_of"]


def cell(path: str, value: Any, chinese: bool, draw: st.DrawFn) -> str | None:
    """A fact as a clerk might type it (English names or Chinese words, 是/否 or 1/0 …)."""
    if value is None:
        return draw(st.sampled_from([None, "", " ", "未知"]))
    spec = POLICIES.facts[path]
    if isinstance(value, bool):
        words = ["是", "1", "true", "TRUE"] if value else ["否", "0", "false", "False"]
        return draw(st.sampled_from(words))
    if spec.kind == "enum":
        option = next(o for o in spec.options if o.value == value)
        return option.zh if chinese else draw(st.sampled_from([option.value, option.value.upper()]))
    if isinstance(value, dt.date):
        return value.isoformat() if draw(st.booleans()) else value.strftime("%Y/%m/%d")
    if isinstance(value, int) and draw(st.booleans()):
        return f"{value}.0"
    return str(value)


BAD = {
    "int": ["abc", "4.5", "-1e99"],
    "bool": ["maybe", "2"],
    "enum": ["不知道什么"],
    "date": ["2024-02-30", "soon"],
    "region": ["5101x", "1234567"],
    "text": ["123456789012345678"],
}


@st.composite
def registers(
    draw: st.DrawFn,
) -> tuple[pl.DataFrame, list[dict[str, Any]], list[bool], dt.date]:
    """A register of random people, some rows with one bad cell, the facts behind it, and the
    run's date (the register has no 评估日期)."""
    people = draw(st.lists(applicants(), min_size=1, max_size=25))
    as_of = draw(st.sampled_from([dt.date(2021, 6, 1), dt.date(2024, 11, 5)]))
    for facts in people:
        # An age given beside a birth date is the birth date's on the run's date (the core
        # refuses one more than a year off: review #5), not on the date it was drawn for.
        born = facts["person.birth_date"]
        if born is None and facts["person.id_number"] is not None:
            born = parse_identity_number(facts["person.id_number"]).birth_date
        if facts["person.age"] is not None and born is not None:
            if born > as_of:
                facts["person.age"] = None
            else:
                facts["person.age"] = age_on(born, as_of)
    chinese = draw(st.booleans())
    headers = {p: POLICIES.facts[p].header_zh if chinese else p for p in PATHS}
    rows: list[dict[str, str | None]] = []
    bad_rows: list[bool] = []
    for facts in people:
        row = {headers[p]: cell(p, facts[p], chinese, draw) for p in PATHS}
        row["姓名"] = "某"
        bad = draw(st.integers(0, 5)) == 0
        if bad:
            path = draw(st.sampled_from(PATHS))
            row[headers[path]] = draw(st.sampled_from(BAD[POLICIES.facts[path].kind]))
        rows.append(row)
        bad_rows.append(bad)
    columns = ["姓名", *headers.values()]
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String)), people, bad_rows, as_of


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registers())
def test_register_cells_to_verdicts(
    register: tuple[pl.DataFrame, list[dict[str, Any]], list[bool], dt.date],
) -> None:
    raw, people, bad_rows, as_of = register
    plan = plan_columns(raw.columns, POLICIES)
    out, _ = decide_chunk(raw, plan, COLUMNAR, BatchOptions(as_of=as_of, lang="en"))
    for row, facts, bad in zip(out.iter_rows(named=True), people, bad_rows, strict=True):
        if bad:
            assert row["error"] is not None
            assert all(row[f"{p}.verdict"] is None for p in POLICIES.programmes)
            continue
        assert row["error"] is None, (row["error"], facts)
        # The register carries no 评估日期: every row is decided on the run's date.
        expected = reference({**facts, "as_of": None}, POLICIES, as_of)
        got = {k: row[k] for k in expected}
        assert got == expected, facts
