"""What a caller can rebuild of an ID number from what it is shown (issue 11, finding 2).

A number is region (6) + birth date (8) + sequence (3) + check character (1), the check
character following from the other 17 (GB 11643-1999).  A caller who sees the masked form,
the birth date and the household's region knows the first 14 characters at best; the
numbers still possible are those the same view would show, counted here by trying every
sequence (the check character follows) and keeping those that mask the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from hypothesis import strategies as st

from eligibility.identity import check_character, mask_identity_number

# The least a caller's view may leave possible (the bound).
MIN_CANDIDATES = 1000


@st.composite
def identity_numbers(draw: st.DrawFn) -> str:
    """Random valid GB 11643 numbers: any six-digit region, a birth date 1900-2026, any serial."""
    region = str(draw(st.integers(110000, 659999)))
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 1)))
    serial = draw(st.integers(0, 999))
    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    return first17 + check_character(first17)


def candidates(
    masked: str,
    *,
    region_code: str,
    birth_date: dt.date,
    mask: Callable[[str], str] = mask_identity_number,
) -> int:
    """How many valid numbers fit a view that shows the mask, the region and the birth date.

    The region and birth date are taken as known (they are shown beside the mask: the
    household's region, the member's birth date), which is the most a caller learns; a view
    showing less leaves more.  Each of the 1,000 sequences has exactly one valid check
    character; a candidate fits when its mask is the one shown.
    """
    head = f"{region_code}{birth_date:%Y%m%d}"
    count = 0
    for serial in range(1000):
        first17 = f"{head}{serial:03d}"
        if mask(first17 + check_character(first17)) == masked:
            count += 1
    return count
