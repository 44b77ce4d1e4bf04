"""From an `Applicant` to the flat fact map the rules read, with the derived facts filled in.

Rules read dotted glossary paths (`person.employment.months_continuous`).  A few facts can be
given directly or worked out from others; this module is the one place that does it:

- `person.age` at `as_of`: given, else from `birth_date`, else from the ID number's birth date;
- `person.employment.work_scope`: given, else from `region_code` and `work_region_code`;
- `person.employment.work_province`: the first two digits of `work_region_code`.

A birth date (given, or from the ID number) that no applicant can have on `as_of` is refused
here with a `FactError` naming the fact, since every decision passes through `flatten`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping
from typing import Any

from eligibility.birth import birth_date_problem
from eligibility.facts import Applicant, WorkScope, applicant_paths
from eligibility.identity import parse_identity_number
from eligibility.regions import RegionLevel, enclosing


class FactError(ValueError):
    """A fact that cannot be decided on, at its dotted `path` (e.g. a birth date after as_of)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


DERIVED_FACTS: dict[str, tuple[str, ...]] = {
    # derived fact -> the facts it may come from (for listings and the batch path)
    "person.age": ("person.age", "person.birth_date", "person.id_number"),
    "person.employment.work_scope": (
        "person.employment.work_scope",
        "region_code",
        "person.employment.work_region_code",
    ),
    "person.employment.work_province": ("person.employment.work_region_code",),
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


def age_on(birth_date: dt.date, as_of: dt.date) -> int:
    """Age in whole years on `as_of` (a 29 February birthday falls on 1 March in other years)."""
    years = as_of.year - birth_date.year
    if (as_of.month, as_of.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def work_scope_between(home: str, work: str) -> WorkScope | None:
    """Where `work` lies seen from `home` (GB/T 2260 codes), or None if the codes cannot tell."""
    apart: tuple[tuple[RegionLevel, WorkScope], ...] = (
        ("province", WorkScope.OTHER_PROVINCE),
        ("prefecture", WorkScope.OTHER_PREFECTURE),
        ("county", WorkScope.OTHER_COUNTY),
    )
    for level, scope in apart:
        home_region, work_region = enclosing(home, level), enclosing(work, level)
        if home_region is None or work_region is None:
            return None
        if home_region != work_region:
            return scope
    return WorkScope.SAME_COUNTY


def flatten(applicant: Applicant, as_of: dt.date) -> dict[str, Any]:
    """The applicant's known facts by dotted path, with derived facts; unknown facts are absent.

    The ID number itself is not carried into the map: rules need only what it tells.  Raises
    `FactError` for a birth date before 1900 or after `as_of` (`eligibility.birth`).
    """
    facts = applicant_paths(applicant)
    facts.pop("as_of", None)
    facts["as_of"] = as_of.isoformat()
    id_number = facts.pop("person.id_number", None)

    birth_date: dt.date | None = None
    birth_path = "person.birth_date"
    if "person.birth_date" in facts:
        birth_date = dt.date.fromisoformat(facts["person.birth_date"])
    elif id_number is not None:
        birth_date = parse_identity_number(id_number).birth_date
        birth_path = "person.id_number"
        facts["person.birth_date"] = birth_date.isoformat()
    if birth_date is not None:
        problem = birth_date_problem(birth_date, as_of)
        if problem is not None:
            shown = "its birth date " + problem if birth_path == "person.id_number" else problem
            raise FactError(birth_path, shown)
    if "person.age" not in facts and birth_date is not None:
        facts["person.age"] = age_on(birth_date, as_of)

    work_code = facts.get("person.employment.work_region_code")
    if work_code is not None:
        facts["person.employment.work_province"] = enclosing(work_code, "province")
        home = facts.get("region_code")
        if "person.employment.work_scope" not in facts and home is not None:
            scope = work_scope_between(home, work_code)
            if scope is not None:
                facts["person.employment.work_scope"] = scope.value
    return facts
