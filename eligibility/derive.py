"""From an `Applicant` to the flat fact map the rules read, with the derived facts filled in.

Rules read dotted glossary paths (`person.employment.months_continuous`).  A few facts can be
given directly or worked out from others; this module is the one place that does it:

- `person.age` at `as_of`: from `birth_date`, else from the ID number's birth date, else given
  (a given age more than a year off the birth date's is refused: `eligibility.birth.age_problem`);
- `person.employment.work_scope`: given, else from `region_code` and `work_region_code`;
- `person.employment.work_province`: the first two digits of `work_region_code`.

Each is written twice, side by side: for one applicant (`flatten`, with `age_on` and
`work_scope_between`) and as polars expressions over a whole register (`age_in`,
`work_scope_between_in`, `work_facts_in`: the columnar back-end's), in the same steps.

A birth date (given, or from the ID number) that no applicant can have on `as_of`, and a region
code no region has today, are refused here with a `FactError` naming the fact, since every
decision passes through `flatten`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping
from typing import TYPE_CHECKING, Any

from eligibility.birth import age_on as age_on  # declared with the birth-date checks
from eligibility.birth import age_problem, birth_date_problem
from eligibility.facts import Applicant, WorkScope, applicant_paths
from eligibility.identity import parse_identity_number
from eligibility.regions import (
    UNKNOWN_REGION_MESSAGE,
    RegionLevel,
    enclosing,
    enclosing_in,
    known_region_codes,
)

if TYPE_CHECKING:  # polars is imported where a column form is built: the row path needs none
    import polars as pl

AGE = "person.age"
BIRTH_DATE = "person.birth_date"
ID_NUMBER = "person.id_number"
WORK_SCOPE = "person.employment.work_scope"
WORK_PROVINCE = "person.employment.work_province"
WORK_REGION = "person.employment.work_region_code"


class FactError(ValueError):
    """A fact that cannot be decided on, at its dotted `path` (e.g. a birth date after as_of)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


DERIVED_FACTS: dict[str, tuple[str, ...]] = {
    # derived fact -> the facts it may come from (for listings and the batch path)
    AGE: (AGE, BIRTH_DATE, ID_NUMBER),
    WORK_SCOPE: (WORK_SCOPE, "region_code", WORK_REGION),
    WORK_PROVINCE: (WORK_REGION,),
}


def askable(hinges: Mapping[str, int], catalogue: Container[str]) -> dict[str, int]:
    """The facts a decision hinges on, as facts someone can be asked.

    A derived fact that is not in the catalogue (the work province) stands for the facts it is
    worked out from: 崇信's lower tier waits on the work province, so the work place's region
    code is what to ask (#9, finding 6).  A fact counts as often as the most any of its
    stand-ins does.
    """
    found: dict[str, int] = {}
    for path, count in hinges.items():
        for asked in (path,) if path in catalogue else DERIVED_FACTS.get(path, ()):
            if asked in catalogue:
                found[asked] = max(found.get(asked, 0), count)
    return found


def age_in() -> pl.Expr:
    """`person.age` per row at `as_of`, as `flatten` gives it: `age_on` the birth date, else the
    ID number's birth date, else the age given (the caller has validated the numbers and
    refused the rows whose given age `eligibility.birth.age_problem` refuses)."""
    import polars as pl

    return pl.coalesce(age_from_birth_in(), pl.col(AGE)).alias(AGE)


def age_from_birth_in() -> pl.Expr:
    """The age per row at `as_of` from the birth date, else the ID number's (null without)."""
    import polars as pl

    as_of, birth = pl.col("as_of"), pl.col(BIRTH_DATE)
    # The ID number's YYYYMMDD read as a number: cheaper than parsing it as a date, and the
    # numbers are validated (a real date) before they get here.
    from_id = pl.col(ID_NUMBER).str.slice(6, 8).cast(pl.Int32, strict=False)
    year = pl.coalesce(birth.dt.year().cast(pl.Int32), from_id // 10_000)
    month_day = pl.coalesce(
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32), from_id % 10_000
    )
    # `age_on`: whole years, one less if the birthday has not come yet that year.
    before_birthday = (
        as_of.dt.month().cast(pl.Int32) * 100 + as_of.dt.day().cast(pl.Int32)
    ) < month_day
    years = as_of.dt.year().cast(pl.Int64) - year.cast(pl.Int64)
    return years - before_birthday.cast(pl.Int64)


# Where a work place lies seen from home: the first level at which their regions differ.
_APART: tuple[tuple[RegionLevel, WorkScope], ...] = (
    ("province", WorkScope.OTHER_PROVINCE),
    ("prefecture", WorkScope.OTHER_PREFECTURE),
    ("county", WorkScope.OTHER_COUNTY),
)


