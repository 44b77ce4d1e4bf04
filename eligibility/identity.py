"""Resident identity numbers (GB 11643-1999): check digit, birth date, masking.

The number itself is personal data: callers keep only the derived birth date, a keyed hash and
the masked form; this module never logs or stores anything.

Every door hands the text it received to `parse_identity_number`, which normalises it once
(`normalise_identity_text`): a number typed with full-width digits (`１４０８…`) is the same
person as in ASCII, so it must validate, hash and mask the same.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import msgspec

from eligibility.birth import EARLIEST_BIRTH_DATE

# GB 11643-1999: the weight of each of the first 17 digits, and the check character by sum mod 11.
CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# ASCII only, after normalising: `\d` would also admit other scripts' digits (٠١٢…).
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
# What a door may receive before normalising (for schemas): ASCII or full-width digits and X,
# surrounding whitespace allowed.
IDENTITY_NUMBER_TEXT_PATTERN = r"^\s*[0-9０-９]{17}[0-9０-９XxＸｘ]\s*$"
# The masked form shows the first four characters (the prefecture, which the household's own
# region code tells anyway) and nothing of the birth date, sequence or check character: the
# birth date is shown beside the mask (member reads, assessments), and with it the sequence
# and check character would leave a handful of candidates.  Region and birth date known, the
# hidden sequence leaves 1,000 (the check character follows from the rest).
MASK_SHOWN_PREFIX = 4


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


def normalise_identity_text(text: str) -> str:
    """The form a number is checked, hashed and masked in: NFKC (full-width digits and X become
    ASCII), surrounding whitespace stripped, `x` upper-cased."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def parse_identity_number(text: str) -> IdentityNumber:
    """Validate shape, birth date and check digit; raise `IdentityNumberError` saying which.

    The text is normalised first (`normalise_identity_text`); `number` is the normalised form.
    """
    number = normalise_identity_text(text)
    if not _SHAPE.fullmatch(number):
        raise IdentityNumberError("must be 17 digits followed by a digit or X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentityNumberError("contains an impossible birth date") from None
    if birth < EARLIEST_BIRTH_DATE:
        raise IdentityNumberError("contains an impossible birth date")
    if check_character(number[:17]) != number[17]:
        raise IdentityNumberError("check digit does not match")
    return IdentityNumber(number=number, region_code=number[:6], birth_date=birth)


def mask_identity_number(number: str) -> str:
    """The one masked form every door shows: the first 4 characters, e.g. `5101**************`.

    Nothing of the birth date, sequence or check character shows, so that with the birth date
    and region shown beside it at least 1,000 numbers remain possible (see `MASK_SHOWN_PREFIX`).
    The text is normalised first, so full-width input masks as ASCII would.  Text of eight
    characters or fewer (never a valid number, but a register may hold it) is all stars.
    """
    text = normalise_identity_text(number)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:MASK_SHOWN_PREFIX] + "*" * (len(text) - MASK_SHOWN_PREFIX)
