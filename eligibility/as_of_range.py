"""Which dates an answer may be asked for: the one range every door checks `as_of` against.

From the earliest day the loaded policies speak of (the first `since` of any parameter value,
or the first date of a document they cite, whichever is earlier: 2021-01-01 for the bundled
ones, the start of the transition period) to `AS_OF_YEARS_AHEAD` years after today.  Before it
no rule is in force, so every answer would only say "not in force yet"; after it, no document
looks that far, and the answer would be the latest rules under a "not verified" warning.  And
each year asked builds plans of its own (`eligibility.plan.Plans`): a door taking any date
(year 1, year 9999) could be made to build plan after plan.  Derived from the policies rather
than fixed, so that a table added for an earlier year widens the range with no edit here.

The core itself decides any date (a stored assessment is re-derived on its own day, whatever
the range is now): the doors check, with the caller's today (the core reads no clock).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from eligibility.programme import PolicySet
from eligibility.text import Lang

# Five years: the span of the transition period (2021–2025) and of China's planning cycles; no
# published rule this service encodes looks further ahead.
AS_OF_YEARS_AHEAD = 5


@dataclass(frozen=True)
class AsOfRange:
    """The dates an answer may be asked for, both ends included."""

    earliest: dt.date
    latest: dt.date

    def problem(self, as_of: dt.date, lang: Lang = "en") -> str | None:
        """Why `as_of` may not be asked for, in `lang`; None when it may."""
        if as_of < self.earliest:
            day = self.earliest.isoformat()
            if lang == "zh":
                return f"早于{day}：政策从这一天起才有规定"
            return f"is before {day}, the earliest date the rules cover"
        if as_of > self.latest:
            day = self.latest.isoformat()
            if lang == "zh":
                return f"晚于{day}：最多只能按今天起{AS_OF_YEARS_AHEAD}年内的日期算"
            return f"is after {day}, more than {AS_OF_YEARS_AHEAD} years from today"
        return None


def as_of_range(policies: PolicySet, today: dt.date) -> AsOfRange:
    """The dates an answer may be asked for under `policies`, seen from `today` (kept per
    policy version and day: every check asks it, and it changes only with them)."""
    key = (policies.version, today)
    found = _RANGES.get(key)
    if found is None:
        if len(_RANGES) >= 64:
            _RANGES.clear()
        found = _RANGES[key] = AsOfRange(
            earliest=earliest_date(policies), latest=_years_after(today)
        )
    return found


def earliest_date(policies: PolicySet) -> dt.date:
    """The earliest day the policies speak of: a parameter value's `since`, or a cited
    document's date (kept per policy version)."""
    found = _EARLIEST.get(policies.version)
    if found is None:
        days = [
            entry.since
            for programme in policies.programmes.values()
            for parameter in programme.policy.parameters.values()
            for entry in parameter.values
        ]
        days.extend(c.date for c in policies.registry.citations.values() if c.date is not None)
        found = min(days, default=dt.date.min)  # no rule at all: no earlier bound
        _EARLIEST[policies.version] = found
    return found


_EARLIEST: dict[str, dt.date] = {}
_RANGES: dict[tuple[str, dt.date], AsOfRange] = {}


def _years_after(today: dt.date) -> dt.date:
    year = min(today.year + AS_OF_YEARS_AHEAD, dt.MAXYEAR)
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February
        return dt.date(year, 2, 28)
