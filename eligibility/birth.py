"""Which birth dates a living applicant can have: the one check every door applies.

A birth date after the date decided for gives a negative age, and one before 1900 an age no
living person has; either is a typing error, and deciding on it would answer for a person
who does not exist.  Both are refused, naming the field, instead of decided.
"""

from __future__ import annotations

import datetime as dt

# GB 11643 numbers of people born before 1900 are not issued; no applicant is older.
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


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
