"""Stored facts that today's checks refuse, set aside so a stored record can still be decided.

A household or member stored before a check existed, or whose facts were right when stored,
must not become impossible to assess: a region code retired since in a merger, or an age typed
years ago beside the birth date of an ID number (it no longer matches: the birth date moves on,
the stored number does not).  The doors that read stored records (assessments, a household's
plan, re-deriving and comparing stored assessments) decide on what remains, naming each fact set
aside and why, so the caseworker can correct the record; the record itself keeps what it holds.

What is set aside: a `region_code` or `work_region_code` no region has today (the applicant is
decided as if the place were not known: only what every county would decide, the rest waiting
on the region), and an age the birth date contradicts (the birth date decides, as it does
whenever both are known).  A birth date after the date decided for is not set aside: it is the
date that is wrong (the doors answer 400 at `as_of`).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from eligibility.birth import age_on, age_problem, birth_date_problem
from eligibility.facts import Applicant
from eligibility.identity import parse_identity_number
from eligibility.regions import UNKNOWN_REGION_MESSAGE, is_known_region_code


class SetAside(msgspec.Struct, frozen=True, kw_only=True):
    """A stored fact left out of a decision: its dotted path and why (in English, for the
    caseworker who corrects the record)."""

    path: str
    message: str


def decidable(applicant: Applicant, as_of: dt.date) -> tuple[Applicant, tuple[SetAside, ...]]:
    """The stored `applicant` as it can be decided on `as_of`, and the facts set aside (none
    for facts today's checks accept: then `applicant` itself)."""
    found: list[SetAside] = []
    region = applicant.region_code
    if region is not None and not is_known_region_code(region):
        found.append(
            SetAside(
                path="region_code",
                message=f"{region} {UNKNOWN_REGION_MESSAGE}: decided as if the household's "
                "region were not known; correct the household's region_code",
            )
        )
        applicant = msgspec.structs.replace(applicant, region_code=None)
    person = applicant.person
    if person is None:
        return applicant, tuple(found)
    employment = person.employment
    work = None if employment is None else employment.work_region_code
    if employment is not None and work is not None and not is_known_region_code(work):
        found.append(
            SetAside(
                path="person.employment.work_region_code",
                message=f"{work} {UNKNOWN_REGION_MESSAGE}: decided as if the place of work were "
                "not known; correct the member's work_region_code",
            )
        )
        person = msgspec.structs.replace(
            person, employment=msgspec.structs.replace(employment, work_region_code=None)
        )
    birth, named = person.birth_date, "person.birth_date"
    if birth is None and person.id_number is not None:
        birth, named = parse_identity_number(person.id_number).birth_date, "person.id_number"
    if (
        birth is not None
        and person.age is not None
        and birth_date_problem(birth, as_of) is None
        and (problem := age_problem(person.age, birth, as_of, named)) is not None
    ):
        found.append(
            SetAside(
                path="person.age",
                message=f"the stored age {problem}: decided with the birth date's age "
                f"({age_on(birth, as_of)}); correct or clear the member's age",
            )
        )
        person = msgspec.structs.replace(person, age=None)
    if person is not applicant.person:
        applicant = msgspec.structs.replace(applicant, person=person)
    return applicant, tuple(found)
