"""Which birth dates a living applicant can have, and which stated ages go with them: the
checks every door applies.

A birth date after the date decided for gives a negative age, and one before 1900 an age no
living person has; either is a typing error, and deciding on it would answer for a person
who does not exist.  Both are refused, naming the field, instead of decided.

An age given with a birth date (or an ID number) is checked against it (`age_problem`): a
40-year-old whose ID number says 1940 was decided as 40, and a loan for an 85-year-old came out
能办.  Where both are known the birth date decides (it gives the age on any `as_of` exactly).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars is imported where a column form is built: the row path needs none
    import polars as pl

# GB 11643 numbers of people born before 1900 are not issued; no applicant is older.
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


# How far a stated age may be from the age the birth date gives on `as_of` and still be the
# same person's.  One year: an age is often counted when it was said (a register filled in
# before `as_of`, a birthday since), or as 虚岁, which is one more; any of these is off by one
# year at most, and since the birth date decides, allowing it never changes an answer.  Two
# years or more is a mistyped age or another person's ID number: refused, never guessed.
AGE_TOLERANCE_YEARS = 1


def age_on(birth_date: dt.date, as_of: dt.date) -> int:
    """Age in whole years on `as_of` (a 29 February birthday falls on 1 March in other years)."""
    years = as_of.year - birth_date.year
    if (as_of.month, as_of.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def age_problem(
    age: int,
    birth_date: dt.date,
    as_of: dt.date,
    birth_name: str = "person.birth_date",
    as_of_name: str = "as_of",
) -> str | None:
    """Why a stated `age` cannot be that of a person born on `birth_date`, counted on `as_of`
    (more than `AGE_TOLERANCE_YEARS` apart), or None when it can; the message names the
    field the birth date came from (`birth_name`)."""
    counted = age_on(birth_date, as_of)
    if abs(age - counted) <= AGE_TOLERANCE_YEARS:
        return None
    return (
        f"is {age}, but {birth_name} ({birth_date.isoformat()}) gives {counted} on "
        f"{as_of_name} ({as_of.isoformat()})"
    )


def age_conflicts_in(age: pl.Expr, counted: pl.Expr) -> pl.Expr:
    """The column form of `age_problem`'s test: a stated age and the age a birth date gives on
    each row's as_of, more than `AGE_TOLERANCE_YEARS` apart (null where either is unknown)."""
    import polars as pl

    return (age.cast(pl.Int64) - counted.cast(pl.Int64)).abs() > AGE_TOLERANCE_YEARS


def birth_date_problem(
    birth_date: dt.date, as_of: dt.date, as_of_name: str = "as_of"
) -> str | None:
    """Why `birth_date` cannot be an applicant's on `as_of`, or None when it can.

    `as_of` is the date decided for (a check's or assessment's `as_of`); where nothing is
    decided (a member registered, a bot answer) it is today, and `as_of_name` says so.
    """
    if birth_date < EARLIEST_BIRTH_DATE:
        return f"is before {EARLIEST_BIRTH_DATE.isoformat()}"
    if birth_date > as_of:
        return f"is after {as_of_name} ({as_of.isoformat()})"
    return None