def work_scope_between(home: str, work: str) -> WorkScope | None:
    """Where `work` lies seen from `home` (GB/T 2260 codes), or None if the codes cannot tell."""
    for level, scope in _APART:
        home_region, work_region = enclosing(home, level), enclosing(work, level)
        if home_region is None or work_region is None:
            return None
        if home_region != work_region:
            return scope
    return WorkScope.SAME_COUNTY


def work_scope_between_in(home: pl.Expr, work: pl.Expr) -> pl.Expr:
    """`work_scope_between` per row (its `WorkScope` values; null where the codes cannot tell,
    or one is null)."""
    import polars as pl

    scope = pl.lit(WorkScope.SAME_COUNTY.value, dtype=pl.String)
    # Built from the last level back, so the first level that cannot tell or differs decides.
    for level, apart in reversed(_APART):
        home_region, work_region = enclosing_in(home, level), enclosing_in(work, level)
        scope = (
            pl.when(home_region.is_null() | work_region.is_null())
            .then(pl.lit(None, dtype=pl.String))
            .when(home_region != work_region)
            .then(pl.lit(apart.value))
            .otherwise(scope)
        )
    return scope


def work_facts_in() -> tuple[pl.Expr, pl.Expr]:
    """The work scope worked out from `region_code` and `work_region_code` (the given scope is
    not read: `flatten` keeps a given one, the caller coalesces), and the work province, as
    `flatten` derives them; both read only the two codes."""
    import polars as pl

    home, work = pl.col("region_code"), pl.col(WORK_REGION)
    return work_scope_between_in(home, work), enclosing_in(work, "province").alias(WORK_PROVINCE)


def flatten(applicant: Applicant, as_of: dt.date) -> dict[str, Any]:
    """The applicant's known facts by dotted path, with derived facts; unknown facts are absent.

    The ID number itself is not carried into the map: rules need only what it tells.  Raises
    `FactError` for a birth date before 1900 or after `as_of` or an age that is not the birth
    date's (`eligibility.birth`), and for a
    `region_code` or `work_region_code` no region has today (`eligibility.regions`).
    """
    facts = applicant_paths(applicant)
    given = facts.pop("as_of", None)
    # Last in the map, as the date decided on (the applicant's own, already in its JSON form).
    facts["as_of"] = given if applicant.as_of == as_of else as_of.isoformat()
    id_number = facts.pop(ID_NUMBER, None)

    birth_date: dt.date | None = None
    birth_path = BIRTH_DATE
    if BIRTH_DATE in facts:
        birth_date = dt.date.fromisoformat(facts[BIRTH_DATE])
    elif id_number is not None:
        birth_date = parse_identity_number(id_number).birth_date
        birth_path = ID_NUMBER
        facts[BIRTH_DATE] = birth_date.isoformat()
    if birth_date is not None:
        problem = birth_date_problem(birth_date, as_of)
        if problem is not None:
            shown = "its birth date " + problem if birth_path == ID_NUMBER else problem
            raise FactError(birth_path, shown)
        # A stated age is checked against the birth date; where it may be the same person's,
        # the birth date decides (the age on `as_of`, exactly).
        stated = facts.get(AGE)
        if stated is not None:
            named = "the birth date in person.id_number" if birth_path == ID_NUMBER else BIRTH_DATE
            problem = age_problem(stated, birth_date, as_of, named)
            if problem is not None:
                raise FactError(AGE, problem)
        facts[AGE] = age_on(birth_date, as_of)

    # A code no region has today would be decided under the national rules alone (and a work
    # place 999999 counted as another province): refused, as the shape is by the Struct.
    known = known_region_codes()  # `is_known_region_code`, the set looked up once
    for path in ("region_code", WORK_REGION):
        code = facts.get(path)
        if code is not None and code not in known:
            raise FactError(path, UNKNOWN_REGION_MESSAGE)

    work_code = facts.get(WORK_REGION)
    if work_code is not None:
        facts[WORK_PROVINCE] = enclosing(work_code, "province")
        home = facts.get("region_code")
        if WORK_SCOPE not in facts and home is not None:
            scope = _SCOPES.get((home, work_code), _NOT_KEPT)
            if scope is _NOT_KEPT:
                if len(_SCOPES) >= 65_536:
                    _SCOPES.clear()
                found = work_scope_between(home, work_code)
                scope = _SCOPES[(home, work_code)] = None if found is None else found.value
            if scope is not None:
                facts[WORK_SCOPE] = scope
    return facts


# `work_scope_between`'s value (as text) by the two codes, for `flatten`.
_SCOPES: dict[tuple[str, str], str | None] = {}
_NOT_KEPT = "?"
