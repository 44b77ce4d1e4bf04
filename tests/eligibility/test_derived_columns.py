"""The derived facts' polars forms give what their row forms give (`eligibility.derive`)."""

from __future__ import annotations

import datetime as dt
import itertools

import polars as pl

from eligibility.derive import age_in, age_on, work_facts_in, work_scope_between
from eligibility.regions import enclosing

# A province, prefecture and counties of 山西 and one of 陕西, and codes of each length.
CODES = ["14", "1408", "140821", "140802", "1401", "140105", "61", "610112"]


def test_work_scope_and_province_per_row_as_for_one_applicant() -> None:
    pairs = list(itertools.product([*CODES, None], repeat=2))
    frame = pl.DataFrame(
        {
            "region_code": [home for home, _ in pairs],
            "person.employment.work_region_code": [work for _, work in pairs],
        },
        schema={"region_code": pl.String, "person.employment.work_region_code": pl.String},
    )
    scope, province = work_facts_in()
    got = frame.select(scope.alias("scope"), province.alias("province")).rows()
    for (home, work), (scope_in, province_in) in zip(pairs, got, strict=True):
        row = None if home is None or work is None else work_scope_between(home, work)
        assert scope_in == (None if row is None else row.value), (home, work)
        assert province_in == (None if work is None else enclosing(work, "province"))


def test_age_per_row_as_for_one_applicant() -> None:
    """The birth date first, then the ID number's, then the given age (review #5: a given age
    came first, over the birth date); a 29 February birthday comes on 1 March in other years."""
    as_of = [dt.date(2025, 2, 28), dt.date(2025, 3, 1), dt.date(2024, 2, 29), dt.date(2025, 3, 1)]
    as_of.append(dt.date(2025, 3, 1))
    born = [dt.date(2000, 2, 29), None, None, None, dt.date(1990, 1, 1)]
    ids = [None, "14082120000229001X", "140821200002290010", None, None]
    given = [None, None, None, 7, 36]  # 36: a year off the birth date's 35, the same person
    frame = pl.DataFrame(
        {"as_of": as_of, "person.birth_date": born, "person.id_number": ids, "person.age": given},
        schema={
            "as_of": pl.Date,
            "person.birth_date": pl.Date,
            "person.id_number": pl.String,
            "person.age": pl.Int64,
        },
    )
    got = frame.select(age_in()).to_series().to_list()
    leap = dt.date(2000, 2, 29)
    assert got == [age_on(leap, as_of[0]), age_on(leap, as_of[1]), age_on(leap, as_of[2]), 7, 35]
    assert got[:3] == [24, 25, 24]
