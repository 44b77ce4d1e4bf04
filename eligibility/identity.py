"""Resident identity numbers (GB 11643-1999): check digit, birth date, masking.

The number itself is personal data: callers keep only the derived birth date, a keyed hash and
the masked form; this module never logs or stores anything.
"""

from __future__ import annotations

import datetime as dt
import re

import msgspec

# GB 11643-1999: the weight of each of the first 17 digits, and the check character by sum mod 11.
CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class IdentityNumberError(ValueError):
    """The text is not a valid 18-character resident identity number."""


class IdentityNumber(msgspec.Struct, frozen=True, kw_only=True):
    """A checked identity number and what it tells."""

    number: str
    region_code: str
    birth_date: dt.date


def check_character(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, CHECK_WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse_identity_number(text: str) -> IdentityNumber:
    """Validate shape, birth date and check digit; raise `IdentityNumberError` saying which."""
    number = text.strip().upper()
    if not _SHAPE.match(number):
        raise IdentityNumberError("must be 17 digits followed by a digit or X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentityNumberError("contains an impossible birth date") from None
    if birth.year < 1900:
        raise IdentityNumberError("contains an impossible birth date")
    if check_character(number[:17]) != number[17]:
        raise IdentityNumberError("check digit does not match")
    return IdentityNumber(number=number, region_code=number[:6], birth_date=birth)


def mask_identity_number(number: str) -> str:
    """Masked form for display: first 4 and last 4 characters, e.g. `5101**********123X`.

    Text of eight characters or fewer (never a valid number, but a register may hold it) is
    all stars: showing its first and last four would show all of it.
    """
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
