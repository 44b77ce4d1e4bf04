"""Hypothesis strategies for applicants: every fact independently known or unknown."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from hypothesis import strategies as st

from eligibility import facts as f
from eligibility.places import gazetteer
from eligibility.plan import Profiles, plans_of
from eligibility.policy import load_bundled
from eligibility.regions import is_known_region_code
from eligibility.windows import season_day


def policy_regions() -> list[str | None]:
    """Region codes from the loaded policies: every code a programme matches exactly (its
    regions and their shorter prefixes), every region it matches as a prefix, and the
    representative code of each of its region classes (one under each prefix that no longer
    region touches, and one that no region touches), and no code at all."""
    codes: set[str] = set()
    for found in _PROFILES:
        codes.update(found.exact)
        codes.update(found.prefixed)
    regions = set(codes)
    for found in _PROFILES:
        codes.update(_existing(code, regions) for code, _ in found.points if code is not None)
    return [None, *sorted(codes)]


def _existing(code: str, regions: set[str]) -> str:
    """`code`, or where no region has it (a plan's representative `149999`: 14, under no
    region of 14; `999999`: under none), a county that exists in the same place: the core
    refuses to decide for a code no region has (review #6)."""
    if is_known_region_code(code):
        return code
    prefix = code.rstrip(code[-1])
    return next(
        county
        for county in sorted(gazetteer().by_code)
        if len(county) == 6
        and county.startswith(prefix)
        and not any(county.startswith(r) and len(r) > len(prefix) for r in regions)
    )


def policy_dates() -> list[dt.date]:
    """Days from the loaded policies: each date a programme's values, steps or confirmations
    start or end on (`Profiles.dates`), the day before and after it, the first and last day
    (and any 29 February) of the years around them, and in each of those years the first and
    last day of each season of a yearly window an answer says (`Profiles.seasons`: 临猗's
    11月上旬)."""
    named = {day for found in _PROFILES for day in found.dates}
    around = {d + dt.timedelta(days=k) for d in named for k in (-1, 0, 1)}
    years = range(min(d.year for d in named) - 1, max(d.year for d in named) + 2)
    for year in years:
        around |= {dt.date(year, 1, 1), dt.date(year, 12, 31)}
        if calendar.isleap(year):
            around.add(dt.date(year, 2, 29))
        for found in _PROFILES:
            for season in range(1, len(found.seasons) + 1):
                first = season_day(found.seasons, season, year)
                around |= {first - dt.timedelta(days=1), first}
    return sorted(around)


def policy_work_regions() -> list[str]:
    """Places of work from the loaded policies: the region codes above, and every code a rule's
    parameter lists (the provinces a county pays at a lower tier, say), which no applicant's own
    region need be in."""
    listed = {
        item
        for programme in _POLICIES.programmes.values()
        for parameter in programme.policy.parameters.values()
        for entry in parameter.values
        if isinstance(entry.value, list)
        for item in entry.value
        if isinstance(item, str) and item.isdigit() and len(item) in (2, 4, 6)
    }
    return sorted({code for code in policy_regions() if code} | listed)


_POLICIES = load_bundled()
_PROFILES: list[Profiles] = [plans_of(_POLICIES).profiles(p) for p in _POLICIES.programmes.values()]
# Drawn from the policies themselves, so a region or a date a new table adds is tried at once.
REGIONS = policy_regions()
WORK_REGIONS = policy_work_regions()
DATES = policy_dates()


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def enum_values(kind: type[Any]) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in kind])


def applicants() -> st.SearchStrategy[dict[str, Any]]:
    """Applicants as JSON-like dicts (None = unknown), with `as_of` always set."""
    household = st.fixed_dictionaries(
        {},
        optional={
            "category": maybe(enum_values(f.HouseholdCategory)),
            "risk_eliminated": maybe(st.booleans()),
            "per_capita_net_income": maybe(st.integers(0, 30000)),
            "per_capita_net_income_previous": maybe(st.integers(0, 30000)),
            "sudden_hardship_event": maybe(enum_values(f.SuddenHardshipEvent)),
            "microloan_outstanding": maybe(st.integers(0, 120000)),
            "microloan_overdue": maybe(st.booleans()),
        },
    )
    employment = st.fixed_dictionaries(
        {},
        optional={
            "status": maybe(enum_values(f.EmploymentStatus)),
            "work_region_code": maybe(st.sampled_from(WORK_REGIONS)),
            "work_scope": maybe(enum_values(f.WorkScope)),
            "months_continuous": maybe(st.integers(0, 14)),
            "organized_transfer": maybe(st.booleans()),
            "transport_subsidy_claimed_this_year": maybe(st.booleans()),
        },
    )
    education = st.fixed_dictionaries(
        {},
        optional={
            "level": maybe(enum_values(f.EducationLevel)),
            "full_time": maybe(st.booleans()),
            "registered": maybe(st.booleans()),
            "suspended": maybe(st.booleans()),
        },
    )
    person = st.fixed_dictionaries(
        {},
        optional={
            "age": maybe(st.integers(10, 80)),
            "labor_capacity": maybe(enum_values(f.LaborCapacity)),
            "full_civil_capacity": maybe(st.booleans()),
            "serious_bad_credit": maybe(st.booleans()),
            "willing_to_work": maybe(st.booleans()),
            "can_work_away": maybe(st.booleans()),
            "holds_public_welfare_post": maybe(st.booleans()),
            "employment": maybe(employment),
            "education": maybe(education),
        },
    )
    loan = st.fixed_dictionaries(
        {},
        optional={
            "amount": maybe(st.integers(1, 120000)),
            "term_months": maybe(st.integers(1, 48)),
            "purpose": maybe(enum_values(f.LoanPurpose)),
        },
    )
    return st.fixed_dictionaries(
        {
            "as_of": st.one_of(
                st.dates(dt.date(2021, 6, 1), dt.date(2026, 12, 31)), st.sampled_from(DATES)
            ).map(str)
        },
        optional={
            "region_code": maybe(st.sampled_from(REGIONS)),
            "household": maybe(household),
            "person": maybe(person),
            "loan_request": maybe(loan),
        },
    )


def known_subset(data: Any, keep: st.DataObject) -> Any:
    """A copy of `data` with some known facts forgotten (set back to unknown)."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key == "as_of":
                out[key] = value
            elif isinstance(value, dict):
                out[key] = known_subset(value, keep)
            elif keep.draw(st.booleans()):
                out[key] = value
        return out
    return data
